#!/usr/bin/env bash
# coronet echo serve --rpc answers echo ping --rpc with Cap'n Proto calls, and
# its /metrics counts them; SIGINT (by PID) stops it with exit 0.
set -euo pipefail
coronet=$1
scheme=$2
log=$(mktemp)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_server "$log" "$coronet" echo serve --rpc --url "$scheme://127.0.0.1:0" --http 127.0.0.1:0
url=$(wait_for_url "$log" "$scheme://127\.0\.0\.1:[0-9]*")
metrics=$(wait_for_url "$log" "http://127\.0\.0\.1:[0-9]*/metrics")
out=$("$coronet" echo ping --rpc --url "$url" --count 300 --size 100)
echo "$out"
grep -q "^300 calls of 100 B to $url" <<<"$out"
page=$(curl -sf "$metrics")
grep -qx "coronet_rpc_calls_answered_total 300" <<<"$page" || { echo "$page"; exit 1; }
grep -qx "coronet_rpc_call_duration_ns_count 300" <<<"$page" || { echo "$page"; exit 1; }
grep -qx "coronet_rpc_calls_failed_total 0" <<<"$page" || { echo "$page"; exit 1; }
grep -qx "coronet_rpc_connections_accepted_total 1" <<<"$page" || { echo "$page"; exit 1; }
# A raw-bytes client is a protocol error for that connection only.
"$coronet" echo ping --url "$url" --count 1 --size 8 >/dev/null 2>&1 && { echo "raw ping got an echo from an RPC server"; exit 1; }
"$coronet" echo ping --rpc --url "$url" --count 5 | grep -q "^5 calls"
stop_by_sigint "the echo server"
cat "$log"
grep -q "stopped after 3 connection(s), 305 call(s)" "$log"
