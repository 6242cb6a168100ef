#!/usr/bin/env bash
# check-deps.sh — what the production binaries must not link (issue 10):
#   certledger-gateway reaches a ledger only through the fabric-gateway client: no devnet,
#   no bbolt, no chaincode shim, no contractapi;
#   certledger-chaincode holds no benchmark code: no bench chaincode (loadtest/benchcc), no
#   synthetic tickets or other load-tool records (loadtest/...).
# Prints each offending package and exits 1; make lint runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO=${GO:-go}
fail=0
check() {
  local pkg=$1 deps bad
  shift
  deps=$($GO list -deps "$pkg")
  for bad in "$@"; do
    if grep -E -- "$bad" <<<"$deps" | sed "s|^|check-deps: $pkg links |" | grep .; then
      fail=1
    fi
  done
}
check ./gateway/cmd/certledger-gateway \
  '^github\.com/certledger/certledger/network/devnet' '^go\.etcd\.io/bbolt' \
  '^github\.com/hyperledger/fabric-chaincode-go' '^github\.com/hyperledger/fabric-contract-api-go'
check ./chaincode/cmd/certledger-chaincode '^github\.com/certledger/certledger/loadtest'
[[ $fail == 0 ]] && echo "check-deps: certledger-gateway and certledger-chaincode link none of the excluded packages"
exit $fail
