#pragma once
// A peer broker as a child process: started on a loopback port with its log
// in a temporary directory, pinned to a CPU, waited for until it accepts
// connections (bounded), and killed by PID when the object goes, on every
// path (an exception included). The child also dies with this process
// (PR_SET_PDEATHSIG), so even a crashed benchmark leaves no broker behind.

#include "peer.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace coronet::bench::pubsub_bench {

/// The program's path on PATH (or /usr/sbin, /usr/local/sbin, /sbin, where
/// Debian puts mosquitto and nats-server); empty if absent.
std::string find_program(const std::string& name);

/// The first line `program args...` prints (its version), or "".
std::string program_output_line(const std::string& program, const std::string& args);

/// A directory under $TMPDIR, removed with everything in it.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return _path; }

private:
    std::filesystem::path _path;
};

class peer_process final : public broker_instance {
public:
    /// Runs `program args...` (which must listen on 127.0.0.1:port) with its
    /// CPU affinity set to `cpu` (-1: inherited). Throws, with the tail of
    /// its output, if it exits or does not accept within `start_timeout`.
    peer_process(const std::string& program, const std::vector<std::string>& args, std::uint16_t port, int cpu,
                 std::unique_ptr<temp_dir> dir, std::chrono::milliseconds start_timeout = std::chrono::seconds(5));
    ~peer_process() override;

private:
    struct child {
        pid_t pid = -1;
        ~child(); // SIGTERM, then SIGKILL after 1 s; always reaped
    };
    std::unique_ptr<temp_dir> _dir;
    child _child;
};

} // namespace coronet::bench::pubsub_bench
