#!/usr/bin/env bash
# The RPC examples as separate processes: the greeter server on an ephemeral
# loopback port, the client calling it async, sync and one-way; the server
# stopped by SIGINT, by PID, and must exit 0.
set -euo pipefail
server=$1
client=$2
log=$(mktemp)
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
start_server "$log" "$server" tcp://127.0.0.1:0
url=$(wait_for_url "$log" 'tcp://127\.0\.0\.1:[0-9]*')
out=$(timeout 30 "$client" "$url")
echo "$out"
grep -q "^hello, awaitable world$" <<<"$out"
grep -q "^hello, blocking world$" <<<"$out"
grep -q "^visits seen by the server: 3$" <<<"$out"
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { cat "$log"; echo "server exited with $status after SIGINT"; exit 1; }
