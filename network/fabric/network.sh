#!/usr/bin/env bash
# network.sh — a Hyperledger Fabric (v3.1 or v2.5) network for certledger, run as native processes.
#
#   network.sh up                 start 3 Raft orderers and one peer per organisation (gov,
#                                 depta, deptb), create channel `certledger` through the channel
#                                 participation API, join every peer, write connection profiles
#   network.sh deploy             package certledger-chaincode as CCaaS, install, approve for every
#                                 organisation, commit (MAJORITY), start the chaincode servers,
#                                 invoke registry:Init(GovMSP) once
#   network.sh upgrade [VERSION]  rebuild and roll out a new chaincode version (sequence + 1)
#   network.sh add-org deptc      add a department organisation to the running channel (needs configtxlator)
#   network.sh user-add ORG NAME [client|admin]
#                                 issue a person's client identity (default OU client: clerks,
#                                 auditors) from ORG's CA with openssl; `up` makes the demo people
#                                 (clerk1 of depta and deptb, auditor of gov); docs/people.md
#   network.sh status             processes, health, channel heights, committed chaincode
#   network.sh logs [NODE] [-f]   show logs (NODE: orderer0, peer0.gov, cc.depta.1, ...)
#   network.sh stop NODE          stop one recorded process (`up` starts it again)
#   network.sh down               stop every process this script started and remove the state
#   network.sh download DIR       fetch the official Fabric release (needs FABRIC_SHA256)
#
# Binaries come from FABRIC_BIN (a folder holding peer, orderer, osnadmin, configtxgen,
# cryptogen, configtxlator) or PATH; the ccaas builder from CCAAS_BUILDER or
# $FABRIC_BIN/../builders/ccaas (the layout of the official release). This script never builds
# Fabric. Ports and names: ports.env. State (crypto, ledgers, logs, PIDs, profiles):
# FABRIC_STATE, default network/fabric/.state.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=ports.env
source "$HERE/ports.env"
STATE=$(realpath -m "${FABRIC_STATE:-$HERE/.state}")
CRYPTO=$STATE/crypto
FABRIC_RELEASE=${FABRIC_RELEASE:-3.1.5}
BASE_ORGS="gov depta deptb"
ORDERERS="orderer0 orderer1 orderer2"
ORDERER_DOMAIN=orderer.certledger.local
WAIT_SECS=${WAIT_SECS:-60}
# Mutual TLS on the peer -> chaincode link (false only to debug with a plaintext server).
CHAINCODE_TLS=${CHAINCODE_TLS:-true}

now_ms() { date +%s%3N; }
T0=$(now_ms)
die() { echo "network.sh: error: $*" >&2; exit 1; }
log() { local t=$(( $(now_ms) - T0 )); printf '==> %d.%03ds %s\n' $((t / 1000)) $((t % 1000)) "$*" >&2; }

# ---------------------------------------------------------------- organisations

org_msp() {
  case $1 in
    gov) echo GovMSP ;; depta) echo DeptAMSP ;; deptb) echo DeptBMSP ;; deptc) echo DeptCMSP ;;
    *) die "unknown organisation '$1' (known: gov depta deptb deptc)" ;;
  esac
}
org_domain() { echo "$1.certledger.local"; }
# Profile names match the devnet's (gov, dept-a, dept-b), so clients switch ledgers by folder.
profile_name() { case $1 in dept?) echo "dept-${1#dept}" ;; *) echo "$1" ;; esac; }
upper() { echo "$1" | tr '[:lower:]' '[:upper:]'; }
val() { local v=$1; [[ -n ${!v:-} ]] || die "$v is not set (ports.env)"; echo "${!v}"; }
peer_port() { val "$(upper "$1")_PEER_PORT"; }
# Organisations on the channel: the base three plus any added with add-org.
orgs() {
  echo $BASE_ORGS
  [[ -f $STATE/orgs.added ]] && cat "$STATE/orgs.added"
  return 0
}
org_dir() { echo "$CRYPTO/peerOrganizations/$(org_domain "$1")"; }
peer_tls_dir() { echo "$(org_dir "$1")/peers/peer0.$(org_domain "$1")/tls"; }
peer_tls_ca() { echo "$(peer_tls_dir "$1")/ca.crt"; }
cc_tls_dir() { echo "$(org_dir "$1")/peers/chaincode.$(org_domain "$1")/tls"; }
admin_msp() { echo "$(org_dir "$1")/users/Admin@$(org_domain "$1")/msp"; }
orderer_dir() { echo "$CRYPTO/ordererOrganizations/$ORDERER_DOMAIN/orderers/$1.$ORDERER_DOMAIN"; }
ORDERER_CA=$CRYPTO/ordererOrganizations/$ORDERER_DOMAIN/tlsca/tlsca.$ORDERER_DOMAIN-cert.pem
ORDERER_ADMIN_TLS=$CRYPTO/ordererOrganizations/$ORDERER_DOMAIN/users/Admin@$ORDERER_DOMAIN/tls

# ---------------------------------------------------------------- binaries

BIN_PEER= BIN_ORDERER= BIN_OSNADMIN= BIN_CONFIGTXGEN= BIN_CRYPTOGEN= BIN_CONFIGTXLATOR= CCAAS_DIR=

find_bin() {
  local name=$1
  if [[ -n ${FABRIC_BIN:-} ]]; then
    [[ -x $FABRIC_BIN/$name ]] && { echo "$FABRIC_BIN/$name"; return 0; }
    return 1
  fi
  command -v "$name" 2>/dev/null
}

need_bins() {
  local missing=() b p
  for b in peer orderer osnadmin configtxgen cryptogen "$@"; do
    if p=$(find_bin "$b"); then
      local var="BIN_$(upper "$b")"
      printf -v "$var" '%s' "$p"
    else
      missing+=("$b")
    fi
  done
  local peerdir
  peerdir=$(dirname "${BIN_PEER:-${FABRIC_BIN:-/nonexistent}/peer}")
  CCAAS_DIR=${CCAAS_BUILDER:-$peerdir/../builders/ccaas}
  for b in detect build release; do
    if [[ ! -x $CCAAS_DIR/bin/$b ]]; then
      if [[ -n ${BIN_PEER:-} || -n ${CCAAS_BUILDER:-} ]]; then
        missing+=("ccaas builder ($CCAAS_DIR/bin/ detect build release)")
      else
        missing+=("ccaas builder (set CCAAS_BUILDER or put it in \$FABRIC_BIN/../builders/ccaas)")
      fi
      break
    fi
  done
  if ((${#missing[@]})); then
    {
      echo "network.sh: error: Fabric binaries not found: $(IFS=,; echo "${missing[*]}" | sed "s/,/, /g")"
      echo "  Set FABRIC_BIN to a folder holding peer, orderer, osnadmin, configtxgen, cryptogen"
      echo "  (and configtxlator for add-org), and CCAAS_BUILDER to a folder whose bin/ holds the"
      echo "  ccaas builder's detect, build and release (default \$FABRIC_BIN/../builders/ccaas)."
      echo "  The official v$FABRIC_RELEASE release has this layout: network.sh download DIR (online,"
      echo "  with FABRIC_SHA256 from the release page) unpacks it, then FABRIC_BIN=DIR/bin."
    } >&2
    exit 1
  fi
  CCAAS_DIR=$(cd "$CCAAS_DIR" && pwd)
}

# ---------------------------------------------------------------- processes

# A pid file holds "PID EXECUTABLE"; a process counts as ours only while /proc/PID/exe still
# points at that executable (so a recycled PID is never signalled).
pidfile() { echo "$STATE/pids/$1.pid"; }
alive() {
  local f pid exe
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  read -r pid exe <"$f" || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ $(readlink -f "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$exe")" ]]
}
# running PID: the process exists and is not a zombie waiting to be reaped.
running() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}
recorded_pid() { local pid _; read -r pid _ <"$(pidfile "$1")"; echo "$pid"; }

port_owner() {
  if command -v ss >/dev/null; then
    ss -ltnpH "( sport = :$1 )" 2>/dev/null | head -1
  elif (exec 3<>"/dev/tcp/$FABRIC_HOST/$1") 2>/dev/null; then
    echo "a process accepts connections on $FABRIC_HOST:$1"
  fi
}
check_port() { # PORT WHAT
  local owner
  owner=$(port_owner "$1")
  [[ -z $owner ]] || die "port $1 ($2) is already in use: $owner
  Stop whatever holds it, or move this network: change ports.env or export the variable (e.g. GOV_PEER_PORT=27100)."
}

# start_proc NAME EXE [ENV=... ...] -- ARGS...
start_proc() {
  local name=$1 exe=$2; shift 2
  local envs=()
  while [[ $# -gt 0 && $1 != -- ]]; do envs+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  mkdir -p "$STATE/pids" "$STATE/logs"
  echo "---- $(date -u +%FT%TZ) start $name" >>"$STATE/logs/$name.log"
  # setsid: the process outlives this script and ignores the terminal's Ctrl-C.
  setsid env -i PATH="$PATH" HOME="${HOME:-/tmp}" "${envs[@]}" "$exe" "$@" \
    >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid $exe" >"$(pidfile "$name")"
  # Until setsid and env have exec'd, /proc/PID/exe is not yet $exe: wait for it, so that
  # `alive` never mistakes a starting process for a dead one.
  for i in $(seq 1 100); do
    alive "$name" && return 0
    running "$pid" || return 0
    sleep 0.02
  done
}

stop_proc() { # NAME [keep] — "keep" leaves the pid file, so status shows the node as stopped
  local name=$1 keep=${2:-} pid i
  [[ -f $(pidfile "$name") ]] || return 0
  if alive "$name"; then
    pid=$(recorded_pid "$name")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
    if alive "$name"; then kill -KILL "$pid" 2>/dev/null || true; fi
    for i in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    log "stopped $name (pid $pid)"
  fi
  [[ $keep == keep ]] || rm -f "$(pidfile "$name")"
}

fail_with_log() { # NAME MESSAGE
  echo "network.sh: error: $2" >&2
  echo "---- last lines of $STATE/logs/$1.log:" >&2
  tail -n 25 "$STATE/logs/$1.log" >&2 || true
  exit 1
}

wait_health() { # NAME PORT CAFILE
  local name=$1 port=$2 ca=$3 deadline=$((SECONDS + WAIT_SECS))
  while :; do
    alive "$name" || fail_with_log "$name" "$name exited during startup"
    if curl -sf --max-time 2 --cacert "$ca" "https://$FABRIC_HOST:$port/healthz" >/dev/null 2>&1; then
      return 0
    fi
    ((SECONDS < deadline)) || fail_with_log "$name" "$name not healthy on https://$FABRIC_HOST:$port/healthz after ${WAIT_SECS}s"
    sleep 0.1
  done
}

# ---------------------------------------------------------------- rendering

render() { # TEMPLATE OUT  (every ${VAR} in the template must be set)
  local vars v
  vars=$(grep -o '\${[A-Z0-9_]*}' "$1" | sort -u | tr -d '${}')
  for v in $vars; do [[ -n ${!v+x} ]] || die "render $1: $v is not set"; export "${v?}"; done
  envsubst "$(printf '${%s} ' $vars)" <"$1" >"$2"
}

render_orderer() { # NAME INDEX
  local n=$1 i=$2 d
  d=$STATE/nodes/$n; mkdir -p "$d"
  NODE_TLS=$(orderer_dir "$n")/tls NODE_MSP=$(orderer_dir "$n")/msp NODE_DATA=$STATE/data/$n \
  ORDERER_PORT=$(val "ORDERER${i}_PORT") ADMIN_PORT=$(val "ORDERER${i}_ADMIN_PORT") \
  OPS_PORT=$(val "ORDERER${i}_OPS_PORT") \
    render "$HERE/config/orderer.yaml.tmpl" "$d/orderer.yaml"
}

render_peer() { # ORG
  local org=$1 u d nd
  u=$(upper "$org"); d=$(org_dir "$org"); nd=$STATE/nodes/peer0.$org; mkdir -p "$nd"
  NODE_NAME=peer0.$(org_domain "$org") NODE_TLS=$d/peers/peer0.$(org_domain "$org")/tls \
  NODE_MSP=$d/peers/peer0.$(org_domain "$org")/msp NODE_DATA=$STATE/data/peer0.$org \
  MSP_ID=$(org_msp "$org") PEER_PORT=$(val "${u}_PEER_PORT") PEER_CC_PORT=$(val "${u}_PEER_CC_PORT") \
  OPS_PORT=$(val "${u}_PEER_OPS_PORT") CCAAS_BUILDER=$CCAAS_DIR \
    render "$HERE/config/core.yaml.tmpl" "$nd/core.yaml"
}

render_configtx() {
  mkdir -p "$STATE/config"
  CRYPTO=$CRYPTO render "$HERE/config/configtx.yaml.tmpl" "$STATE/config/configtx.yaml"
}

# ---------------------------------------------------------------- CLI identities

# as_admin ORG CMD... runs a peer CLI command as ORG's admin against ORG's peer.
as_admin() {
  local org=$1; shift
  env FABRIC_CFG_PATH="$STATE/nodes/peer0.$org" FABRIC_LOGGING_SPEC=warning \
    CORE_PEER_LOCALMSPID="$(org_msp "$org")" CORE_PEER_MSPCONFIGPATH="$(admin_msp "$org")" \
    CORE_PEER_ADDRESS="$FABRIC_HOST:$(peer_port "$org")" CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$(peer_tls_ca "$org")" \
    "$@"
}

# The first orderer that answers, for peer CLI commands (-o ... --tls --cafile ...).
orderer_args() {
  local i
  for i in 0 1 2; do
    if alive "orderer$i"; then
      echo "-o $FABRIC_HOST:$(val "ORDERER${i}_PORT") --tls --cafile $ORDERER_CA"
      return 0
    fi
  done
  die "no orderer is running (network.sh up)"
}

osnadmin_args() { # INDEX
  echo "-o $FABRIC_HOST:$(val "ORDERER${1}_ADMIN_PORT") --ca-file $ORDERER_CA --client-cert $ORDERER_ADMIN_TLS/client.crt --client-key $ORDERER_ADMIN_TLS/client.key"
}

# --peerAddresses/--tlsRootCertFiles for every organisation on the channel whose peer runs.
all_peer_args() {
  local org out=""
  for org in $(orgs); do
    alive "peer0.$org" || continue
    out+=" --peerAddresses $FABRIC_HOST:$(peer_port "$org") --tlsRootCertFiles $(peer_tls_ca "$org")"
  done
  echo "$out"
}

# retry DESC LOGFILE DONE_FN ACTION... — run ACTION until DONE_FN succeeds (3 attempts):
# lifecycle calls can fail transiently while the network settles (leader change, a peer's
# deliver stream reconnecting); DONE_FN makes a retry of something that did succeed harmless.
retry() {
  local desc=$1 logf=$2 done_fn=$3 i; shift 3
  for i in 1 2 3; do
    "$done_fn" && return 0
    ((i == 1)) || { log "$desc: attempt $i"; sleep $((i - 1)); }
    "$@" >/dev/null 2>"$logf" && { "$done_fn" && return 0; }
  done
  "$done_fn" && return 0
  cat "$logf" >&2
  die "$desc failed"
}

# ---------------------------------------------------------------- up

generate() {
  [[ -f $STATE/.generated ]] && return 0
  log "generating crypto material and the genesis block of channel $CHANNEL"
  mkdir -p "$STATE"
  "$BIN_CRYPTOGEN" generate --config="$HERE/crypto/base.yaml" --output="$CRYPTO" >/dev/null
  render_configtx
  "$BIN_CONFIGTXGEN" -configPath "$STATE/config" -profile CertledgerChannel -channelID "$CHANNEL" \
    -outputBlock "$STATE/channel/genesis.block" 2>"$STATE/configtxgen.log" ||
    { cat "$STATE/configtxgen.log" >&2; die "configtxgen failed"; }
  touch "$STATE/.generated"
}

start_orderer() { # INDEX
  local i=$1 n=orderer$1
  alive "$n" && return 1
  check_port "$(val "ORDERER${i}_PORT")" "$n gRPC"
  check_port "$(val "ORDERER${i}_ADMIN_PORT")" "$n admin"
  check_port "$(val "ORDERER${i}_OPS_PORT")" "$n operations"
  render_orderer "$n" "$i"
  mkdir -p "$STATE/data/$n"
  start_proc "$n" "$BIN_ORDERER" FABRIC_CFG_PATH="$STATE/nodes/$n" FABRIC_LOGGING_SPEC="${ORDERER_LOGGING:-info}" \
    $(maxprocs "$ORDERER_GOMAXPROCS") --
  return 0
}

# maxprocs N — the GOMAXPROCS=N setting of a process (ports.env), or nothing when N is empty.
maxprocs() { [[ -z $1 ]] || echo "GOMAXPROCS=$1"; }

start_peer() { # ORG
  local org=$1 u; u=$(upper "$org")
  alive "peer0.$org" && return 1
  check_port "$(val "${u}_PEER_PORT")" "peer0.$org gRPC"
  check_port "$(val "${u}_PEER_CC_PORT")" "peer0.$org chaincode listener"
  check_port "$(val "${u}_PEER_OPS_PORT")" "peer0.$org operations"
  render_peer "$org"
  mkdir -p "$STATE/data/peer0.$org"
  start_proc "peer0.$org" "$BIN_PEER" FABRIC_CFG_PATH="$STATE/nodes/peer0.$org" \
    FABRIC_LOGGING_SPEC="${PEER_LOGGING:-info}" $(maxprocs "$PEER_GOMAXPROCS") -- node start
  return 0
}

log_size() { stat -c %s "$STATE/logs/$1.log" 2>/dev/null || echo 0; }

wait_raft_leader() { # "name:offset ..." — wait until one of these logs shows a leader since offset
  local deadline=$((SECONDS + WAIT_SECS)) e n off
  while :; do
    for e in "$@"; do
      n=${e%%:*}; off=${e##*:}
      if tail -c +"$((off + 1))" "$STATE/logs/$n.log" 2>/dev/null | grep -Eq "Raft leader changed: [0-9]+ -> [1-9]"; then
        return 0
      fi
    done
    ((SECONDS < deadline)) || die "no Raft leader elected after ${WAIT_SECS}s (see $STATE/logs/orderer*.log)"
    sleep 0.1
  done
}

JOIN_MARKS=()
join_orderers() { # appends "orderer:logoffset" to JOIN_MARKS for each orderer that joins now
  local i a
  for i in 0 1 2; do
    # shellcheck disable=SC2046
    if "$BIN_OSNADMIN" channel list --channelID "$CHANNEL" $(osnadmin_args "$i") 2>/dev/null | grep -q '"name"'; then
      continue
    fi
    JOIN_MARKS+=("orderer$i:$(log_size "orderer$i")")
    log "orderer$i joins channel $CHANNEL (channel participation API)"
    # shellcheck disable=SC2046
    a=$("$BIN_OSNADMIN" channel join --channelID "$CHANNEL" --config-block "$STATE/channel/genesis.block" $(osnadmin_args "$i") 2>&1) ||
      die "osnadmin channel join on orderer$i failed: $a"
  done
}

# Peers join in parallel: a peer reaches the other organisations' anchor peers only once
# they have joined too (before, they do not know its CAs), so joining together lets the
# first gossip handshakes succeed instead of waiting for a retry.
join_peers() {
  local org pids=() p failed=0
  for org in $(orgs); do
    (
      if as_admin "$org" "$BIN_PEER" channel list 2>/dev/null | grep -qx "$CHANNEL"; then exit 0; fi
      log "peer0.$org joins channel $CHANNEL"
      as_admin "$org" "$BIN_PEER" channel join -b "$STATE/channel/genesis.block" >/dev/null 2>"$STATE/logs/join.$org.log" ||
        { cat "$STATE/logs/join.$org.log" >&2; die "peer0.$org could not join $CHANNEL"; }
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  ((failed == 0)) || die "joining the peers to $CHANNEL failed (see above)"
}

write_profiles() {
  local org o mspd user name
  mkdir -p "$STATE/profiles"
  rel() { echo "../${1#"$STATE"/}"; }
  for org in $(orgs); do
    for user in Admin User1; do
      name=$(profile_name "$org"); [[ $user == User1 ]] && name=$name-user
      mspd=$(org_dir "$org")/users/$user@$(org_domain "$org")/msp
      {
        echo "# Connection profile for $(org_msp "$org") ($user), written by network/fabric/network.sh."
        echo "# Paths are relative to this file. Read by certledger-gateway and the CLI (internal/profile)."
        echo "name: $name"
        echo "mspId: $(org_msp "$org")"
        echo "peer:"
        echo "  endpoint: $FABRIC_HOST:$(peer_port "$org")"
        echo "  serverName: peer0.$(org_domain "$org")"
        echo "  tlsCACert: $(rel "$(peer_tls_ca "$org")")"
        echo "fallbacks:"
        for o in $(orgs); do
          [[ $o == "$org" ]] && continue
          echo "  - endpoint: $FABRIC_HOST:$(peer_port "$o")"
          echo "    serverName: peer0.$(org_domain "$o")"
          echo "    tlsCACert: $(rel "$(peer_tls_ca "$o")")"
        done
        echo "certPath: $(rel "$mspd/signcerts/$user@$(org_domain "$org")-cert.pem")"
        echo "keyPath: $(rel "$mspd/keystore/priv_sk")"
        echo "channel: $CHANNEL"
        echo "chaincode: $CHAINCODE_NAME"
      } >"$STATE/profiles/$name.yaml"
    done
  done
}

# Before anything starts: every port of every node that is not running must be free.
preflight_ports() {
  local i org u
  for i in 0 1 2; do
    alive "orderer$i" && continue
    check_port "$(val "ORDERER${i}_PORT")" "orderer$i gRPC"
    check_port "$(val "ORDERER${i}_ADMIN_PORT")" "orderer$i admin"
    check_port "$(val "ORDERER${i}_OPS_PORT")" "orderer$i operations"
  done
  for org in $(orgs); do
    alive "peer0.$org" && continue
    u=$(upper "$org")
    check_port "$(val "${u}_PEER_PORT")" "peer0.$org gRPC"
    check_port "$(val "${u}_PEER_CC_PORT")" "peer0.$org chaincode listener"
    check_port "$(val "${u}_PEER_OPS_PORT")" "peer0.$org operations"
  done
}

cmd_up() {
  need_bins
  local t0 i org marks=() m
  t0=$(now_ms)
  preflight_ports
  generate
  for i in 0 1 2; do
    m="orderer$i:$(log_size "orderer$i")"
    # A started orderer logs "Raft leader changed" once it knows the leader: remember where
    # its log ended, to look only at what follows.
    if start_orderer "$i"; then marks+=("$m"); log "started orderer$i"; fi
  done
  for org in $(orgs); do
    if start_peer "$org"; then log "started peer0.$org"; fi
  done
  for i in 0 1 2; do wait_health "orderer$i" "$(val "ORDERER${i}_OPS_PORT")" "$ORDERER_CA"; done
  for org in $(orgs); do wait_health "peer0.$org" "$(val "$(upper "$org")_PEER_OPS_PORT")" "$(peer_tls_ca "$org")"; done
  join_orderers
  marks+=("${JOIN_MARKS[@]}")
  if ((${#marks[@]})); then
    log "waiting for a Raft leader"
    wait_raft_leader "${marks[@]}"
  fi
  join_peers
  demo_users
  write_profiles
  [[ -f $STATE/chaincode.env ]] && start_chaincodes
  log "network up in $(( $(now_ms) - t0 )) ms; profiles in $STATE/profiles"
}

# ---------------------------------------------------------------- chaincode

# chaincode.env (written by deploy/upgrade) records VERSION, SEQUENCE and, per org, the
# package id and port its certledger-chaincode serves.
load_cc() { [[ -f $STATE/chaincode.env ]] && source "$STATE/chaincode.env"; }

build_chaincode() {
  mkdir -p "$STATE/bin"
  if [[ -n ${CHAINCODE_BIN:-} ]]; then
    [[ -x $CHAINCODE_BIN ]] || die "CHAINCODE_BIN=$CHAINCODE_BIN is not an executable"
    cp "$CHAINCODE_BIN" "$STATE/bin/certledger-chaincode.new"
  else
    log "building certledger-chaincode from $REPO"
    (cd "$REPO" && go build -o "$STATE/bin/certledger-chaincode.new" ./chaincode/cmd/certledger-chaincode) ||
      die "go build ./chaincode/cmd/certledger-chaincode failed"
  fi
}

# package ORG LABEL PORT -> path of a CCaaS package (stable bytes, so a stable package id)
make_package() {
  local org=$1 label=$2 port=$3 d
  d=$STATE/packages/$label.$org; rm -rf "$d"; mkdir -p "$d/src"
  if [[ $CHAINCODE_TLS == true ]]; then
    # Mutual TLS between the peer and its org's chaincode server: the peer presents its own
    # TLS pair and checks the server against the org's TLS CA.
    jq -n --arg a "$FABRIC_HOST:$port" --rawfile key "$(peer_tls_dir "$org")/server.key" \
      --rawfile cert "$(peer_tls_dir "$org")/server.crt" --rawfile root "$(cc_tls_dir "$org")/ca.crt" \
      '{address: $a, dial_timeout: "10s", tls_required: true, client_auth_required: true,
        client_key: $key, client_cert: $cert, root_cert: $root}' >"$d/src/connection.json"
  else
    jq -n --arg a "$FABRIC_HOST:$port" '{address: $a, dial_timeout: "10s", tls_required: false}' >"$d/src/connection.json"
  fi
  jq -n --arg l "$label" '{type: "ccaas", label: $l}' >"$d/metadata.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d/src" -cf - connection.json | gzip -n >"$d/code.tar.gz"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d" -cf - code.tar.gz metadata.json | gzip -n >"$d/$label.tar.gz"
  echo "$d/$label.tar.gz"
}

cc_proc_name() { echo "cc.$1.$2"; } # ORG SEQUENCE

start_chaincode() { # ORG PACKAGE_ID PORT BINARY NAME
  local org=$1 id=$2 port=$3 exe=$4 name=$5
  alive "$name" && return 0
  check_port "$port" "certledger-chaincode of $org"
  local env=()
  if [[ $CHAINCODE_TLS == true ]]; then
    env=(CHAINCODE_TLS_CERT="$(cc_tls_dir "$org")/server.crt" CHAINCODE_TLS_KEY="$(cc_tls_dir "$org")/server.key"
      CHAINCODE_TLS_CLIENT_CA="$(cc_tls_dir "$org")/ca.crt")
  fi
  # certledger settings pass through: CERTLEDGER_MAX_SKEW.
  local v
  for v in CERTLEDGER_MAX_SKEW; do
    [[ -z ${!v:-} ]] || env+=("$v=${!v}")
  done
  start_proc "$name" "$exe" CHAINCODE_SERVER_ADDRESS="$FABRIC_HOST:$port" CHAINCODE_ID="$id" \
    CORE_CHAINCODE_ID_NAME="$id" $(maxprocs "$CHAINCODE_GOMAXPROCS") "${env[@]}" --
  local deadline=$((SECONDS + WAIT_SECS))
  until [[ -n $(port_owner "$port") ]]; do
    alive "$name" || fail_with_log "$name" "certledger-chaincode of $org exited"
    ((SECONDS < deadline)) || fail_with_log "$name" "certledger-chaincode of $org not listening on $port"
    sleep 0.05
  done
}

start_chaincodes() {
  load_cc || return 0
  local org u id port
  for org in $(orgs); do
    u=$(upper "$org")
    id=$(eval echo "\${CC_ID_$u:-}"); port=$(eval echo "\${CC_PORT_$u:-}")
    [[ -n $id ]] || continue
    alive "peer0.$org" || continue
    start_chaincode "$org" "$id" "$port" "$STATE/bin/certledger-chaincode.$SEQUENCE" "$(cc_proc_name "$org" "$SEQUENCE")"
  done
}

committed_sequence() { # -> "SEQUENCE VERSION" or nothing
  as_admin gov "$BIN_PEER" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CHAINCODE_NAME" -O json 2>/dev/null |
    jq -r '"\(.sequence) \(.version)"' 2>/dev/null || true
}

# release_org ORG VERSION SEQUENCE EXE OUTFILE — package (per org: its own address and TLS
# pair), install, start the org's certledger-chaincode, approve; records CC_ID/CC_PORT in OUTFILE.
release_org() {
  local org=$1 version=$2 seq=$3 exe=$4 out=$5 u port pkg id label
  u=$(upper "$org"); label=${CHAINCODE_NAME}_$version
  port=$(( $(val "${u}_CHAINCODE_PORT") + seq % 2 ))
  pkg=$(make_package "$org" "$label" "$port")
  id=$(as_admin "$org" "$BIN_PEER" lifecycle chaincode calculatepackageid "$pkg")
  installed() {
    as_admin "$org" "$BIN_PEER" lifecycle chaincode queryinstalled -O json 2>/dev/null |
      jq -e --arg id "$id" '.installed_chaincodes[]? | select(.package_id==$id)' >/dev/null
  }
  installed || log "installing $label on peer0.$org"
  retry "install on peer0.$org" "$STATE/logs/install.$org.log" installed \
    as_admin "$org" "$BIN_PEER" lifecycle chaincode install "$pkg"
  # During an upgrade the new server runs next to the old one (the other port of the pair)
  # until the new definition is committed.
  start_chaincode "$org" "$id" "$port" "$exe" "$(cc_proc_name "$org" "$seq")"
  { echo "CC_ID_$u=$id"; echo "CC_PORT_$u=$port"; } >"$out"
  approved() {
    as_admin "$org" "$BIN_PEER" lifecycle chaincode queryapproved -C "$CHANNEL" -n "$CHAINCODE_NAME" --sequence "$seq" -O json 2>/dev/null |
      jq -e --arg id "$id" '.source.Type.LocalPackage.package_id == $id' >/dev/null 2>&1
  }
  approved || log "approving $label (sequence $seq) for $(org_msp "$org")"
  # shellcheck disable=SC2046
  retry "approve for $(org_msp "$org")" "$STATE/logs/approve.$org.log" approved \
    as_admin "$org" "$BIN_PEER" lifecycle chaincode approveformyorg $(orderer_args) -C "$CHANNEL" \
    -n "$CHAINCODE_NAME" -v "$version" --sequence "$seq" --package-id "$id" --waitForEvent
}

# release VERSION SEQUENCE [ORG] — release_org for every org (in parallel) or one org
# (add-org), commit the definition when every org has approved, retire older servers.
release() {
  local version=$1 seq=$2 only=${3:-} org exe pids=() failed=0 p cur f n
  exe=$STATE/bin/certledger-chaincode.$seq
  [[ -f $exe ]] || mv "$STATE/bin/certledger-chaincode.new" "$exe"
  rm -f "$STATE/bin/certledger-chaincode.new"
  mkdir -p "$STATE/release"
  for org in ${only:-$(orgs)}; do
    release_org "$org" "$version" "$seq" "$exe" "$STATE/release/$org.env" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  ((failed == 0)) || die "releasing $CHAINCODE_NAME $version failed (see above)"
  if [[ -z $only ]]; then
    committed() { [[ $(committed_sequence) == "$seq "* ]]; }
    committed || log "committing $CHAINCODE_NAME $version sequence $seq (endorsement policy: channel MAJORITY)"
    # shellcheck disable=SC2046
    retry "commit of $CHAINCODE_NAME $version sequence $seq" "$STATE/logs/commit.log" committed \
      as_admin gov "$BIN_PEER" lifecycle chaincode commit $(orderer_args) -C "$CHANNEL" \
      -n "$CHAINCODE_NAME" -v "$version" --sequence "$seq" $(all_peer_args) --waitForEvent
  fi
  RELEASED_AT=$(now_ms)
  {
    echo "VERSION=$version"; echo "SEQUENCE=$seq"
    for org in $(orgs); do
      if [[ -f $STATE/release/$org.env ]]; then cat "$STATE/release/$org.env"
      elif [[ -f $STATE/chaincode.env ]]; then grep -E "^CC_(ID|PORT)_$(upper "$org")=" "$STATE/chaincode.env" || true
      fi
    done
  } >"$STATE/chaincode.env.next"
  mv "$STATE/chaincode.env.next" "$STATE/chaincode.env"
  rm -rf "$STATE/release"
  # Retire the servers of older sequences.
  for org in ${only:-$(orgs)}; do
    for f in "$STATE"/pids/cc."$org".*.pid; do
      [[ -e $f ]] || continue
      n=$(basename "$f" .pid)
      [[ $n == "$(cc_proc_name "$org" "$seq")" ]] || stop_proc "$n"
    done
  done
  find "$STATE/bin" -name 'certledger-chaincode.*' ! -name "certledger-chaincode.$seq" -delete
}

initialised() {
  as_admin gov "$BIN_PEER" chaincode query -C "$CHANNEL" -n "$CHAINCODE_NAME" -c '{"Args":["registry:GetGovernance"]}' >/dev/null 2>&1
}

ensure_init() {
  initialised || log "invoking registry:Init(GovMSP) as the governance admin"
  # shellcheck disable=SC2046
  retry "registry:Init" "$STATE/logs/init.log" initialised \
    as_admin gov "$BIN_PEER" chaincode invoke $(orderer_args) -C "$CHANNEL" -n "$CHAINCODE_NAME" \
    $(all_peer_args) -c '{"Args":["registry:Init","GovMSP"]}' --waitForEvent
}

RELEASED_AT=0
# Gateway endorsement plans come from gossip: wait until every peer sees the other
# organisations' peers, then two state-info rounds (publishStateInfoInterval 1 s in
# core.yaml) so that they also know the new chaincode definition is installed there.
wait_gossip() {
  local org n want deadline=$((SECONDS + WAIT_SECS)) tls
  want=$(( $(orgs | wc -w) - 1 ))
  for org in $(orgs); do
    alive "peer0.$org" || continue
    tls=$(org_dir "$org")/users/Admin@$(org_domain "$org")/tls
    while :; do
      n=$(curl -s --max-time 2 --cacert "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" \
        "https://$FABRIC_HOST:$(val "$(upper "$org")_PEER_OPS_PORT")/metrics" |
        awk -v c="$CHANNEL" '$1 == "gossip_membership_total_peers_known{channel=\"" c "\"}" {print $2}')
      [[ ${n:-0} -ge $want ]] && break
      ((SECONDS < deadline)) || { log "warning: peer0.$org knows ${n:-0} of $want other peers after ${WAIT_SECS}s"; break; }
      sleep 0.2
    done
  done
  # Two state-info rounds after the definition was committed (or this org installed it).
  local left=$(( ${RELEASED_AT:-0} + 2000 - $(now_ms) ))
  ((left <= 0)) || sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
}

need_up() {
  local n
  for n in $ORDERERS; do alive "$n" || die "$n is not running: run network.sh up first"; done
  for n in $(orgs); do alive "peer0.$n" || die "peer0.$n is not running: run network.sh up first"; done
}

cmd_deploy() {
  need_bins
  need_up
  local t0 cur
  t0=$(now_ms)
  cur=$(committed_sequence)
  if [[ -n $cur && -f $STATE/chaincode.env ]]; then
    start_chaincodes
    ensure_init
    load_cc
    log "$CHAINCODE_NAME $VERSION (sequence $SEQUENCE) already deployed; network.sh upgrade rolls out a new build"
    return 0
  fi
  build_chaincode
  local seq=1 version=${CC_VERSION:-1.0}
  [[ -n $cur ]] && seq=$(( ${cur%% *} + 1 ))
  release "$version" "$seq"
  ensure_init
  wait_gossip
  log "deployed $CHAINCODE_NAME $version (sequence $seq) in $(( $(now_ms) - t0 )) ms"
}

cmd_upgrade() {
  need_bins
  need_up
  local t0 cur seq version
  t0=$(now_ms)
  cur=$(committed_sequence)
  [[ -n $cur ]] || die "$CHAINCODE_NAME is not deployed yet: network.sh deploy"
  seq=$(( ${cur%% *} + 1 ))
  version=${1:-${CC_VERSION:-1.$((seq - 1))}}
  build_chaincode
  release "$version" "$seq"
  ensure_init
  wait_gossip
  log "upgraded $CHAINCODE_NAME to $version (sequence $seq) in $(( $(now_ms) - t0 )) ms"
}

# ---------------------------------------------------------------- add-org

cmd_add_org() {
  local org=${1:-}
  [[ -n $org ]] || die "usage: network.sh add-org ORG (e.g. deptc)"
  need_bins configtxlator
  need_up
  org_msp "$org" >/dev/null
  [[ -f $HERE/crypto/$org.yaml ]] || die "no crypto definition network/fabric/crypto/$org.yaml"
  local msp t0 w
  msp=$(org_msp "$org"); t0=$(now_ms)
  w=$STATE/add-org/$org; mkdir -p "$w"
  [[ -d $(org_dir "$org") ]] || "$BIN_CRYPTOGEN" generate --config="$HERE/crypto/$org.yaml" --output="$CRYPTO" >/dev/null
  render_configtx

  # shellcheck disable=SC2046
  as_admin gov "$BIN_PEER" channel fetch config "$w/config_block.pb" $(orderer_args) -c "$CHANNEL" >/dev/null 2>"$w/fetch.log" ||
    { cat "$w/fetch.log" >&2; die "fetching the channel config failed"; }
  "$BIN_CONFIGTXLATOR" proto_decode --input "$w/config_block.pb" --type common.Block |
    jq '.data.data[0].payload.data.config' >"$w/config.json"
  if jq -e --arg m "$msp" '.channel_group.groups.Application.groups[$m]' "$w/config.json" >/dev/null; then
    log "$msp is already on channel $CHANNEL"
  else
    log "config update: add $msp to channel $CHANNEL"
    "$BIN_CONFIGTXGEN" -configPath "$STATE/config" -printOrg "$msp" >"$w/org.json" 2>"$w/printorg.log" ||
      { cat "$w/printorg.log" >&2; die "configtxgen -printOrg $msp failed"; }
    jq --arg m "$msp" --arg h "$FABRIC_HOST" --argjson p "$(peer_port "$org")" \
      --slurpfile org "$w/org.json" '
      .channel_group.groups.Application.groups[$m] = ($org[0]
        | del(.values.Endpoints)
        | .values.AnchorPeers = {mod_policy: "Admins", value: {anchor_peers: [{host: $h, port: $p}]}, version: "0"})' \
      "$w/config.json" >"$w/modified.json"
    "$BIN_CONFIGTXLATOR" proto_encode --input "$w/config.json" --type common.Config --output "$w/config.pb"
    "$BIN_CONFIGTXLATOR" proto_encode --input "$w/modified.json" --type common.Config --output "$w/modified.pb"
    "$BIN_CONFIGTXLATOR" compute_update --channel_id "$CHANNEL" --original "$w/config.pb" --updated "$w/modified.pb" --output "$w/update.pb"
    "$BIN_CONFIGTXLATOR" proto_decode --input "$w/update.pb" --type common.ConfigUpdate |
      jq --arg c "$CHANNEL" '{payload: {header: {channel_header: {channel_id: $c, type: 2}}, data: {config_update: .}}}' >"$w/envelope.json"
    "$BIN_CONFIGTXLATOR" proto_encode --input "$w/envelope.json" --type common.Envelope --output "$w/update_envelope.pb"
    # Application Admins = MAJORITY Admins: sign with the admins of a majority of the current
    # orgs; `channel update` adds the submitter's signature.
    local cur=() o need i
    for o in $(orgs); do [[ $o == "$org" ]] || cur+=("$o"); done
    need=$(( ${#cur[@]} / 2 + 1 ))
    for ((i = 0; i < need - 1; i++)); do
      as_admin "${cur[$i]}" "$BIN_PEER" channel signconfigtx -f "$w/update_envelope.pb" 2>"$w/sign.log" >/dev/null ||
        { cat "$w/sign.log" >&2; die "signing by ${cur[$i]} failed"; }
    done
    # shellcheck disable=SC2046
    as_admin "${cur[$((need - 1))]}" "$BIN_PEER" channel update -f "$w/update_envelope.pb" -c "$CHANNEL" $(orderer_args) \
      >/dev/null 2>"$w/update.log" || { cat "$w/update.log" >&2; die "channel update failed"; }
  fi
  grep -qx "$org" "$STATE/orgs.added" 2>/dev/null || echo "$org" >>"$STATE/orgs.added"
  start_peer "$org" && log "started peer0.$org" || true
  wait_health "peer0.$org" "$(val "$(upper "$org")_PEER_OPS_PORT")" "$(peer_tls_ca "$org")"
  join_peers
  demo_users
  write_profiles
  # Chaincode: the new org installs the current package and approves the committed definition.
  if load_cc; then
    cp -f "$STATE/bin/certledger-chaincode.$SEQUENCE" "$STATE/bin/certledger-chaincode.new" 2>/dev/null || build_chaincode
    release "$VERSION" "$SEQUENCE" "$org"
  fi
  wait_gossip
  log "$msp added in $(( $(now_ms) - t0 )) ms; register its department with registry:RegisterDepartment"
}

# ---------------------------------------------------------------- status, logs, stop, down

# ---------------------------------------------------------------- people

# The demo people `up` issues identities for (ORG:NAME): a clerk per department and the
# auditor, all node OU client (the auditor is not an administrator).
DEMO_USERS="depta:clerk1 deptb:clerk1 gov:auditor"

user_dir() { echo "$(org_dir "$1")/users/$2@$(org_domain "$1")"; }

# issue_user ORG NAME ROLE: a client identity signed by ORG's CA (the key cryptogen made),
# laid out as cryptogen lays out User1: msp/{signcerts,keystore,cacerts,tlscacerts,config.yaml}.
# Its CN, NAME@<org domain>, is the operator id the chaincode records. Done once per name.
issue_user() {
  local org=$1 name=$2 role=$3 dir ca tmp cn
  [[ $name =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || die "user name '$name': lowercase letters, digits, '.', '_' or '-'"
  [[ ${name,,} != admin && ${name,,} != user1 ]] || die "user name '$name' is reserved for cryptogen's identities"
  [[ $role == client || $role == admin ]] || die "role '$role' must be client or admin"
  command -v openssl >/dev/null || die "openssl is needed to issue user certificates"
  dir=$(user_dir "$org" "$name")
  [[ -e $dir ]] && return 1
  ca=$(org_dir "$org")/ca
  [[ -f $ca/priv_sk ]] || die "no CA key for $org in $ca (run network.sh up first)"
  cn=$name@$(org_domain "$org")
  tmp=$(mktemp -d "$(org_dir "$org")/users/.new.XXXXXX")
  mkdir -p "$tmp/msp/signcerts" "$tmp/msp/keystore"
  cp -r "$(org_dir "$org")/users/User1@$(org_domain "$org")/msp/"{cacerts,tlscacerts,config.yaml} "$tmp/msp/"
  (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/msp/keystore/priv_sk" 2>/dev/null)
  printf '%s\n' "keyUsage=critical,digitalSignature" "basicConstraints=critical,CA:FALSE" \
    "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" >"$tmp/ext.cnf"
  openssl req -new -key "$tmp/msp/keystore/priv_sk" -subj "/C=US/ST=California/L=San Francisco/OU=$role/CN=$cn" \
    -out "$tmp/req.csr" 2>/dev/null &&
    openssl x509 -req -in "$tmp/req.csr" -CA "$ca/ca.$(org_domain "$org")-cert.pem" -CAkey "$ca/priv_sk" \
      -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$tmp/ext.cnf" \
      -out "$tmp/msp/signcerts/$cn-cert.pem" 2>"$tmp/x509.log" ||
    { cat "$tmp/x509.log" >&2; rm -rf "$tmp"; die "issuing $cn failed"; }
  rm -f "$tmp/req.csr" "$tmp/ext.cnf" "$tmp/x509.log"
  mv "$tmp" "$dir"
}

# user_paths ORG NAME: the cert and key a gateway principal's identity names.
user_paths() {
  local msp; msp=$(user_dir "$1" "$2")/msp
  echo "  cert: $msp/signcerts/$2@$(org_domain "$1")-cert.pem"
  echo "  key:  $msp/keystore/priv_sk"
}

demo_users() {
  local u
  for u in $DEMO_USERS; do
    if issue_user "${u%%:*}" "${u#*:}" client; then log "issued ${u#*:}@$(org_domain "${u%%:*}") (client) from the ${u%%:*} CA"; fi
  done
}

cmd_user_add() {
  local org=${1:-} name=${2:-} role=${3:-client}
  [[ -n $org && -n $name ]] || die "usage: network.sh user-add ORG NAME [client|admin]"
  org_msp "$org" >/dev/null
  [[ -d $(org_dir "$org") ]] || die "organisation $org has no crypto material yet (network.sh up)"
  issue_user "$org" "$name" "$role" || die "user $name@$(org_domain "$org") already exists: $(user_dir "$org" "$name")"
  echo "$name@$(org_domain "$org") ($(org_msp "$org"), $role)"
  user_paths "$org" "$name"
}

cmd_status() {
  [[ -d $STATE ]] || { echo "network: down (no state in $STATE)"; return 0; }
  local f n pid h org
  printf '%-18s %-8s %-8s %s\n' PROCESS PID STATE HEALTH
  for f in "$STATE"/pids/*.pid; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .pid); pid=$(recorded_pid "$n"); h=-
    if alive "$n"; then
      case $n in
        orderer*) h=$(curl -s --max-time 2 --cacert "$ORDERER_CA" "https://$FABRIC_HOST:$(val "ORDERER${n#orderer}_OPS_PORT")/healthz" | jq -r .status 2>/dev/null || echo "?") ;;
        peer0.*) org=${n#peer0.}; h=$(curl -s --max-time 2 --cacert "$(peer_tls_ca "$org")" "https://$FABRIC_HOST:$(val "$(upper "$org")_PEER_OPS_PORT")/healthz" | jq -r .status 2>/dev/null || echo "?") ;;
      esac
      printf '%-18s %-8s %-8s %s\n' "$n" "$pid" running "$h"
    else
      printf '%-18s %-8s %-8s %s\n' "$n" "$pid" stopped -
    fi
  done
  if need_bins >/dev/null 2>&1; then
    for org in $(orgs); do
      alive "peer0.$org" || continue
      echo "peer0.$org $CHANNEL: $(as_admin "$org" "$BIN_PEER" channel getinfo -c "$CHANNEL" 2>/dev/null | sed 's/^Blockchain info: //')"
    done
    alive peer0.gov && echo "chaincode: $(committed_sequence | awk '{ if ($1) print "'"$CHAINCODE_NAME"' version " $2 " sequence " $1; else print "not deployed" }')"
  fi
  echo "profiles: $STATE/profiles"
}

cmd_logs() {
  [[ -d $STATE/logs ]] || die "no logs: the network is down (no state in $STATE)"
  local n=${1:-} follow=
  [[ ${2:-} == -f || $n == -f ]] && follow=-f
  [[ $n == -f ]] && n=
  if [[ -n $n ]]; then
    [[ -f $STATE/logs/$n.log ]] || die "no log $STATE/logs/$n.log (names: $(ls "$STATE/logs" 2>/dev/null | sed 's/\.log$//' | tr '\n' ' '))"
    tail -n 100 $follow "$STATE/logs/$n.log"
  else
    tail -n 20 $follow "$STATE"/logs/*.log
  fi
}

cmd_stop() {
  local n=${1:-}
  [[ -n $n ]] || die "usage: network.sh stop NODE (one of: $(ls "$STATE/pids" 2>/dev/null | sed 's/\.pid$//' | tr '\n' ' '))"
  [[ -f $(pidfile "$n") ]] || die "no recorded process $n (one of: $(ls "$STATE/pids" 2>/dev/null | sed 's/\.pid$//' | tr '\n' ' '))"
  stop_proc "$n" keep
}

cmd_down() {
  local f n
  if [[ -d $STATE/pids ]]; then
    # Chaincode servers first, then peers, then orderers; only PIDs this script recorded.
    for f in "$STATE"/pids/cc.*.pid "$STATE"/pids/peer0.*.pid "$STATE"/pids/orderer*.pid; do
      [[ -e $f ]] || continue
      n=$(basename "$f" .pid)
      stop_proc "$n"
    done
  fi
  if [[ -d $STATE ]]; then
    rm -rf "$STATE"
    log "network down; removed $STATE"
  else
    log "network already down"
  fi
}

cmd_download() {
  local dir=${1:-} url tmp sum
  [[ -n $dir ]] || die "usage: FABRIC_SHA256=<sha256 from the release page> network.sh download DIR"
  [[ -n ${FABRIC_SHA256:-} ]] || die "FABRIC_SHA256 is not set: copy the SHA-256 of hyperledger-fabric-linux-amd64-$FABRIC_RELEASE.tar.gz from https://github.com/hyperledger/fabric/releases/tag/v$FABRIC_RELEASE"
  url=https://github.com/hyperledger/fabric/releases/download/v$FABRIC_RELEASE/hyperledger-fabric-linux-amd64-$FABRIC_RELEASE.tar.gz
  tmp=$(mktemp)
  log "downloading $url"
  curl -fL --retry 3 -o "$tmp" "$url" || { rm -f "$tmp"; die "download failed (offline?)"; }
  sum=$(sha256sum "$tmp" | cut -d' ' -f1)
  [[ $sum == "$FABRIC_SHA256" ]] || { rm -f "$tmp"; die "checksum mismatch: got $sum, want $FABRIC_SHA256"; }
  mkdir -p "$dir" && tar -xzf "$tmp" -C "$dir" && rm -f "$tmp"
  log "unpacked into $dir: export FABRIC_BIN=$dir/bin (ccaas builder in $dir/builders/ccaas)"
}

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
  local cmd=${1:-}; shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    deploy) cmd_deploy "$@" ;;
    upgrade) cmd_upgrade "$@" ;;
    add-org) cmd_add_org "$@" ;;
    user-add) cmd_user_add "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    stop) cmd_stop "$@" ;;
    download) cmd_download "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
