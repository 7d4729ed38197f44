#!/usr/bin/env bash
# coronet dht ring --virtual-nodes: three processes with four places on the
# ring each (the Chord paper's virtual nodes) form one ring of twelve ids;
# keys are owned by virtual nodes of every process, not just by the three
# first ones; every key is read back through another process; SIGINT stops
# every process (checked by PID). A bad count is refused.
set -euo pipefail
coronet=$1
log=$(mktemp)
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Ports below the ephemeral range, so tests binding port 0 cannot take them.
base=$((21000 + RANDOM % 1000 * 10))
if "$coronet" dht ring --nodes 2 --virtual-nodes 17 --for 1 --dir "$dir/bad" 2>"$dir/err"; then
  echo "17 virtual nodes were accepted"; exit 1
fi
grep -q -- "--virtual-nodes is 1..16" "$dir/err" || { cat "$dir/err"; exit 1; }

# --for bounds the ring's life; under ASan each client call below costs ~1 s.
start_server "$log" "$coronet" --log-level warn dht ring --nodes 3 --virtual-nodes 4 --for 240 --tick-ms 50 \
  --dir "$dir/dht" --port "$base" --http-port $((base + 20))
trap "kill -9 $pid 2>/dev/null || true; rm -rf '$log' '$dir'" EXIT
for _ in $(seq 1 400); do
  grep -q "Chord nodes on loopback" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "dht ring exited early"; exit 1; }
  sleep 0.1
done
grep -q "Chord nodes on loopback" "$log" || { cat "$log"; echo "no ring within 40 s"; exit 1; }
node_pids=$(awk '$1 ~ /^[1-3]$/ && $2 ~ /^[0-9]+$/ {print $2}' "$log")
[ "$(wc -w <<<"$node_pids")" -eq 3 ] || { cat "$log"; echo "expected three process PIDs"; exit 1; }
url() { echo "http://127.0.0.1:$((base + 20 + $1 - 1))"; }
sleep 2 # a few stabilization rounds for the twelve ids to settle

owners=""
for k in $(seq 1 24); do
  "$coronet" dht put "key-$k" "value-$k" --url "$(url 1)" >/dev/null
  owner=$("$coronet" dht lookup "key-$k" --url "$(url 2)" | grep -o '"address":"127.0.0.1:[0-9]*"' | head -n1 |
    grep -o '[0-9]*"$' | tr -d '"')
  [ "$owner" -ge "$base" ] && [ "$owner" -lt $((base + 12)) ] || { echo "owner port $owner is not in the ring"; exit 1; }
  owners="$owners $owner"
done
distinct=$(tr ' ' '\n' <<<"$owners" | sort -u | grep -c .)
virtual=$(tr ' ' '\n' <<<"$owners" | grep -v -E "^($base|$((base + 4))|$((base + 8)))$" | sort -u | grep -c . || true)
echo "24 keys: $distinct distinct owners, $virtual of them virtual nodes"
[ "$distinct" -gt 3 ] && [ "$virtual" -ge 1 ] || { echo "keys went only to the three first ids"; exit 1; }
for k in $(seq 1 24); do
  "$coronet" dht get "key-$k" --url "$(url 3)" | grep -q "\"value\":\"value-$k\"" || { echo "key-$k is lost"; exit 1; }
done

stop_by_sigint "dht ring"
# shellcheck disable=SC2086 # one PID per word
check_gone $node_pids
echo "virtual nodes: one ring of twelve ids over three processes, every key back"
