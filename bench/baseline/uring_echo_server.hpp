#pragma once
#include "../echo_server_handle.hpp"

#include <memory>

namespace coronet::bench {

/// "The limit" for uring://: a plain single-threaded liburing loop with
/// SINGLE_ISSUER|DEFER_TASKRUN, multishot accept, multishot receive into a
/// provided-buffer ring, and SEND straight from the received buffer.
std::unique_ptr<running_server> start_uring_echo(bool busy_poll);

} // namespace coronet::bench
