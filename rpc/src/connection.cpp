#include "connection_state.hpp"

#include <coronet/rpc/service.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

namespace coronet::rpc {

std::string_view to_string(exception_type t) {
    switch (t) {
    case exception_type::failed: return "failed";
    case exception_type::overloaded: return "overloaded";
    case exception_type::disconnected: return "disconnected";
    case exception_type::unimplemented: return "unimplemented";
    }
    return "failed";
}

void throw_unimplemented(std::string_view interface_name, std::uint64_t interface_id, std::uint16_t method_id) {
    throw remote_error(exception_type::unimplemented, "method " + std::to_string(method_id) + " of interface " +
                                                          std::to_string(interface_id) + " is not implemented by " +
                                                          std::string(interface_name));
}

connection::connection(any_stream s, std::shared_ptr<service> bootstrap, connection_options o, logger_ptr log)
    : connection(std::make_shared<detail::connection_state>(std::move(s), std::move(bootstrap), o, std::move(log))) {
    auto state = _state;
    asio::co_spawn(state->executor(), state->run(), [state](std::exception_ptr e) {
        if (e) state->close("connection failed");
    });
}

connection::connection(std::shared_ptr<detail::connection_state> s) : _state(std::move(s)) {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& other) noexcept {
    if (this != &other) {
        if (_state) _state->close("");
        _state = std::move(other._state);
    }
    return *this;
}
connection::~connection() {
    if (_state) _state->close("");
}

asio::any_io_executor connection::get_executor() const { return _state->executor(); }
asio::awaitable<capability> connection::bootstrap() { return _state->bootstrap(); }
asio::awaitable<void> connection::closed() { return _state->closed(); }
void connection::close() { _state->close(""); }
bool connection::is_open() const { return _state && _state->is_open(); }
std::string connection::close_reason() const { return _state->close_reason(); }
connection_counters connection::counters() const { return _state->counters(); }

asio::awaitable<connection> connect(std::string_view url, connection_options o, logger_ptr log) {
    auto s = co_await coronet::connect(url);
    co_return connection(std::move(s), nullptr, o, std::move(log));
}

asio::any_io_executor capability::get_executor() const { return _ref->state->executor(); }

asio::awaitable<inbound_ptr> capability::call(std::uint64_t interface_id, std::uint16_t method_id,
                                              kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill,
                                              call_options o) const {
    if (!_ref) throw std::logic_error("rpc: call on an empty capability");
    // Keeps the reference (and so the connection state) alive for the call.
    auto ref = _ref;
    co_return co_await ref->state->call(ref->id, interface_id, method_id, fill, o);
}

} // namespace coronet::rpc
