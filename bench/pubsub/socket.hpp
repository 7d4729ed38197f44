#pragma once
// A non-blocking loopback TCP socket for the benchmark's clients: every wait
// is bounded by a deadline, and an error or a deadline throws with what was
// being waited for.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace coronet::bench::pubsub_bench {

using clock = std::chrono::steady_clock;

class tcp_socket {
public:
    /// Connects to 127.0.0.1:port (TCP_NODELAY) or throws after `timeout`.
    static tcp_socket connect(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    tcp_socket() = default;
    explicit tcp_socket(int fd) : _fd(fd) {}
    tcp_socket(tcp_socket&& o) noexcept : _fd(o._fd) { o._fd = -1; }
    tcp_socket& operator=(tcp_socket&& o) noexcept;
    ~tcp_socket();

    int fd() const { return _fd; }
    /// Writes all of `data`, waiting for room until `deadline`.
    void write_all(std::string_view data, clock::time_point deadline, const char* what);
    /// Bytes written (0: the socket buffer is full); throws on error.
    std::size_t write_some(std::string_view data);
    /// Bytes read; 0 at end of stream; -1 if nothing has arrived. Throws on error.
    long read_some(char* buf, std::size_t n);
    /// Reads and appends to `buf` until `done(buf)` holds; throws at the
    /// deadline or end of stream, naming `what`.
    void read_until(std::string& buf, const std::function<bool(std::string_view)>& done, clock::time_point deadline,
                    const char* what);
    /// poll() for `events` until the deadline; false if it passed.
    bool wait(short events, clock::time_point deadline);

private:
    int _fd = -1;
};

/// A loopback port nobody listens on now (bound, then released).
std::uint16_t free_port();

/// Whether something accepts connections on 127.0.0.1:port.
bool accepts(std::uint16_t port);

inline clock::time_point after(std::chrono::milliseconds d) { return clock::now() + d; }

} // namespace coronet::bench::pubsub_bench
