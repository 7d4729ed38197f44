#pragma once
// Any listener whose accepted connections are fault::streams sharing one plan,
// so a server's side of every connection gets the same faults and a peer
// blocked on the plan is cut off from it.

#include <coronet/transports/fault/stream.hpp>
#include <coronet/transports/stream.hpp>

#include <boost/asio/deferred.hpp>

#include <memory>
#include <utility>

namespace coronet::fault {

template <coronet::listener L>
class listener {
public:
    using executor_type = asio::any_io_executor;

    listener(L next, std::shared_ptr<plan> p) : _next(std::move(next)), _plan(std::move(p)) {
        if (!_plan) throw std::invalid_argument("fault::listener: no plan");
    }

    executor_type get_executor() { return _next.get_executor(); }
    const std::shared_ptr<fault::plan>& get_plan() const { return _plan; }

    /// Completes with a fault::stream around the accepted connection; wrapped
    /// before type erasure, so a reset can still send a real RST.
    template <class Token = asio::use_awaitable_t<>>
    auto async_accept(Token&& token = {}) {
        return _next.async_accept(asio::deferred([p = _plan](boost::system::error_code ec, auto s) {
            return asio::deferred.values(ec, stream(std::move(s), p));
        }))(std::forward<Token>(token));
    }

    asio::ip::tcp::endpoint local_endpoint() const { return _next.local_endpoint(); }
    void cancel() { _next.cancel(); }
    void close() { _next.close(); }

private:
    L _next;
    std::shared_ptr<plan> _plan;
};

} // namespace coronet::fault
