#!/usr/bin/env bash
# bench.sh — the figures of the Fabric network on a fresh network, then down:
#   up + deploy wall time; certificates issued per second at each concurrency next to a plain
#   single-key write of the same chaincode; verify queries per second; CPU per transaction and
#   peak RSS per process.
# The network runs the bench chaincode: certledger-chaincode built with -tags certledger_bench
# (the certledger chaincode plus bench:Put, loadtest/benchcc), unless CHAINCODE_BIN names another
# build. Arguments go to `certledger-load fabric` (-c 32,64 -n 3000 -rounds 3 -plain bench:Put
# -verify-c 32 -verify-n 20000); FORMAT=text prints aligned text instead of Markdown. With
# --group N it measures grouped issue through a certledger-gateway process instead, next to single
# issue (add --with-devnet for the devnet side by side; docs/batches.md, Figures). With --batch N
# it issues one Merkle batch of N certificates from a manifest of precomputed hashes with the
# certledger CLI through a certledger-gateway process with a read model, and stops the clock when
# the read model answers verify of the last one (--with-devnet: the devnet side by side).
# Needs what network.sh needs (FABRIC_BIN ...). KEEP=1 leaves the network running.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export FABRIC_STATE=${FABRIC_STATE:-$HERE/.state}
[[ ! -e $FABRIC_STATE ]] || { echo "bench.sh: $FABRIC_STATE exists; bench.sh needs a fresh network (network.sh down)" >&2; exit 1; }
bin=$(mktemp -d)
cleanup() {
  rm -rf "$bin"
  [[ -n ${KEEP:-} ]] || "$HERE/network.sh" down
}
trap cleanup EXIT
(cd "$REPO" && go build -o "$bin/certledger-load" ./loadtest/cmd/certledger-load)
if [[ " $* " == *" --group"* || " $* " == *" -group"* ]]; then
  # grouped issue goes through a certledger-gateway process (and --with-devnet a certledger-devnet
  # one), which certledger-load finds next to itself
  (cd "$REPO" && go build -o "$bin/" ./gateway/cmd/certledger-gateway ./network/devnet/cmd/certledger-devnet)
fi
if [[ " $* " == *" --batch"* || " $* " == *" -batch"* ]]; then
  # a Merkle batch is issued by the certledger CLI through a certledger-gateway process with a read
  # model (and --with-devnet the same on a certledger-devnet one), found next to certledger-load
  (cd "$REPO" && go build -o "$bin/" ./gateway/cmd/certledger-gateway ./network/devnet/cmd/certledger-devnet ./cli/cmd/certledger)
fi
if [[ -z ${CHAINCODE_BIN:-} ]]; then
  (cd "$REPO" && go build -tags certledger_bench -o "$bin/certledger-chaincode" ./chaincode/cmd/certledger-chaincode)
  export CHAINCODE_BIN=$bin/certledger-chaincode
fi

ms() { date +%s%3N; }
t0=$(ms); "$HERE/network.sh" up
t1=$(ms); "$HERE/network.sh" deploy
t2=$(ms)
echo "up: $((t1 - t0)) ms, deploy: $((t2 - t1)) ms, up+deploy: $((t2 - t0)) ms"
# the figures depend on the Fabric version (v3.1's peer batches shim messages: docs/network.md)
if peer=$(command -v "${FABRIC_BIN:+$FABRIC_BIN/}peer"); then
  echo "fabric peer: $("$peer" version 2>/dev/null | awk '$1 == "Version:" {print $2; exit}')"
fi
"$bin/certledger-load" --format "${FORMAT:-markdown}" fabric -profiles "$FABRIC_STATE/profiles" -state "$FABRIC_STATE" "$@"
