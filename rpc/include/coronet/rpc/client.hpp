#pragma once
// The client side of an interface: generated stubs derive from client_base
// and offer each method as an awaitable call and as a blocking call.

#include <coronet/rpc/connection.hpp>
#include <coronet/rpc/messenger.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <capnp/rpc.capnp.h>

#include <stdexcept>
#include <utility>

namespace coronet::rpc {

/// A method's results, read in place from the Return message that carried
/// them; valid as long as the response lives.
template <class Results>
class response {
public:
    response() = default; // empty; for Asio, which default-constructs results on failure
    explicit response(inbound_ptr m)
        : _message(std::move(m)),
          _results(_message->root<capnp::rpc::Message>().getReturn().getResults().getContent().getAs<Results>()) {}
    typename Results::Reader get() const { return _results; }
    const typename Results::Reader* operator->() const { return &_results; }
    const inbound_ptr& message() const { return _message; }

private:
    inbound_ptr _message;
    typename Results::Reader _results;
};

/// The default `fill` of a call: no parameters to set.
struct no_params {
    template <class Builder>
    void operator()(Builder) const {}
};

class client_base {
public:
    client_base() = default;
    explicit client_base(capability cap) : _cap(std::move(cap)) {}
    const capability& cap() const { return _cap; }
    explicit operator bool() const { return bool(_cap); }

protected:
    /// The awaitable owns copies of the capability and of `fill`, so it may
    /// be co_spawned or stored and awaited after this client is gone.
    template <class Params, class Results, class Fill>
    asio::awaitable<response<Results>> call(std::uint64_t interface_id, std::uint16_t method_id, Fill&& fill,
                                            call_options o) const {
        return invoke<Params, Results>(_cap, interface_id, method_id, std::decay_t<Fill>(std::forward<Fill>(fill)), o);
    }

    /// For threads that do not run the connection's executor: runs the call
    /// there and blocks until it ends. From the executor's own thread it
    /// would deadlock, so it throws std::logic_error instead.
    template <class Params, class Results, class Fill>
    response<Results> call_blocking(std::uint64_t interface_id, std::uint16_t method_id, Fill&& fill,
                                    call_options o) const {
        auto ex = _cap.get_executor();
        if (auto* io = ex.target<asio::io_context::executor_type>(); io && io->running_in_this_thread())
            throw std::logic_error("rpc: a blocking call on the connection's own thread would deadlock; co_await it");
        return asio::co_spawn(ex, call<Params, Results>(interface_id, method_id, std::forward<Fill>(fill), o),
                              asio::use_future)
            .get();
    }

private:
    template <class Params, class Results, class Fill>
    static asio::awaitable<response<Results>> invoke(capability cap, std::uint64_t interface_id,
                                                     std::uint16_t method_id, Fill fill, call_options o) {
        auto reply = co_await cap.call(
            interface_id, method_id, [&](capnp::AnyPointer::Builder p) { fill(p.initAs<Params>()); }, o);
        co_return response<Results>(std::move(reply));
    }

    capability _cap;
};

} // namespace coronet::rpc
