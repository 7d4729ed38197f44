# Shared by the cli tests (sourced): start a server, wait for the URL it prints.

# start_server LOG CMD...: runs CMD in the background with its output in LOG;
# sets $pid and a trap that kills it (by PID) and removes LOG on exit.
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064 # expand now: the PID and log of this server
  trap "kill -9 $pid 2>/dev/null || true; rm -f '$log'" EXIT
}

# wait_for_url LOG REGEX: prints the first match of REGEX in LOG once the
# server printed it; fails if the server exits or ~10 s pass (bounded).
wait_for_url() {
  local log=$1 regex=$2 url=""
  for _ in $(seq 1 100); do
    url=$(grep -o "$regex" "$log" | head -n1 || true)
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "server exited early" >&2; return 1; }
    sleep 0.1
  done
  cat "$log" >&2
  echo "server never printed a URL matching $regex" >&2
  return 1
}

# stop_by_sigint WHAT: SIGINT to $pid (the supervisor start_server started),
# waits up to ~30 s (bounded) and fails, with its log ($log), unless it exited 0.
stop_by_sigint() {
  local what=$1 status=0
  kill -INT "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { cat "$log"; echo "$what did not stop within 30 s of SIGINT" >&2; return 1; }
  wait "$pid" || status=$?
  [ "$status" -eq 0 ] || { cat "$log"; echo "$what exited with $status after SIGINT" >&2; return 1; }
}

# logged_pids LOG: the PIDs a supervisor listed ("pid N") in LOG.
logged_pids() { grep -Eo "pid [0-9]+" "$1" | awk '{print $2}'; }

# check_gone PID...: fails naming the first of these coronet processes still
# alive (a PID reused by another program since does not count).
check_gone() {
  for p in "$@"; do
    if kill -0 "$p" 2>/dev/null && grep -q coronet "/proc/$p/cmdline" 2>/dev/null; then
      echo "process $p outlived its supervisor" >&2
      return 1
    fi
  done
}

# wait_for_line LOG REGEX SECONDS WHAT: waits (bounded) until LOG has a line
# matching REGEX; fails with the log if $pid exits first or time runs out.
wait_for_line() {
  local log=$1 regex=$2 seconds=$3 what=$4
  for _ in $(seq 1 $((seconds * 10))); do
    grep -q "$regex" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "$what exited early" >&2; return 1; }
    sleep 0.1
  done
  cat "$log"
  echo "$what: nothing matching '$regex' within $seconds s" >&2
  return 1
}
