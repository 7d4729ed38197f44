#pragma once
// What a peer is to the driver: a broker it can start on a loopback port (a
// child process, or coronet's in-process thread) and a client protocol that
// the workloads drive over plain sockets.

#include "socket.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::bench::pubsub_bench {

/// Where received messages go: the parsers call on_message() with each
/// payload (views into the read buffer) and queue protocol answers (a NATS
/// PONG) in `reply`.
class message_sink {
public:
    virtual ~message_sink() = default;
    virtual void on_message(std::span<const char> payload) = 0;
    std::string reply;
};

/// Parses one subscriber connection's byte stream.
class message_parser {
public:
    virtual ~message_parser() = default;
    /// Hands every whole message at the front of `in` to `sink`; returns the
    /// bytes consumed (a partial message stays for the next call). Throws on
    /// an error the broker reports or on bytes it cannot parse.
    virtual std::size_t parse(std::string_view in, message_sink& sink) = 0;
};

/// One publish, pre-encoded: head, then the payload, then tail.
struct publish_frame {
    std::string head, tail;
};

/// One client protocol: how to connect both roles and what a publish and a
/// delivery look like on the wire. Every call that waits has a deadline.
class protocol {
public:
    virtual ~protocol() = default;
    /// Connects and does the handshake; the socket is ready to publish.
    virtual tcp_socket connect_publisher(std::uint16_t port) = 0;
    /// Connects and subscribes to `topic`; returns once the broker confirmed
    /// the subscription (a message published afterwards will be delivered).
    virtual tcp_socket connect_subscriber(std::uint16_t port, std::string_view topic) = 0;
    virtual publish_frame encode_publish(std::string_view topic, std::size_t payload_bytes) = 0;
    virtual std::unique_ptr<message_parser> make_parser() = 0;
    /// Bytes the broker sent to a publisher (Redis' integer replies); throws
    /// on an error reply. Default: ignored.
    virtual void publisher_input(std::string_view) {}
};

/// A running broker; stopping it (the destructor) kills the process.
class broker_instance {
public:
    virtual ~broker_instance() = default;
    std::uint16_t port = 0;
    /// Processes whose CPU time counts as the cell's own (a child broker).
    std::vector<pid_t> pids;
    /// What the broker itself counted (coronet: dropped messages), if anything.
    virtual std::string counters() { return {}; }
};

struct peer {
    std::string name;
    std::string version;       ///< what the binary says (or coronet's build)
    std::string not_installed; ///< empty if it can run; else why not
    /// Starts a fresh broker with its threads on `cpu` (-1: anywhere).
    std::function<std::unique_ptr<broker_instance>(int cpu)> start;
    std::function<std::unique_ptr<protocol>()> client;
    bool is_coronet = false;
};

peer redis_peer();
peer nats_peer();
peer mosquitto_peer();
peer coronet_peer();

} // namespace coronet::bench::pubsub_bench
