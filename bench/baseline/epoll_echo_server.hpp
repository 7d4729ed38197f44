#pragma once
#include "../echo_server_handle.hpp"

#include <memory>

namespace coronet::bench {

/// "The limit" for tcp://: a plain single-threaded level-triggered epoll loop.
std::unique_ptr<running_server> start_epoll_echo(bool busy_poll);

} // namespace coronet::bench
