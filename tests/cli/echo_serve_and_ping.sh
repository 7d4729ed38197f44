#!/usr/bin/env bash
# coronet echo serve on an ephemeral loopback port, pinged by coronet echo ping,
# then stopped by SIGINT (by PID): it must exit 0 after a clean stop.
set -euo pipefail
coronet=$1
scheme=$2
log=$(mktemp)
"$coronet" echo serve --url "$scheme://127.0.0.1:0" >"$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do # bounded: at most ~10 s
  url=$(grep -o "$scheme://127\.0\.0\.1:[0-9]*" "$log" | head -n1 || true)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "server exited early"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "server never printed its URL"; exit 1; }
out=$("$coronet" echo ping --url "$url" --count 200 --size 100)
echo "$out"
grep -q "^200 round trips of 100 B to $url" <<<"$out"
kill -INT $pid
status=0
wait $pid || status=$?
cat "$log"
[ "$status" -eq 0 ] || { echo "server exited with $status after SIGINT"; exit 1; }
grep -q "stopped after 1 connection" "$log"
