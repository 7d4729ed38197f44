#!/usr/bin/env bash
# coronet broker serve | sub | pub as separate processes on loopback: a
# subscriber with a wildcard gets what a publisher sends, in order; a bad topic
# is refused with a clear message; the broker stops on SIGINT (by PID) with 0.
set -euo pipefail
coronet=$1
scheme=${2:-tcp}
log=$(mktemp)
sub_out=$(mktemp)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_server "$log" "$coronet" broker serve --url "$scheme://127.0.0.1:0"
url=$(wait_for_url "$log" "$scheme://127\.0\.0\.1:[0-9]*")

timeout 30 "$coronet" broker sub 'orders.>' --url "$url" --count 3 >"$sub_out" 2>&1 &
sub_pid=$!
trap "kill -9 $pid $sub_pid 2>/dev/null || true; rm -f '$log' '$sub_out'" EXIT
for _ in $(seq 1 100); do grep -q "^subscribed" "$sub_out" && break; sleep 0.1; done
grep -q "^subscribed" "$sub_out" || { cat "$sub_out"; echo "subscriber never subscribed"; exit 1; }

"$coronet" broker pub orders.eu.new first second --url "$url" | grep -q "published 2 message(s) to orders.eu.new"
"$coronet" broker pub news.today 'not for orders' --url "$url" >/dev/null
"$coronet" broker pub orders.us third --url "$url" >/dev/null
wait "$sub_pid"
cat "$sub_out"
grep -q "^orders.eu.new #1: first$" "$sub_out"
grep -q "^orders.eu.new #2: second$" "$sub_out"
grep -q "^orders.us #3: third$" "$sub_out"
if grep -q "not for orders" "$sub_out"; then echo "a message on another topic arrived"; exit 1; fi

# A retained message reaches a subscriber that comes later, marked.
"$coronet" broker pub config.mode old new --retain --url "$url" >/dev/null
retained=$(timeout 30 "$coronet" broker sub 'config.*' --url "$url" --count 1 2>/dev/null)
[ "$retained" = "config.mode #1 (retained): new" ] || { echo "retained: got '$retained'"; exit 1; }

# A bad topic: a clear error and a non-zero exit, no crash.
status=0
err=$("$coronet" broker pub 'orders..eu' x --url "$url" 2>&1) || status=$?
echo "$err"
[ "$status" -ne 0 ] || { echo "a bad topic was accepted"; exit 1; }
grep -q 'level 2 is empty' <<<"$err"

kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { cat "$log"; echo "broker exited with $status after SIGINT"; exit 1; }
grep -q "6 published" "$log" || { cat "$log"; echo "broker did not report what it published"; exit 1; }
