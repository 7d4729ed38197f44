#pragma once
// An echo server under benchmark: runs on its own thread, listens on
// 127.0.0.1 (ephemeral port), and stop() joins that thread and closes every fd.

#include <cstdint>

namespace coronet::bench {

struct running_server {
    virtual ~running_server() = default;
    virtual std::uint16_t port() const = 0;
    virtual void stop() = 0;
};

} // namespace coronet::bench
