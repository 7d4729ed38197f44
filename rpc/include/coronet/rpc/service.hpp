#pragma once
// The server side of an interface: generated bases derive from rpc::service
// and dispatch a call to the coroutine that implements its method.

#include <coronet/rpc/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>

#include <capnp/any.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace coronet::rpc {

namespace asio = boost::asio;

/// What a method sees besides its parameters and results.
class call_context {
public:
    call_context(std::uint64_t interface_id, std::uint16_t method_id, bool one_way)
        : _interface_id(interface_id), _method_id(method_id), _one_way(one_way) {}
    std::uint64_t interface_id() const { return _interface_id; }
    std::uint16_t method_id() const { return _method_id; }
    /// A one-way message (see rpc::messenger): the results go nowhere.
    bool one_way() const { return _one_way; }

private:
    std::uint64_t _interface_id;
    std::uint16_t _method_id;
    bool _one_way;
};

/// One call being answered: its parameters, read in place, and its results,
/// built in place in the Return message that will carry them.
class incoming_call {
public:
    incoming_call(call_context ctx, capnp::AnyPointer::Reader params, capnp::AnyPointer::Builder results)
        : _ctx(ctx), _params(params), _results(results) {}

    template <class Params>
    typename Params::Reader params() const {
        return _params.getAs<Params>();
    }
    template <class Results>
    typename Results::Builder results() {
        return _results.initAs<Results>();
    }
    call_context& context() { return _ctx; }

private:
    call_context _ctx;
    capnp::AnyPointer::Reader _params;
    capnp::AnyPointer::Builder _results;
};

class service {
    // A method cancelled by the caller (Finish before Return, or the caller's
    // deadline) sees its next co_await throw operation_aborted, as any
    // cancelled coroutine does. A method throws rpc::remote_error to choose
    // the exception type its caller sees; anything else arrives as `failed`.
public:
    virtual ~service() = default;
    virtual std::string_view interface_name() const = 0;
    /// True for its own interface id and for those of the interfaces it extends.
    virtual bool implements(std::uint64_t interface_id) const = 0;
    /// Runs a method; an unknown method throws remote_error(unimplemented).
    virtual asio::awaitable<void> dispatch(std::uint64_t interface_id, std::uint16_t method_id,
                                           incoming_call& call) = 0;
};

/// What dispatch() throws for a method it does not know.
[[noreturn]] void throw_unimplemented(std::string_view interface_name, std::uint64_t interface_id,
                                      std::uint16_t method_id);

} // namespace coronet::rpc
