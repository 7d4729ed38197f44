#!/usr/bin/env bash
# The demo's dashboard in headless Chromium (Debian's): the page loads, shows
# the KV leader and all eight Chord nodes, receives updates over the broker's
# WebSocket, and after SIGKILL of the leader (by the PID the demo printed)
# shows it down and another node leading. SIGINT then stops the demo, which
# stops every process it started. Skipped (77) without /usr/bin/chromium.
set -euo pipefail
coronet=$1
chromium=/usr/bin/chromium
[ -x "$chromium" ] || { echo "no $chromium (apt-get install chromium)"; exit 77; }
log=$(mktemp)
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_server "$log" "$coronet" demo --quick --for 150 --dashboard-port 0 --dir "$dir/demo"
trap "kill -9 $pid 2>/dev/null || true; rm -rf '$log' '$dir'" EXIT
url=""
for _ in $(seq 1 1500); do
  url=$(grep -o "Dashboard: http://127.0.0.1:[0-9]*" "$log" | awk '{print $2}' || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; tail -n 20 "$dir"/demo/*.log; echo "the demo exited early"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "no dashboard within 150 s"; exit 1; }

# What a browser shows after ~15 s of the page's (virtual) time.
page() {
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$dir")" --virtual-time-budget=15000 --dump-dom "$url/" 2>/dev/null
}

dom=$(page)
leader=$(grep -o 'id="leader">kv-[1-3]' <<<"$dom" | grep -o 'kv-[1-3]' || true)
[ -n "$leader" ] || { echo "$dom" | head -c 3000; echo; echo "the page shows no leader"; exit 1; }
[ "$(grep -o 'data-role="leader"' <<<"$dom" | wc -l)" -eq 1 ] || { echo "not exactly one leader row"; exit 1; }
[ "$(grep -o '<g data-node="chord-[1-8]" data-up="true"' <<<"$dom" | wc -l)" -eq 8 ] ||
  { echo "the ring does not show eight live nodes"; exit 1; }
# Replication bars: each node's match index, as the leader reports it in /metrics.
[ "$(grep -o 'title="match index [0-9]*"' <<<"$dom" | wc -l)" -eq 3 ] ||
  { echo "$dom" | grep -o '<tr data-node="kv[^/]*' ; echo "the replication bars do not show three match indexes"; exit 1; }
# Broker topics with their counts: at least the page's own feed.
grep -q '<tr data-topic="coronet.demo.state">' <<<"$dom" || { echo "the broker's topics are not shown"; exit 1; }
ws=$(grep -o 'id="ws-count">[0-9]*' <<<"$dom" | grep -o '[0-9]*$')
[ "${ws:-0}" -ge 1 ] || { echo "no update arrived over the WebSocket"; exit 1; }
echo "page: leader $leader, 8 Chord nodes, $ws WebSocket updates"

# Kill the leader by the PID the demo listed for it.
n=${leader#kv-}
victim=$(grep -E "^  kv node $n +pid [0-9]+" "$log" | grep -Eo "pid [0-9]+" | awk '{print $2}')
[ -n "$victim" ] || { cat "$log"; echo "no PID listed for $leader"; exit 1; }
kill -9 "$victim"
shown=0
for _ in $(seq 1 10); do
  dom=$(page)
  if grep -q "data-node=\"$leader\" data-up=\"false\" data-role=\"down\"" <<<"$dom" &&
     grep -q 'data-up="true" data-role="leader"' <<<"$dom"; then
    shown=1
    break
  fi
  sleep 1
done
[ "$shown" -eq 1 ] || { echo "$dom" | head -c 3000; echo; echo "the page never showed $leader down and a new leader"; exit 1; }
echo "page: $leader down, new leader $(grep -o 'id="leader">kv-[1-3]' <<<"$dom" | grep -o 'kv-[1-3]')"

stop_by_sigint "the demo"
# shellcheck disable=SC2046 # one PID per word
check_gone $(logged_pids "$log")
echo "dashboard: loads, shows the leader and the ring, follows a killed leader; the demo stopped everything"
