#pragma once
// Child processes of the command-line tools (`coronet kv cluster`, the demo):
// started from this same executable, output to a log file, and always
// stopped by PID — SIGTERM, a grace period, then SIGKILL.

#include <csignal>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace coronet::cli {

/// Runs this executable (/proc/self/exe) with `args`, stdout and stderr
/// appended to `log`. Throws std::system_error if it cannot be started.
/// The child gets SIGTERM if this process dies first (even by SIGKILL), see
/// die_with_parent().
pid_t spawn_self(const std::vector<std::string>& args, const std::filesystem::path& log);

/// Called first in main(): in a child of spawn_self(), asks the kernel for
/// SIGTERM when the parent dies (PR_SET_PDEATHSIG), so that no node outlives
/// a killed `kv cluster`, `dht ring` or demo; exits if the parent is already
/// gone. Does nothing in a process not started by spawn_self().
void die_with_parent();

/// SIGTERM, then SIGKILL if `pid` has not exited within `grace`; reaps it.
/// Returns its wait status (nullopt if it was already reaped).
std::optional<int> stop_child(pid_t pid, std::chrono::milliseconds grace = std::chrono::seconds(5));

/// Reaps `pid` if it has exited; its wait status then.
std::optional<int> exited(pid_t pid);

/// "exited with status 0", "killed by signal 9".
std::string describe_wait_status(int status);

/// Blocks SIGINT and SIGTERM in this thread, so that supervise() can wait
/// for them; children started later get the default handlers back.
sigset_t block_stop_signals();

/// Waits until a signal of `stop` arrives or `seconds` pass (0: no limit),
/// checking every 200 ms whether a child in `pids` has exited: each one that
/// has is reaped, reported to `on_exit(index, wait status)`, and its entry set
/// to 0.
void supervise(const sigset_t& stop, std::vector<pid_t>& pids, unsigned seconds,
               const std::function<void(std::size_t, int)>& on_exit);

} // namespace coronet::cli
