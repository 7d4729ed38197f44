#pragma once
// Limits and defaults of an RPC connection: every size a peer can send is
// bounded, and every bound is a setting.

#include <coronet/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace coronet {
class histogram_metric;
}

namespace coronet::rpc {

struct limits {
    /// Largest frame accepted (header and segments), in bytes. Bigger: Abort.
    std::size_t message_bytes_max = 64u << 20;
    /// Segments per frame (the reference implementation allows 512).
    std::size_t segments_max = 512;
    /// Cap'n Proto's traversal limit for one received message, in words: a
    /// message whose pointers make readers visit more than this (e.g. the
    /// same list referenced over and over) fails to read.
    std::uint64_t traversal_words_max = 8u << 20;
    /// Pointer nesting depth when reading a received message.
    int nesting_max = 64;
};

struct connection_options {
    rpc::limits limits;
    /// Calls this side answers at once; beyond it the connection stops
    /// reading (TCP pushes back on the caller) until one finishes.
    std::size_t incoming_calls_max = 1024;
    /// Calls this side has outstanding at once; beyond it a call waits for a
    /// slot before it is sent.
    std::size_t outgoing_calls_max = 1024;
    /// Bytes of the receive chunks messages are read into, in place.
    std::size_t receive_chunk_bytes = 64 * 1024;
    /// Unsent bytes queued before senders wait (bandwidth is not infinite).
    std::size_t send_queue_bytes_max = 8u << 20;
    /// Deadline of every call that does not set its own (none by default).
    std::optional<duration> call_timeout;
    /// Where the time of each call this side answers goes, in nanoseconds from
    /// its Call read to its Return queued (null: not measured, no clock read).
    /// rpc::register_metrics sets it for a server.
    histogram_metric* call_latency = nullptr;
};

/// Per call.
struct call_options {
    /// The call fails with asio::error::timed_out after this long; the callee
    /// is sent Finish, i.e. asked to cancel.
    std::optional<duration> timeout;
};

} // namespace coronet::rpc
