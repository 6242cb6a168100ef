#!/usr/bin/env bash
# bench.sh — the figures of the Fabric network on a fresh network, then down:
#   up + deploy wall time; certificates issued per second at each concurrency next to a plain
#   single-key write of the same chaincode; verify queries per second; peak RSS per process.
# Arguments go to certledger-fabric-bench (-c 32,64 -n 3000 -plain bench:Put -verify-n 20000).
# Needs what network.sh needs (FABRIC_BIN ...). KEEP=1 leaves the network running.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export FABRIC_STATE=${FABRIC_STATE:-$HERE/.state}
export CERTLEDGER_BENCH=1 # enables the chaincode's plain write bench:Put on this network only
[[ ! -e $FABRIC_STATE ]] || { echo "bench.sh: $FABRIC_STATE exists; bench.sh needs a fresh network (network.sh down)" >&2; exit 1; }
bin=$(mktemp -d)
cleanup() {
  rm -rf "$bin"
  [[ -n ${KEEP:-} ]] || "$HERE/network.sh" down
}
trap cleanup EXIT
(cd "$REPO" && go build -o "$bin/certledger-fabric-bench" ./network/fabric/cmd/certledger-fabric-bench)

ms() { date +%s%3N; }
t0=$(ms); "$HERE/network.sh" up
t1=$(ms); "$HERE/network.sh" deploy
t2=$(ms)
echo "up: $((t1 - t0)) ms, deploy: $((t2 - t1)) ms, up+deploy: $((t2 - t0)) ms"
"$bin/certledger-fabric-bench" -profiles "$FABRIC_STATE/profiles" -state "$FABRIC_STATE" "$@"
