#pragma once
// A timer on a `coronet::clock`: a real steady_timer or a virtual one.

#include <coronet/clock.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace coronet {

class timer {
    // Move-only handle owning one timer implementation of the clock it was made
    // from. Destroying it cancels pending waits (they complete with
    // operation_aborted).
public:
    timer(const asio::any_io_executor& ex, clock& c) : _impl(c.make_timer(ex)) {}

    void expires_at(time_point when) { _impl->expires_at(when); }
    void expires_after(duration d, const clock& c) { _impl->expires_at(c.now() + d); }
    time_point expiry() const { return _impl->expiry(); }
    std::size_t cancel() { return _impl->cancel(); }

    template <class Token = asio::use_awaitable_t<>>
    auto async_wait(Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code)>(
            [](auto handler, timer_impl* impl) { impl->async_wait(std::move(handler)); }, token,
            _impl.get());
    }

private:
    std::unique_ptr<timer_impl> _impl;
};

} // namespace coronet
