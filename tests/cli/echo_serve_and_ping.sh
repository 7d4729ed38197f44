#!/usr/bin/env bash
# coronet echo serve on an ephemeral loopback port, pinged by coronet echo ping,
# then stopped by SIGINT (by PID): it must exit 0 after a clean stop.
set -euo pipefail
coronet=$1
scheme=$2
log=$(mktemp)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_server "$log" "$coronet" echo serve --url "$scheme://127.0.0.1:0"
url=$(wait_for_url "$log" "$scheme://127\.0\.0\.1:[0-9]*")
out=$("$coronet" echo ping --url "$url" --count 200 --size 100)
echo "$out"
grep -q "^200 round trips of 100 B to $url" <<<"$out"
stop_by_sigint "the echo server"
cat "$log"
grep -q "stopped after 1 connection" "$log"
