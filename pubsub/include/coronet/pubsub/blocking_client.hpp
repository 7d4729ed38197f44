#pragma once
// The broker client for plain threads (sync): every call blocks until done.
// It runs a client on a thread of its own; calls hand work to that thread and
// wait, so it may be used from any number of threads, but never from a
// coroutine (that would block its executor: use pubsub::client there).

#include <coronet/pubsub/client.hpp>

#include <boost/asio/io_context.hpp>

#include <thread>

namespace coronet::pubsub {

class blocking_client {
public:
    /// Connects; throws what connect() throws.
    explicit blocking_client(std::string url, client_options o = {});
    ~blocking_client(); // closes and joins its thread
    blocking_client(const blocking_client&) = delete;
    blocking_client& operator=(const blocking_client&) = delete;

    /// \warning must not outlive the blocking_client it came from.
    class subscription {
    public:
        /// The next message, or nothing after `timeout`.
        std::optional<message> next(duration timeout);
        std::uint64_t missed() const;
        void unsubscribe();

    private:
        friend class blocking_client;
        subscription(blocking_client& c, pubsub::subscription s) : _c(&c), _s(std::move(s)) {}
        blocking_client* _c;
        pubsub::subscription _s;
    };

    void publish(std::string_view topic, std::string_view text, std::string_view reply_to = {});
    void publish(std::string_view topic, std::span<const std::byte> payload, std::string_view reply_to = {});
    /// client::publish_retained, from a plain thread.
    void publish_retained(std::string_view topic, std::string_view text);
    subscription subscribe(std::string_view pattern, std::string_view queue_group = {});
    message request(std::string_view topic, std::string_view text, duration timeout);
    void flush();

private:
    template <class F>
    auto on_thread(F f);

    asio::io_context _io;
    asio::executor_work_guard<asio::io_context::executor_type> _work{_io.get_executor()};
    std::thread _thread;
    client _client;
};

} // namespace coronet::pubsub
