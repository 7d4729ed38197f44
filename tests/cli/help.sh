#!/usr/bin/env bash
# Every subcommand of coronet answers --help with its usage and exit status 0,
# and an unknown subcommand is refused with a clear message.
set -euo pipefail
coronet=$1
subcommands=("" demo "echo serve" "echo ping" "broker serve" "broker pub" "broker sub" "broker gateway"
  "kv serve" "kv cluster" "kv get" "kv put" "kv del" "kv list" "kv status" "kv workload" "kv check" "kv member list" "kv member add" "kv member promote" "kv member remove"
  "dht serve" "dht ring" "dht get" "dht put" "dht del" "dht lookup" "dht status"
  "bench transports" "bench report" "sim broadcast" "sim raft")
if "$coronet" bench --help | grep -qE "^  kv, raft "; then
  subcommands+=("bench rpc" "bench pubsub" "bench kv" "bench raft" "bench chord" "bench dht" "bench all")
fi
for s in "${subcommands[@]}"; do
  # shellcheck disable=SC2086 # word splitting makes "kv serve" two arguments
  out=$("$coronet" $s --help 2>&1) || { echo "coronet $s --help failed: $out"; exit 1; }
  # Its own usage, not a parent's (CLI11 answers --help for a missing one too).
  own=${s/bench raft/bench kv}
  grep -qE "Usage: [^ ]*coronet${own:+ $own}( |$)" <<<"$out" || { echo "coronet $s --help printed no usage of its own"; exit 1; }
done
if err=$("$coronet" fly 2>&1); then echo "an unknown subcommand was accepted"; exit 1; fi
grep -qi "fly" <<<"$err" || { echo "the error does not name the unknown subcommand: $err"; exit 1; }
echo "--help: ${#subcommands[@]} subcommands answer"
