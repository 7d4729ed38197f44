#!/usr/bin/env bash
# coronet kv cluster: three node processes on loopback elect a leader; a write
# through a follower (redirected) is read back from every node, the client
# commands report a missing key and bad input clearly, and SIGINT to the
# cluster command stops every node it started (checked by their PIDs).
set -euo pipefail
coronet=$1
log=$(mktemp)
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Ports below the ephemeral range, so tests binding port 0 cannot take them.
base=$((20000 + RANDOM % 1000 * 10))
start_server "$log" "$coronet" --log-level warn kv cluster --nodes 3 --fresh --no-fsync --for 60 \
  --data-dir "$dir/kv" --raft-port "$base" --http-port $((base + 5))
trap "kill -9 $pid 2>/dev/null || true; pkill -9 -f -- '--data-dir $dir/kv/' || true; rm -rf '$log' '$dir'" EXIT
# The command itself gives the election 20 s; a loaded machine may need them.
wait_for_line "$log" "leader is node" 30 "kv cluster"
cat "$log"
leader=$(grep -o "leader is node [0-9]" "$log" | grep -o "[0-9]$")
follower=$((leader % 3 + 1))
url() { echo "http://127.0.0.1:$((base + 5 + $1 - 1))"; }
node_pids=$(awk '$1 ~ /^[1-3]$/ && $2 ~ /^[0-9]+$/ {print $2}' "$log")
[ "$(wc -w <<<"$node_pids")" -eq 3 ] || { echo "expected three node PIDs in the table"; exit 1; }

"$coronet" kv put greeting "hello there" --url "$(url "$follower")" | grep -q '"version":'
for n in 1 2 3; do
  "$coronet" kv get greeting --url "$(url "$n")" | grep -q '"value":"hello there"'
done
"$coronet" kv status --url "$(url "$follower")" | grep -q "\"leader\":$leader"

status=0
"$coronet" kv get missing --url "$(url 1)" >/dev/null || status=$?
[ "$status" -eq 1 ] || { echo "a missing key exited with $status, not 1"; exit 1; }
status=0
err=$("$coronet" kv put "" v --url "$(url 1)" 2>&1) || status=$?
[ "$status" -ne 0 ] || { echo "an empty key was accepted"; exit 1; }

stop_by_sigint "kv cluster"
# shellcheck disable=SC2086 # one PID per word
check_gone $node_pids
grep -q "stopping 3 nodes" "$log"
