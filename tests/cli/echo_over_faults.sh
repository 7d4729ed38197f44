#!/usr/bin/env bash
# coronet echo serve on a fault+tcp:// URL with a 20 ms delay on every write:
# echo ping still gets every round trip right, and none is faster than the
# injected delay (a lower bound, which load cannot break). Stopped by SIGINT,
# by PID.
set -euo pipefail
coronet=$1
log=$(mktemp)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_server "$log" "$coronet" echo serve --url 'fault+tcp://127.0.0.1:0?delay=20ms'
url=$(wait_for_url "$log" 'fault+tcp://127\.0\.0\.1:[0-9]*?delay=20ms')
plain="tcp://${url#fault+tcp://}"
plain=${plain%%\?*}
out=$("$coronet" echo ping --url "$plain" --count 20 --size 100)
echo "$out"
grep -q "^20 round trips of 100 B to $plain" <<<"$out"
min=$(sed -n 's/.* min \([0-9.]*\) .*/\1/p' <<<"$out")
[ -n "$min" ] || { echo "no min round trip in the output"; exit 1; }
awk -v m="$min" 'BEGIN { exit !(m >= 20000) }' || { echo "min round trip $min us is below the 20 ms delay"; exit 1; }
# A bad plan is refused before anything listens.
if err=$("$coronet" echo serve --url 'fault+tcp://127.0.0.1:0?drop=7' 2>&1); then
  echo "a bad fault plan was accepted"; exit 1
fi
grep -q "drop" <<<"$err" || { echo "the error does not name the key: $err"; exit 1; }
kill -INT $pid
status=0
wait $pid || status=$?
[ "$status" -eq 0 ] || { cat "$log"; echo "server exited with $status after SIGINT"; exit 1; }
