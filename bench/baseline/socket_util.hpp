#pragma once
// Plain POSIX helpers for the hand-written baselines and the load generator.

#include <cstdint>

namespace coronet::bench {

/// A non-blocking (if asked) TCP socket listening on 127.0.0.1:0.
int listen_loopback(bool nonblocking);
std::uint16_t bound_port(int fd);
/// A blocking connect to 127.0.0.1:port, then non-blocking with TCP_NODELAY.
int connect_loopback(std::uint16_t port);
void set_nodelay(int fd);
/// Throws std::system_error naming `what` with errno.
[[noreturn]] void throw_errno(const char* what);

} // namespace coronet::bench
