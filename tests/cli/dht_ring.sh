#!/usr/bin/env bash
# coronet dht ring: five Chord node processes on loopback form one ring; a key
# written through one node is read back through every other; after SIGKILL of
# the key's owner the key is still served (its successors hold copies); bad
# input is refused clearly; SIGINT to the ring command stops every node it
# started (checked by their PIDs). The second argument picks the transport
# between the nodes (udp by default; tcp and uring carry the same messages
# over connections).
set -euo pipefail
coronet=$1
transport=${2:-udp}
log=$(mktemp)
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Ports below the ephemeral range, so tests binding port 0 cannot take them.
base=$((20000 + RANDOM % 1000 * 10))
start_server "$log" "$coronet" --log-level warn dht ring --nodes 5 --for 60 --tick-ms 50 \
  --dir "$dir/dht" --port "$base" --http-port $((base + 5)) --transport "$transport"
trap "kill -9 $pid 2>/dev/null || true; pkill -9 -f -- 'dht serve --listen $transport://127.0.0.1:($base|$((base + 1))|$((base + 2))|$((base + 3))|$((base + 4))) ' || true; rm -rf '$log' '$dir'" EXIT
for _ in $(seq 1 400); do
  grep -q "Chord nodes on loopback" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "dht ring exited early"; exit 1; }
  sleep 0.1
done
grep -q "Chord nodes on loopback" "$log" || { cat "$log"; echo "no ring within 40 s"; exit 1; }
cat "$log"
grep -q "chord ($transport)" "$log"
url() { echo "http://127.0.0.1:$((base + 5 + $1 - 1))"; }
node_pids=$(awk '$1 ~ /^[1-5]$/ && $2 ~ /^[0-9]+$/ {print $2}' "$log")
[ "$(wc -w <<<"$node_pids")" -eq 5 ] || { echo "expected five node PIDs in the table"; exit 1; }

"$coronet" dht put greeting "hello ring" --url "$(url 1)" | grep -q '"version":1'
for n in 1 2 3 4 5; do
  "$coronet" dht get greeting --url "$(url "$n")" | grep -q '"value":"hello ring"'
done
"$coronet" dht lookup greeting --style iterative --url "$(url 2)" | grep -q '"style":"iterative"'
"$coronet" dht status --url "$(url 3)" | grep -q '"state":"joined"'

# Kill the owner (unless it is node 1, through which we read).
owner=$("$coronet" dht lookup greeting --url "$(url 1)" | grep -o '"address":"127.0.0.1:[0-9]*"' | grep -o '[0-9]*"$' | tr -d '"')
idx=$((owner - base + 1))
reader=1
[ "$idx" -eq 1 ] && reader=2
victim=$(awk -v i="$idx" '$1 == i {print $2}' "$log")
kill -9 "$victim"
ok=0
for _ in $(seq 1 100); do
  if "$coronet" dht get greeting --url "$(url "$reader")" --timeout-ms 3000 2>/dev/null | grep -q '"value":"hello ring"'; then
    ok=1
    break
  fi
  sleep 0.2
done
[ "$ok" -eq 1 ] || { echo "the key was lost with its owner (node $idx)"; exit 1; }

status=0
"$coronet" dht get never-written --url "$(url "$reader")" >/dev/null || status=$?
[ "$status" -eq 1 ] || { echo "a missing key exited with $status, not 1"; exit 1; }
status=0
"$coronet" dht lookup greeting --style sideways --url "$(url "$reader")" >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || { echo "a bad lookup style exited with $status, not 1"; exit 1; }

stop_by_sigint "dht ring"
# shellcheck disable=SC2086 # one PID per word
check_gone $node_pids
grep -q "stopping 5 nodes" "$log"
