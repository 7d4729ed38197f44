#pragma once
// A listener of any stream transport, chosen at run time.

#include <coronet/transports/any_stream.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>

#include <optional>

namespace coronet {

class any_listener {
public:
    using executor_type = asio::any_io_executor;
    using accept_handler = asio::any_completion_handler<void(boost::system::error_code, any_stream)>;

    any_listener() = default;
    template <listener L>
        requires(!std::same_as<std::remove_cvref_t<L>, any_listener>)
    any_listener(L l, std::string url) : _impl(std::make_unique<model<L>>(std::move(l))), _url(std::move(url)) {}

    explicit operator bool() const { return _impl != nullptr; }
    executor_type get_executor() { return _impl->executor(); }
    /// The URL actually bound (port 0 resolved to the kernel's choice).
    const std::string& url() const { return _url; }

    template <class Token = asio::use_awaitable_t<>>
    auto async_accept(Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, any_stream)>(
            [](accept_handler h, impl* i) { i->accept(std::move(h)); }, token, _impl.get());
    }

    asio::ip::tcp::endpoint local_endpoint() const { return _impl->local_endpoint(); }
    void cancel() { _impl->cancel(); }
    void close() { _impl->close(); }

private:
    struct impl {
        virtual ~impl() = default;
        virtual executor_type executor() = 0;
        virtual void accept(accept_handler h) = 0;
        virtual asio::ip::tcp::endpoint local_endpoint() const = 0;
        virtual void cancel() = 0;
        virtual void close() = 0;
    };
    template <class L>
    struct model final : impl {
        explicit model(L l) : listener(std::move(l)) {}
        executor_type executor() override { return listener.get_executor(); }
        void accept(accept_handler h) override {
            // async_compose keeps the handler's executor and cancellation slot.
            asio::async_compose<accept_handler, void(boost::system::error_code, any_stream)>(
                [this, started = false](auto& self, boost::system::error_code ec = {},
                                        std::optional<any_stream> s = {}) mutable {
                    if (!started) {
                        started = true;
                        listener.async_accept(
                            asio::deferred([](boost::system::error_code ec, auto stream) {
                                return asio::deferred.values(ec, std::optional<any_stream>(
                                                                     ec ? any_stream{} : any_stream(std::move(stream))));
                            }))(std::move(self));
                        return;
                    }
                    self.complete(ec, s ? std::move(*s) : any_stream{});
                },
                h, listener);
        }
        asio::ip::tcp::endpoint local_endpoint() const override { return listener.local_endpoint(); }
        void cancel() override { listener.cancel(); }
        void close() override { listener.close(); }
        L listener;
    };
    std::unique_ptr<impl> _impl;
    std::string _url;
};

} // namespace coronet
