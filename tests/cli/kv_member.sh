#!/usr/bin/env bash
# A fourth node joins a running `kv cluster`: started with `kv serve --join`,
# added with `kv member add` through a follower (redirected to the leader),
# it reads back what was written before it joined and serves writes; then
# `kv member remove` takes it out again. Every process is stopped by PID.
set -euo pipefail
coronet=$1
log=$(mktemp)
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Ports below the ephemeral range, so tests binding port 0 cannot take them.
base=$((20000 + RANDOM % 1000 * 10))
start_server "$log" "$coronet" --log-level warn kv cluster --nodes 3 --fresh --no-fsync --for 120 \
  --data-dir "$dir/kv" --raft-port "$base" --http-port $((base + 5))
joiner=""
trap 'kill -9 $pid $joiner 2>/dev/null || true; pkill -9 -f -- "--data-dir $dir/" || true; rm -rf "$log" "$dir"' EXIT
wait_for_line "$log" "leader is node" 30 "kv cluster"
leader=$(grep -o "leader is node [0-9]" "$log" | grep -o "[0-9]$")
follower=$((leader % 3 + 1))
url() { echo "http://127.0.0.1:$((base + 5 + $1 - 1))"; }
"$coronet" kv put before "the join" --url "$(url 1)" >/dev/null

# Node 4 knows where the others are; they learn where it is from the log.
peers=()
for n in 1 2 3 4; do peers+=(--peer "$n=tcp://127.0.0.1:$((base + n - 1))=127.0.0.1:$((base + 5 + n - 1))"); done
"$coronet" --log-level warn kv serve --id 4 --join "${peers[@]}" --data-dir "$dir/node-4" --no-fsync \
  >"$dir/node-4.log" 2>&1 &
joiner=$!
for _ in $(seq 1 100); do curl -sf "$(url 4)/v1/status" >/dev/null && break; sleep 0.1; done

"$coronet" kv member add 4 "tcp://127.0.0.1:$((base + 3))" "127.0.0.1:$((base + 8))" --learner --url "$(url "$follower")" \
  | grep -q '"learners":\[{"id":4'
"$coronet" kv member promote 4 --url "$(url "$leader")" >/dev/null
"$coronet" kv member list --url "$(url 4)" | grep -q "\"id\":4,\"raft\":\"tcp://127.0.0.1:$((base + 3))\""
# It caught up, and it serves reads and (redirected) writes.
for _ in $(seq 1 100); do
  "$coronet" kv get before --url "$(url 4)" 2>/dev/null | grep -q '"value":"the join"' && break
  sleep 0.1
done
"$coronet" kv get before --url "$(url 4)" | grep -q '"value":"the join"'
"$coronet" kv put after "four voters" --url "$(url 4)" >/dev/null
"$coronet" kv get after --url "$(url 1)" | grep -q '"value":"four voters"'

# A second add of a member is refused clearly (409), and removal works.
status=0
err=$("$coronet" kv member add 4 tcp://127.0.0.1:1 127.0.0.1:2 --url "$(url "$leader")" 2>&1) || status=$?
[ "$status" -ne 0 ] && grep -q "member already" <<<"$err" || { echo "re-adding node 4: $status $err"; exit 1; }
out=$("$coronet" kv member remove 4 --url "$(url "$leader")")
grep -q '"voters":\[' <<<"$out" && ! grep -q '"id":4' <<<"$out" || { echo "after removal: $out"; exit 1; }
out=$("$coronet" kv member list --url "$(url 1)")
! grep -q '"id":4' <<<"$out" || { echo "node 1 still lists node 4: $out"; exit 1; }

kill -INT "$joiner"
wait "$joiner" || { cat "$dir/node-4.log"; echo "node 4 did not stop cleanly"; exit 1; }
stop_by_sigint "kv cluster"
check_gone "$joiner"
echo "kv member: node 4 joined, caught up, served, and left"
