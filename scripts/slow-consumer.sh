#!/usr/bin/env bash
# Watch the broker's memory while a subscriber stalls: starts `coronet broker
# serve` on loopback, subscribes one client that never reads (a raw socket
# with a small receive buffer, from Python), floods the topic with `coronet
# broker pub`, and prints the broker's resident memory every second. With a
# bounded queue the RSS levels off however long the flood runs, and the
# broker's closing line says how many messages the policy dropped. (That a
# fast subscriber loses nothing meanwhile is checked by the test
# `[pubsub][slow]`.)
#
#   scripts/slow-consumer.sh [COUNT] [POLICY] [QUEUE_MESSAGES]
#   e.g. scripts/slow-consumer.sh 2000000 drop-oldest 10000
#
# Every process it starts is stopped by PID on exit.
set -euo pipefail
count=${1:-2000000}
policy=${2:-drop-oldest}
queue=${3:-10000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
coronet=${CORONET:-$here/build/bin/coronet}
python=/usr/bin/python3
log=$(mktemp)
pids=()
cleanup() {
  for p in "${pids[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -f "$log"
}
trap cleanup EXIT

"$coronet" broker serve --url tcp://127.0.0.1:0 --queue-messages "$queue" --policy "$policy" >"$log" 2>&1 &
broker=$!
pids+=("$broker")
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'tcp://127\.0\.0\.1:[0-9]*' "$log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "the broker did not start"; exit 1; }
port=${url##*:}

# The stalled subscriber: hello (its policy and queue) and sub, then never reads.
"$python" - "$port" "$policy" "$queue" <<'PY' &
import socket, struct, sys, time
port, policy, queue = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
code = {"drop-oldest": 0, "drop-newest": 1, "disconnect": 2}[policy]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
def frame(body): return struct.pack("<I", len(body)) + body
s.sendall(frame(struct.pack("<BBII", 1, code, queue, 0)))
s.sendall(frame(struct.pack("<BIH", 3, 1, 5) + b"flood" + struct.pack("<H", 0)))
time.sleep(3600)
PY
pids+=("$!")

rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$broker/status"; }
echo "broker $url, policy $policy, queue $queue messages; RSS before: $(rss)"
"$coronet" broker pub flood 'a 64-byte message for the flood, padded to sixty-four bytes....' \
  --url "$url" --count "$count" >/dev/null &
pub=$!
pids+=("$pub")
start=$(date +%s)
while kill -0 "$pub" 2>/dev/null; do
  sleep 1
  echo "  t=$(( $(date +%s) - start ))s RSS $(rss)"
done
sleep 1
echo "RSS after the flood: $(rss)"
kill -INT "$broker"
wait "$broker" || true
grep "broker stopped" "$log" || true
