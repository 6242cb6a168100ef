#!/usr/bin/env bash
# make down: stop what `make up` started (the gateway, then the devnet), by the
# process ids it recorded in .run/*.pid. The data stays in .run (a later `make up`
# resumes on the same ledger) unless PURGE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${CERTLEDGER_RUN_DIR:-$PWD/.run}
stopped=0
for p in gateway devnet; do
  f=$RUN/$p.pid
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  # Only our own binary: after a reboot the recorded pid may belong to something else.
  if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "certledger-$p"; then
    echo "pid $pid in $f is not certledger-$p any more; not touching it"
    rm -f "$f"; continue
  fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # The devnet commits what was submitted before it exits; give both time for a clean stop.
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$p (pid $pid) did not stop within 20 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $p (pid $pid)"
    stopped=1
  fi
  rm -f "$f"
done
[ "$stopped" = 1 ] || echo "nothing running"
if [ "${PURGE:-0}" = 1 ]; then rm -rf "$RUN"; echo "removed $RUN"; fi
