#pragma once
// A stream of any transport, chosen at run time (e.g. from a URL).

#include <coronet/transports/stream.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <array>
#include <memory>
#include <tuple>

namespace coronet {

class any_stream {
    // Type erasure costs one virtual call and one handler box per operation,
    // noise next to a system call; bench/ measures it (the `-any` variants).
    // The box and the executor it carries are heap allocations, though, so a
    // coroutine awaiting `as_tuple(use_awaitable)` takes another path: a
    // virtual coroutine per operation, whose frame Asio recycles per thread.
    // Reads fill the first buffer of a sequence and writes gather at most
    // gather_buffers_max buffers: both are allowed by read_some/write_some,
    // and asio::async_read/async_write loop over the rest.
public:
    using executor_type = asio::any_io_executor;
    static constexpr std::size_t gather_buffers_max = 16;
    using read_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
    using write_handler = read_handler;

    any_stream() = default;
    template <stream S>
        requires(!std::same_as<std::remove_cvref_t<S>, any_stream>)
    explicit any_stream(S s) : _impl(std::make_unique<model<S>>(std::move(s))) {}

    explicit operator bool() const { return _impl != nullptr; }
    executor_type get_executor() { return _impl->executor(); }

    using io_result = std::tuple<boost::system::error_code, std::size_t>;
    using awaitable_result_t = asio::as_tuple_t<asio::use_awaitable_t<>>;

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_read_some(const MutableBuffers& buffers, Token&& token = {}) {
        if constexpr (std::same_as<std::decay_t<Token>, awaitable_result_t>)
            return _impl->read_some(first_buffer(buffers));
        else
            return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](read_handler h, impl* i, asio::mutable_buffer b) { i->read_some(b, std::move(h)); }, token,
            _impl.get(), first_buffer(buffers));
    }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_write_some(const ConstBuffers& buffers, Token&& token = {}) {
        gather g;
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers) && g.count < gather_buffers_max; ++it)
            if (asio::const_buffer b(*it); b.size() > 0) g.buffers[g.count++] = b;
        if constexpr (std::same_as<std::decay_t<Token>, awaitable_result_t>)
            return _impl->write_some(g);
        else
            return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](write_handler h, impl* i, gather g) { i->write_some(g, std::move(h)); }, token, _impl.get(), g);
    }

    void shutdown(asio::socket_base::shutdown_type what) { _impl->shutdown(what); }
    void cancel() { _impl->cancel(); }
    void close() { _impl->close(); }
    bool is_open() const { return _impl && _impl->is_open(); }
    asio::ip::tcp::endpoint local_endpoint() const { return _impl->local_endpoint(); }
    asio::ip::tcp::endpoint remote_endpoint() const { return _impl->remote_endpoint(); }

private:
    struct gather {
        std::array<asio::const_buffer, gather_buffers_max> buffers;
        std::size_t count = 0;
        auto begin() const { return buffers.begin(); }
        auto end() const { return buffers.begin() + static_cast<std::ptrdiff_t>(count); }
    };
    struct impl {
        virtual ~impl() = default;
        virtual executor_type executor() = 0;
        virtual void read_some(asio::mutable_buffer b, read_handler h) = 0;
        virtual void write_some(const gather& g, write_handler h) = 0;
        virtual asio::awaitable<io_result> read_some(asio::mutable_buffer b) = 0;
        virtual asio::awaitable<io_result> write_some(gather g) = 0;
        virtual void shutdown(asio::socket_base::shutdown_type what) = 0;
        virtual void cancel() = 0;
        virtual void close() = 0;
        virtual bool is_open() const = 0;
        virtual asio::ip::tcp::endpoint local_endpoint() const = 0;
        virtual asio::ip::tcp::endpoint remote_endpoint() const = 0;
    };
    template <class S>
    struct model final : impl {
        explicit model(S s) : stream(std::move(s)) {}
        executor_type executor() override { return stream.get_executor(); }
        void read_some(asio::mutable_buffer b, read_handler h) override {
            stream.async_read_some(asio::mutable_buffers_1(b), std::move(h));
        }
        void write_some(const gather& g, write_handler h) override {
            if (g.count == 1) stream.async_write_some(asio::const_buffers_1(g.buffers[0]), std::move(h));
            else stream.async_write_some(g, std::move(h));
        }
        asio::awaitable<io_result> read_some(asio::mutable_buffer b) override {
            co_return co_await stream.async_read_some(asio::mutable_buffers_1(b), awaitable_result_t{});
        }
        asio::awaitable<io_result> write_some(gather g) override {
            if (g.count == 1)
                co_return co_await stream.async_write_some(asio::const_buffers_1(g.buffers[0]), awaitable_result_t{});
            co_return co_await stream.async_write_some(g, awaitable_result_t{});
        }
        void shutdown(asio::socket_base::shutdown_type what) override { stream.shutdown(what); }
        void cancel() override { stream.cancel(); }
        void close() override { stream.close(); }
        bool is_open() const override { return stream.is_open(); }
        asio::ip::tcp::endpoint local_endpoint() const override { return stream.local_endpoint(); }
        asio::ip::tcp::endpoint remote_endpoint() const override { return stream.remote_endpoint(); }
        S stream;
    };
    std::unique_ptr<impl> _impl;
};

} // namespace coronet
