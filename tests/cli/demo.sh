#!/usr/bin/env bash
# coronet demo (the README's main job), quick: it starts a KV cluster, a
# second one replicating sequentially, a Chord ring and a broker as processes,
# prints every row of the sync/async summary with nothing failed, survives the
# SIGKILL of a KV leader and of a Chord node, and at the end has stopped every
# process it started (checked by the PIDs it printed).
set -euo pipefail
coronet=$1
log=$(mktemp)
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_server "$log" "$coronet" demo --quick --for 1 --dir "$dir/demo"
# Its children get SIGTERM when it dies (die_with_parent), so killing the
# demo by PID stops them too.
trap "kill -9 $pid 2>/dev/null || true; rm -rf '$log' '$dir'" EXIT
status=0
for _ in $(seq 1 1800); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && { cat "$log"; echo "the demo did not finish within 180 s"; exit 1; }
wait "$pid" || status=$?
cat "$log"
[ "$status" -eq 0 ] || { tail -n 20 "$dir"/demo/*.log; echo "the demo exited with $status"; exit 1; }

for row in "echo tcp, round trips" "echo uring, round trips" "RPC calls (Cap'n Proto)" \
           "Raft: 1 writer, commit p50" "Raft: 8 writers" "Chord lookup (8 nodes)" "broker publish"; do
  grep -qF "  $row " "$log" || { echo "missing summary row: $row"; exit 1; }
done
grep -q "0 failed" "$log" || { echo "a Chord lookup failed"; exit 1; }
grep -q "800/800 delivered" "$log" || { echo "the subscriber missed messages"; exit 1; }
grep -Eq "KV leader \(node [1-3]\) SIGKILLed: node [1-3] took over" "$log" || { echo "no KV fail-over"; exit 1; }
grep -q "20/20 keys read back" "$log" || { echo "keys were lost with a Chord node"; exit 1; }
grep -q "stopping 12 processes" "$log" || { echo "the demo did not stop its 12 processes"; exit 1; }

pids=$(logged_pids "$log")
[ "$(wc -w <<<"$pids")" -eq 12 ] || { echo "expected 12 PIDs in the listing"; exit 1; }
# shellcheck disable=SC2086 # one PID per word
check_gone $pids
echo "demo: every row measured, fail-over shown, all 12 processes stopped"
