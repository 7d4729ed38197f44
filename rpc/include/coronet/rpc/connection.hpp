#pragma once
// One Cap'n Proto RPC (Level 0) connection over any coronet stream: the four
// tables, a reader that reads messages in place, a writer that coalesces every
// ready frame into one gather write, and calls in both directions.

#include <coronet/log.hpp>
#include <coronet/rpc/error.hpp>
#include <coronet/rpc/options.hpp>
#include <coronet/rpc/service.hpp>
#include <coronet/transports/any_stream.hpp>

#include <boost/asio/awaitable.hpp>

#include <kj/function.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace coronet::rpc {

namespace detail {
class connection_state;
}

class capability;

struct connection_counters {
    std::uint64_t messages_in = 0, messages_out = 0;
    std::uint64_t bytes_in = 0, bytes_out = 0;
    std::uint64_t reads = 0, writes = 0; ///< read / gather-write system calls (writes coalesce frames)
    std::uint64_t calls_in = 0, calls_out = 0;
    std::uint64_t cancelled_in = 0;   ///< calls we answered that the caller cancelled (Finish first)
    std::uint64_t unimplemented_in = 0;
    std::uint64_t failed_in = 0;      ///< questions we answered with an exception (unimplemented calls included)
};

class connection {
    // Starts at once on the stream's executor and runs until the peer closes,
    // a protocol error (Abort sent, then closed), or close() / destruction.
    // Every call pending when it closes fails with remote_error(disconnected).
    // Single executor: use it, and the capabilities from it, on the stream's
    // executor; the generated clients' *_blocking calls are for other threads.
public:
    /// Empty: not open (for Asio, which default-constructs results on failure).
    connection() = default;
    /// `bootstrap` is the capability this side offers its peer (may be null).
    explicit connection(any_stream s, std::shared_ptr<service> bootstrap = nullptr, connection_options o = {},
                        logger_ptr log = {});
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;
    ~connection();

    asio::any_io_executor get_executor() const;
    /// The peer's bootstrap capability (Bootstrap, then Finish).
    asio::awaitable<capability> bootstrap();
    /// A generated client for the peer's bootstrap interface.
    template <class Client>
    asio::awaitable<Client> bootstrap_as() {
        co_return Client(co_await bootstrap());
    }
    /// Completes once the connection has closed and all its work has ended.
    asio::awaitable<void> closed();
    void close();
    bool is_open() const;
    /// Why it closed ("" while open or after a clean close).
    std::string close_reason() const;
    connection_counters counters() const;

private:
    friend class server;
    explicit connection(std::shared_ptr<detail::connection_state> s);
    std::shared_ptr<detail::connection_state> _state;
};

/// Connects to a tcp://, uring://, sim:// (or fault+) URL and starts a
/// connection on the current coroutine's executor.
asio::awaitable<connection> connect(std::string_view url, connection_options o = {}, logger_ptr log = {});

class capability {
    // A reference to an object the peer exports (an import). Copies share the
    // reference; when the last copy goes, the peer is sent Release. Keeps the
    // connection's state, not the connection, alive: once the connection is
    // closed calls fail with remote_error(disconnected).
public:
    capability() = default;
    explicit operator bool() const { return _ref != nullptr; }
    asio::any_io_executor get_executor() const;

    /// Sends a Call, params built by `fill` before the first suspension, and
    /// returns the Return message (results in place). Throws remote_error for
    /// an exception or a lost connection, system_error(timed_out) after the
    /// deadline, and operation_aborted if cancelled (Finish is sent then).
    asio::awaitable<inbound_ptr> call(std::uint64_t interface_id, std::uint16_t method_id,
                                      kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill,
                                      call_options o = {}) const;

    struct import_ref; // shared by copies; sends Release when the last goes

private:
    friend class detail::connection_state;
    explicit capability(std::shared_ptr<import_ref> r) : _ref(std::move(r)) {}
    std::shared_ptr<import_ref> _ref;
};

} // namespace coronet::rpc
