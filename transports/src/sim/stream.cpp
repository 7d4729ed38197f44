#include "stream_end.hpp"

#include <boost/system/system_error.hpp>

namespace coronet::sim {

using detail::stream_end;

stream::stream(const executor_type& ex)
    : _ex(ex) {
    auto& inc = [&]() -> detail::incarnation& {
        auto* w = detail::world_of(ex);
        if (!w) throw std::invalid_argument("sim::stream: the executor is not a sim node's (use node.get_executor())");
        return w->process_of_or_throw(ex, "sim::stream");
    }();
    _end = std::make_shared<stream_end>(inc);
}

stream::stream(std::shared_ptr<stream_end> end) : _end(std::move(end)) {
    if (_end) _ex = _end->process.ctx.get_executor();
}

stream::stream(stream&&) noexcept = default;
stream& stream::operator=(stream&& o) noexcept {
    if (this != &o) {
        if (_end) _end->close();
        _ex = std::move(o._ex);
        _end = std::move(o._end);
    }
    return *this;
}

stream::~stream() {
    if (_end) _end->close();
}

namespace {
template <class Handler, class... Args>
void no_stream(const asio::any_io_executor& ex, Handler h, Args... args) {
    asio::post(ex, asio::append(std::move(h), asio::error::bad_descriptor, std::move(args)...));
}
} // namespace

void stream::connect(asio::ip::tcp::endpoint to, connect_handler h) {
    if (!_end) return no_stream(_ex, std::move(h));
    _end->connect(to, std::move(h));
}

void stream::read_some(asio::mutable_buffer b, io_handler h) {
    if (!_end) return no_stream(_ex, std::move(h), std::size_t{0});
    _end->read_some(b, std::move(h));
}

void stream::write_some(std::span<const asio::const_buffer> b, io_handler h) {
    if (!_end) return no_stream(_ex, std::move(h), std::size_t{0});
    _end->write_some(b, std::move(h));
}

void stream::shutdown(asio::socket_base::shutdown_type what) {
    if (_end && what != asio::socket_base::shutdown_receive) _end->shutdown_send();
}

void stream::cancel() {
    if (_end) _end->cancel();
}

void stream::close() {
    if (_end) _end->close();
}

bool stream::is_open() const { return _end && !_end->closed && _end->state != stream_end::phase::idle; }

asio::ip::tcp::endpoint stream::local_endpoint() const { return _end ? _end->local : asio::ip::tcp::endpoint{}; }
asio::ip::tcp::endpoint stream::remote_endpoint() const { return _end ? _end->remote : asio::ip::tcp::endpoint{}; }

// ---- listener

listener::listener(const executor_type& ex, std::uint16_t port, std::size_t backlog) : _ex(ex) {
    auto* w = detail::world_of(ex);
    if (!w) throw std::invalid_argument("sim::listener: the executor is not a sim node's (use node.get_executor())");
    auto& inc = w->process_of_or_throw(ex, "sim::listener");
    if (!inc.alive) throw boost::system::system_error(detail::process_gone(), "sim::listener: the node is down");
    auto& ns = w->at(inc.node);
    if (port == 0) port = ns.ephemeral(ns.listeners);
    if (ns.listeners.contains(port))
        throw boost::system::system_error(asio::error::address_in_use,
                                          "sim://" + ns.facade->name() + ":" + std::to_string(port));
    _state = std::make_shared<detail::listener_state>(inc, port, backlog == 0 ? w->options.tcp.backlog : backlog);
    ns.listeners.emplace(port, _state.get());
    w->record("listen", inc.node, inc.node, port);
}

listener::listener(listener&&) noexcept = default;
listener& listener::operator=(listener&& o) noexcept {
    if (this != &o) {
        if (_state) _state->close();
        _ex = std::move(o._ex);
        _state = std::move(o._state);
    }
    return *this;
}

listener::~listener() {
    if (_state) _state->close();
}

void listener::accept(accept_handler h) {
    if (!_state) return no_stream(_ex, std::move(h), stream(std::shared_ptr<stream_end>{}));
    _state->accept(std::move(h));
}

asio::ip::tcp::endpoint listener::local_endpoint() const {
    if (!_state) return {};
    return {_state->w.at(_state->process.node).address, _state->port};
}

void listener::cancel() {
    if (_state) _state->cancel();
}

void listener::close() {
    if (_state) _state->close();
}

} // namespace coronet::sim
