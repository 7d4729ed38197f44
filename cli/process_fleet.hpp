#pragma once
// The processes a command started (the demo's cluster, ring and broker),
// each known by name and PID, its output in its own log file. Destroying the
// fleet stops every one still running, by PID (child_process.hpp).

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace coronet::cli {

class process_fleet {
public:
    explicit process_fleet(std::filesystem::path log_dir) : _dir(std::move(log_dir)) {}
    ~process_fleet() { stop_all(); }
    process_fleet(const process_fleet&) = delete;
    process_fleet& operator=(const process_fleet&) = delete;

    /// Starts this executable with `args` (logging to DIR/NAME.log); returns
    /// its index in the fleet.
    std::size_t start(std::string name, std::vector<std::string> args);
    /// SIGKILL, as a crash: no goodbye to anyone. Reaps it.
    void kill(std::size_t i);
    /// SIGTERM, SIGKILL after a grace period (a graceful stop).
    void stop(std::size_t i);
    /// Starts it again with the same arguments (after kill() or stop()).
    void restart(std::size_t i);
    /// Throws std::runtime_error naming the first process that has exited
    /// unasked, with how and where its log is.
    void check_running();
    /// Replaces the arguments a restart() uses.
    void set_args(std::size_t i, std::vector<std::string> args) { _procs.at(i).args = std::move(args); }
    const std::vector<std::string>& args(std::size_t i) const { return _procs.at(i).args; }
    /// Reaps every process that has exited unasked; returns their indexes
    /// and wait statuses.
    std::vector<std::pair<std::size_t, int>> reap_exited();
    /// SIGTERM to each running process, SIGKILL after a grace period.
    void stop_all();

    const std::string& name(std::size_t i) const { return _procs.at(i).name; }
    pid_t pid(std::size_t i) const { return _procs.at(i).pid; }
    bool running(std::size_t i) const { return _procs.at(i).pid > 0; }
    std::filesystem::path log(std::size_t i) const { return _dir / (_procs.at(i).name + ".log"); }
    std::size_t size() const { return _procs.size(); }
    std::size_t running_count() const;

private:
    struct process {
        std::string name;
        std::vector<std::string> args;
        pid_t pid = 0; ///< 0: not running
    };
    std::filesystem::path _dir;
    std::vector<process> _procs;
};

} // namespace coronet::cli
