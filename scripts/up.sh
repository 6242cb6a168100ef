#!/usr/bin/env bash
# make up: start the embedded ledger (certledger-devnet) and the gateway
# (certledger-gateway) in the background with their data under ./.run, seed the
# two demo departments (dept-a, dept-b) with SM2 keys made by the certledger CLI
# and unified social credit codes, seed a small certificate type catalogue, and
# print what to try next.
#
# Safe to run twice: what runs keeps running, what exists is kept (no second
# registration, no new keys or tokens). `make down` stops both.
#
# Environment (all optional):
#   CERTLEDGER_RUN_DIR  data folder (default ./.run)
#   DEVNET_ADDR         devnet gRPC listen address (default 127.0.0.1:7051)
#   GATEWAY_ADDR        gateway HTTP listen address (default 127.0.0.1:8080)
#   OPERATIONS_ADDR     gateway operations listener: /metrics, /readyz (default 127.0.0.1:9444)
#   CERTLEDGER_BIN      folder of the built binaries (default ./bin)
# Needs only what `make build` put in ./bin, bash and coreutils.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=${CERTLEDGER_RUN_DIR:-$ROOT/.run}
BIN=${CERTLEDGER_BIN:-$ROOT/bin}
DEVNET_ADDR=${DEVNET_ADDR:-127.0.0.1:7051}
GATEWAY_ADDR=${GATEWAY_ADDR:-127.0.0.1:8080}
OPERATIONS_ADDR=${OPERATIONS_ADDR:-127.0.0.1:9444}
URL=http://$GATEWAY_ADDR

for b in certledger certledger-devnet certledger-gateway; do
  [ -x "$BIN/$b" ] || { echo "up: $BIN/$b is missing; run 'make up' (it builds first) or 'make build'" >&2; exit 2; }
done
mkdir -p "$RUN/logs" "$RUN/keys"
RUN=$(cd "$RUN" && pwd)

# rel PATH: PATH relative to the repository when it is inside it (for the printed commands).
rel() { case $1 in "$ROOT"/*) echo "${1#"$ROOT"/}" ;; *) echo "$1" ;; esac; }
# alive PIDFILE: the recorded process runs, and is ours (a stale pid may have been reused).
alive() {
  local pid
  [ -f "$1" ] && pid=$(cat "$1") && kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "certledger-$(basename "$1" .pid)"
}
port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
# http_ok ADDR PATH: a GET answered 200 (bash's /dev/tcp, so curl is not needed).
http_ok() {
  local line
  exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$1" >&3
  IFS= read -r -t 5 line <&3 || true
  exec 3<&- 3>&-
  [[ $line == "HTTP/1."?" 200"* ]]
}
# wait_for PIDFILE LOG DESCRIPTION COMMAND...: until COMMAND succeeds (30 s), or the process dies.
wait_for() {
  local pidf=$1 log=$2 what=$3; shift 3
  for _ in $(seq 1 300); do
    "$@" >/dev/null 2>&1 && return 0
    if ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
      echo "up: $what exited; last lines of $log:" >&2; tail -n 20 "$log" >&2; rm -f "$pidf"; exit 1
    fi
    sleep 0.1
  done
  echo "up: $what did not come up within 30 s; see $log" >&2; exit 1
}

# 1. The devnet: organisations gov (governance, GovMSP), dept-a (DeptAMSP) and
#    dept-b (DeptBMSP) with their CAs, identities and connection profiles, once.
#    Its first start commits registry:Init(GovMSP): the governance organisation.
if [ ! -f "$RUN/devnet/devnet.yaml" ]; then
  "$BIN/certledger-devnet" --dir "$RUN/devnet" init --listen "$DEVNET_ADDR" >"$RUN/logs/devnet-init.log" 2>&1 ||
    { cat "$RUN/logs/devnet-init.log" >&2; exit 1; }
  echo "devnet initialised in $(rel "$RUN/devnet")"
fi
if alive "$RUN/devnet.pid"; then
  echo "devnet already running (pid $(cat "$RUN/devnet.pid"))"
else
  if port_busy "$DEVNET_ADDR"; then
    echo "up: $DEVNET_ADDR is taken by another process (set DEVNET_ADDR=127.0.0.1:PORT)" >&2; exit 1
  fi
  nohup "$BIN/certledger-devnet" --dir "$RUN/devnet" start --listen "$DEVNET_ADDR" \
    >>"$RUN/logs/devnet.log" 2>&1 </dev/null &
  echo $! >"$RUN/devnet.pid"
  wait_for "$RUN/devnet.pid" "$RUN/logs/devnet.log" "devnet on $DEVNET_ADDR" port_busy "$DEVNET_ADDR"
  echo "devnet started on $DEVNET_ADDR (pid $(cat "$RUN/devnet.pid"), log $(rel "$RUN/logs/devnet.log"))"
fi

# 1b. People, not organisations (docs/people.md): a clerk of each department and
#     the auditor get client certificates of their own from their organisation's
#     CA (node OU client: the auditor is not an administrator), once. The gateway
#     signs each caller's ledger calls with its identity, so traces name the clerk.
user_add() { # user_add ORG NAME
  [ -f "$RUN/devnet/orgs/$1/users/$2/msp/signcerts/cert.pem" ] && return 0
  "$BIN/certledger-devnet" --dir "$RUN/devnet" user add --org "$1" --name "$2" --role client >>"$RUN/logs/devnet-init.log" 2>&1 ||
    { echo "up: adding user $2 to $1 failed; see $RUN/logs/devnet-init.log" >&2; exit 1; }
  echo "identity $2@$1 issued by the $1 CA (client)"
}
user_add dept-a clerk1
user_add dept-b clerk1
user_add gov auditor
# identity ORG NAME: the gateway config's identity of that user (paths relative to gateway.yaml).
identity() { echo "{cert: devnet/orgs/$1/users/$2/msp/signcerts/cert.pem, key: devnet/orgs/$1/users/$2/msp/keystore/priv_sk}"; }

# 2. The gateway. Bearer tokens are made once; the plaintext stays in tokens.env
#    (mode 0600), the gateway's config holds only their SHA-256. The governance
#    admin's token acts as the gov Admin (an administrator's identity); the clerks'
#    and the auditor's tokens sign with their own identities (1b).
if [ ! -f "$RUN/tokens.env" ]; then
  tok() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  (umask 077; {
    echo "GOV_TOKEN=$(tok)"
    echo "DEPT_A_TOKEN=$(tok)"
    echo "DEPT_B_TOKEN=$(tok)"
    echo "AUDITOR_TOKEN=$(tok)"
  } >"$RUN/tokens.env")
fi
# shellcheck disable=SC1091
source "$RUN/tokens.env"
# One file per token (mode 0600) for `certledger --token-file`: a token given as
# --token would be visible to every local user in /proc/PID/cmdline.
mkdir -p "$RUN/tokens" && chmod 700 "$RUN/tokens"
(umask 077
  printf '%s\n' "$GOV_TOKEN" >"$RUN/tokens/gov.token"
  printf '%s\n' "$DEPT_A_TOKEN" >"$RUN/tokens/dept-a.token"
  printf '%s\n' "$DEPT_B_TOKEN" >"$RUN/tokens/dept-b.token"
  printf '%s\n' "$AUDITOR_TOKEN" >"$RUN/tokens/auditor.token")
hash_token() { printf '%s\n' "$1" | "$BIN/certledger-gateway" hash-token; }
# The governance office's SM2 key signs the trust bundle; the gateway pins its
# fingerprint and serves the bundle governance publishes (docs/trust.md).
GOV_KEY=$RUN/keys/governance.pem
[ -f "$GOV_KEY" ] || "$BIN/certledger" keys generate --out "$GOV_KEY" --pub-out "$RUN/keys/governance.pub" >/dev/null
PIN=$("$BIN/certledger" trust fingerprint "$GOV_KEY" -o json | sed -n 's/.*"fingerprint": *"\([0-9a-f]*\)".*/\1/p')
if ! alive "$RUN/gateway.pid"; then
  cat >"$RUN/gateway.yaml" <<YAML
# written by scripts/up.sh
listen: $GATEWAY_ADDR
operations: {listen: $OPERATIONS_ADDR}   # /metrics, /healthz, /readyz: operators only
publicURL: $URL
governanceDepartment: gov
batchDir: $RUN/batches
orgs:
  - {name: gov, profile: devnet/profiles/gov.yaml}
  - {name: dept-a, profile: devnet/profiles/dept-a.yaml}
  - {name: dept-b, profile: devnet/profiles/dept-b.yaml}
tokens:
  - {id: gov-admin, sha256: $(hash_token "$GOV_TOKEN"), department: gov, org: gov, role: admin}
  - {id: dept-a-clerk, sha256: $(hash_token "$DEPT_A_TOKEN"), department: dept-a, org: dept-a, role: clerk, identity: $(identity dept-a clerk1)}
  - {id: dept-b-clerk, sha256: $(hash_token "$DEPT_B_TOKEN"), department: dept-b, org: dept-b, role: clerk, identity: $(identity dept-b clerk1)}
  - {id: auditor, sha256: $(hash_token "$AUDITOR_TOKEN"), department: gov, org: gov, role: auditor, identity: $(identity gov auditor)}
trust: {pin: $PIN, bundleFile: trust/bundle.json}
YAML
  if port_busy "$GATEWAY_ADDR"; then
    echo "up: $GATEWAY_ADDR is taken by another process (set GATEWAY_ADDR=127.0.0.1:PORT)" >&2; exit 1
  fi
  nohup "$BIN/certledger-gateway" --config "$RUN/gateway.yaml" >>"$RUN/logs/gateway.log" 2>&1 </dev/null &
  echo $! >"$RUN/gateway.pid"
  wait_for "$RUN/gateway.pid" "$RUN/logs/gateway.log" "gateway on $URL" http_ok "$GATEWAY_ADDR" /readyz
  echo "gateway started on $URL (pid $(cat "$RUN/gateway.pid"), log $(rel "$RUN/logs/gateway.log"))"
else
  URL=$(sed -n 's/^publicURL: //p' "$RUN/gateway.yaml")
  GATEWAY_ADDR=${URL#http://}
  echo "gateway already running on $URL (pid $(cat "$RUN/gateway.pid"))"
  wait_for "$RUN/gateway.pid" "$RUN/logs/gateway.log" "gateway on $URL" http_ok "$GATEWAY_ADDR" /readyz
fi

# env.sh: what the commands below need (source it in your shell).
{
  echo "# written by scripts/up.sh: source it to use bin/certledger against the demo"
  # The token files, not the tokens: commands name them with --token-file.
  echo "export GOV_TOKEN_FILE=$RUN/tokens/gov.token"
  echo "export DEPT_A_TOKEN_FILE=$RUN/tokens/dept-a.token"
  echo "export DEPT_B_TOKEN_FILE=$RUN/tokens/dept-b.token"
  echo "export AUDITOR_TOKEN_FILE=$RUN/tokens/auditor.token"
  echo "export CERTLEDGER_GATEWAY=$URL"
  echo "export CERTLEDGER_TRUST_PIN=$PIN"
  echo "export PATH=\"$BIN:\$PATH\""
} >"$RUN/env.sh"
chmod 600 "$RUN/env.sh"

# 3. Seed: one SM2 key per department, made by the CLI, registered by the governance admin.
CL=("$BIN/certledger" --gateway "$URL")
seed() { # seed ID MSPID NAME CODE CATEGORY...
  local id=$1 msp=$2 name=$3 code=$4; shift 4
  local key=$RUN/keys/$id.pem pub=$RUN/keys/$id.pub out rc
  if [ ! -f "$key" ]; then
    "${CL[@]}" keys generate --out "$key" --pub-out "$pub" >/dev/null
  fi
  set +e; out=$("${CL[@]}" dept show "$id" 2>&1); rc=$?; set -e
  case $rc in
    0) echo "department $id already registered" ;;
    1)
      local cats=()
      for c in "$@"; do cats+=(--category "$c"); done
      out=$("${CL[@]}" --token-file "$RUN/tokens/gov.token" dept register --id "$id" --name "$name" --code "$code" --msp-id "$msp" \
        "${cats[@]}" --pub "$pub") || exit 1
      echo "${out%%$'\n'*}; key $(rel "$key")"
      ;;
    *) echo "up: looking up department $id: $out" >&2; exit 1 ;;
  esac
  # A department registered before codes existed gets its code now.
  if [ "$rc" = 0 ] && ! grep -q "^code:" <<<"$out"; then
    "${CL[@]}" --token-file "$RUN/tokens/gov.token" dept set-code "$id" "$code" >/dev/null || exit 1
    echo "department $id: unified social credit code $code set"
  fi
}
# Demo codes (fictitious, with valid GB 32100 check characters).
seed dept-a DeptAMSP "Market Regulation Bureau" 11330100MB1234567E business-licence food-safety
seed dept-b DeptBMSP "Housing and Construction Bureau" 11330100MB0000010P housing property

# 4. A small certificate type catalogue (证照类型). Registering the first type puts the
#    catalogue in force: from then on the ledger issues only v2 certificates of
#    catalogue types, by departments granted them.
seed_type() { # seed_type CODE NAME NAME_EN DEFINING_BODY HOLDER_CODE_TYPE VALIDITY ISSUER
  local out rc
  set +e; out=$("${CL[@]}" type show "$1" 2>&1); rc=$?; set -e
  case $rc in
    0) echo "certificate type $1 ($2) already in the catalogue" ;;
    1)
      local validity=()
      [ -n "$6" ] && validity=(--default-validity "$6")
      out=$("${CL[@]}" --token-file "$RUN/tokens/gov.token" type add --code "$1" --name "$2" --name-en "$3" \
        --defining-body "$4" --holder-code-type "$5" "${validity[@]}" --issuer "$7") || exit 1
      echo "${out%%$'\n'*} ($2, issued by $7)"
      ;;
    *) echo "up: looking up certificate type $1: $out" >&2; exit 1 ;;
  esac
}
seed_type 11100000MB0143028R001 营业执照 "Business licence" 国家市场监督管理总局 001 P20Y dept-a
seed_type 11100000000013338W011 不动产权证书 "Real estate title certificate" 自然资源部 111 "" dept-b
DEMO_ID=$("${CL[@]}" id build --type 11100000MB0143028R001 --issuer-code 11330100MB1234567E --serial 2026000001)

# 5. The official holiday schedules shipped in data/calendar (docs/calendar.md), each
#    loaded once by the governance admin: work-order deadlines count working days with them.
for f in "$ROOT"/data/calendar/*.json; do
  y=$(basename "$f" .json)
  if "${CL[@]}" --token-file "$RUN/tokens/gov.token" -o json calendar show --year "$y" | grep -q '"schedule": *null'; then
    out=$("${CL[@]}" --token-file "$RUN/tokens/gov.token" calendar load "$f") || exit 1
    echo "${out%%$'\n'*}"
  fi
done

# 6. The trust bundle: exported from the registry and the channel, signed with the
#    governance key, published to the gateway (a gateway started without a trust pin
#    by an older up.sh refuses it: make down && make up).
mkdir -p "$RUN/trust"
if "${CL[@]}" --token-file "$RUN/tokens/gov.token" trust export --key "$GOV_KEY" --out "$RUN/trust/export.json" --force --publish >/dev/null; then
  echo "trust bundle published (governance fingerprint $PIN)"
else
  echo "up: the trust bundle was not published (see above); offline verification has no current bundle" >&2
fi

R=$(rel "$RUN")
mkdir -p "$RUN/demo"
cat <<TXT

certledger is up.
  web verify page   $URL/
  REST API          $URL/api/v1/openapi.json   (health: $URL/readyz)
  operations        http://$OPERATIONS_ADDR/metrics   (local only)
  data and logs     $R/   (tokens in $R/tokens/*.token, SM2 keys in $R/keys/)
  trust bundle      $URL/api/v1/trust   governance fingerprint (pin it):
                    $PIN

Try it (docs/getting-started.md explains each step):
  source $R/env.sh && cd $R/demo    # bin/ on PATH, CERTLEDGER_GATEWAY, the token files
  certledger dept list
  echo "Business licence of ACME Ltd, No. 2026-0001" > licence.txt
  certledger type list                      # the catalogue: 营业执照 (dept-a), 不动产权证书 (dept-b)
  certledger --token-file "\$DEPT_A_TOKEN_FILE" cert issue --file licence.txt --type 11100000MB0143028R001 \\
      --serial 2026000001 --holder-name "ACME Ltd" --holder-id 91350100M000100Y43 --key ../keys/dept-a.pem
  certledger cert verify licence.txt        # verdict: VALID (exit 0), identifier $DEMO_ID
  sed 's/0001/0002/' licence.txt > forged.txt
  certledger cert verify forged.txt         # verdict: NOT_FOUND (exit 1): no certificate has this hash
  certledger --token-file "\$DEPT_A_TOKEN_FILE" cert revoke $DEMO_ID --reason "licence withdrawn" --key ../keys/dept-a.pem
  certledger cert verify licence.txt        # verdict: REVOKED (exit 1)
  # ...and open the verify link that cert issue printed in a browser.

Stop with: make down   (the ledger stays in $R/; PURGE=1 make down deletes it)
TXT
