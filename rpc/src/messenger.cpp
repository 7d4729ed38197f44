#include "connection_state.hpp"

#include <coronet/rpc/messenger.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/co_spawn.hpp>

namespace coronet::rpc {

messenger::messenger(any_stream s, connection_options o, logger_ptr log)
    : _state(std::make_shared<detail::connection_state>(std::move(s), nullptr, o, std::move(log),
                                                        detail::connection_state::mode::one_way_sender)) {
    auto state = _state;
    asio::co_spawn(state->executor(), state->run(), [state](std::exception_ptr e) {
        if (e) state->close("messenger failed");
    });
}

messenger::messenger(messenger&&) noexcept = default;
messenger& messenger::operator=(messenger&& other) noexcept {
    if (this != &other) {
        if (_state) _state->close_when_sent();
        _state = std::move(other._state);
    }
    return *this;
}
messenger::~messenger() {
    if (_state) _state->close_when_sent();
}

void messenger::close() { _state->close(""); }
bool messenger::is_open() const { return _state && _state->is_open(); }
connection_counters messenger::counters() const { return _state->counters(); }

asio::awaitable<void> messenger::post_raw(std::shared_ptr<detail::connection_state> s, std::uint64_t interface_id,
                                          std::uint16_t method_id,
                                          kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill) {
    if (!s) throw std::logic_error("rpc: post on an empty messenger");
    co_await s->post_one_way(interface_id, method_id, fill);
}

asio::awaitable<messenger> connect_messenger(std::string_view url, connection_options o, logger_ptr log) {
    auto s = co_await coronet::connect(url);
    co_return messenger(std::move(s), o, std::move(log));
}

} // namespace coronet::rpc
