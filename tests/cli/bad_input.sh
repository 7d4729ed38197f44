#!/usr/bin/env bash
# Bad flags and bad URLs get a clear message and a non-zero exit, never a crash.
set -uo pipefail
coronet=$1
expect_failure() { # expected-text, args...
  local want=$1; shift
  local out status
  out=$("$coronet" "$@" 2>&1); status=$?
  if [ $status -eq 0 ] || [ $status -ge 128 ]; then echo "coronet $* exited $status"; echo "$out"; exit 1; fi
  grep -qF -- "$want" <<<"$out" || { echo "coronet $*: missing '$want' in:"; echo "$out"; exit 1; }
}
expect_failure "bad endpoint URL" echo ping --url "tcp:/127.0.0.1:1" --count 1
expect_failure "unknown scheme 'http'" echo serve --url "http://127.0.0.1:0"
expect_failure "datagram transport" echo serve --url "udp://127.0.0.1:0"
expect_failure "cannot connect" echo ping --url "tcp://127.0.0.1:1" --count 1
expect_failure "--count" echo ping --count 0
expect_failure "--http is HOST:PORT" echo serve --http nope
expect_failure "The following argument was not expected" echo serve --no-such-flag
expect_failure "unknown log level" --log-level loud echo ping --count 1
"$coronet" --help | grep -q "demo" || { echo "--help does not list demo"; exit 1; }
echo "bad input handled"
