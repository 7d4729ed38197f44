#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/sim/datagram.hpp>
#include <coronet/transports/sim/resolve.hpp>
#include <coronet/transports/sim/stream.hpp>
#include <coronet/transports/tcp/listener.hpp>
#include <coronet/transports/uring/listener.hpp>
#include <coronet/transports/uring/stream.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <stdexcept>

namespace coronet {

namespace {

void require_stream_scheme(const url& u, std::string_view text) {
    if (u.scheme == scheme::udp)
        throw std::invalid_argument("'" + std::string(text) +
                                    "': udp:// is a datagram transport; open it with open_datagram()");
}

/// A sim:// URL names the node that binds it: it must be the executor's own.
sim::node& own_sim_node(const asio::any_io_executor& ex, const url& u, std::string_view text) {
    auto& n = sim::node_of(ex);
    if (u.host != n.name() && u.address != n.address())
        throw std::invalid_argument("'" + std::string(text) + "': can only bind on the executor's own node, " +
                                    n.name());
    return n;
}

} // namespace

any_listener listen(const asio::any_io_executor& ex, std::string_view text, int backlog) {
    auto u = parse_url(text);
    require_stream_scheme(u, text);
    if (u.scheme == scheme::sim) {
        auto& n = own_sim_node(ex, u, text);
        sim::listener l(ex, u.port, static_cast<std::size_t>(std::max(backlog, 1)));
        auto port = l.local_endpoint().port();
        return any_listener(std::move(l), "sim://" + n.name() + ":" + std::to_string(port));
    }
    if (u.scheme == scheme::uring) {
        uring::listener l(ex, u.tcp_endpoint(), backlog);
        auto bound = l.local_endpoint();
        return any_listener(std::move(l), make_url(scheme::uring, bound.address(), bound.port()));
    }
    tcp::listener l(ex, u.tcp_endpoint(), backlog);
    auto bound = l.local_endpoint();
    return any_listener(std::move(l), make_url(scheme::tcp, bound.address(), bound.port()));
}

asio::awaitable<any_stream> connect(std::string_view text) {
    auto u = parse_url(text);
    require_stream_scheme(u, text);
    auto ex = co_await asio::this_coro::executor;
    auto fail = [&](const boost::system::system_error& e) {
        return boost::system::system_error(e.code(), u.str() + ": cannot connect");
    };
    if (u.scheme == scheme::sim) {
        sim::stream s(ex);
        try {
            co_await s.async_connect({sim::resolve(ex, u.host), u.port});
        } catch (const boost::system::system_error& e) {
            throw fail(e);
        }
        co_return any_stream(std::move(s));
    }
    if (u.scheme == scheme::uring) {
        uring::stream s(ex);
        try {
            co_await s.async_connect(u.tcp_endpoint());
        } catch (const boost::system::system_error& e) {
            throw fail(e);
        }
        co_return any_stream(std::move(s));
    }
    tcp::stream s(ex);
    try {
        co_await s.async_connect(u.tcp_endpoint());
    } catch (const boost::system::system_error& e) {
        throw fail(e);
    }
    co_return any_stream(std::move(s));
}

any_datagram open_datagram(const asio::any_io_executor& ex, std::string_view text, std::size_t datagram_bytes_max) {
    auto u = parse_url(text);
    if (u.scheme == scheme::sim) {
        own_sim_node(ex, u, text);
        return any_datagram(sim::datagram_socket(ex, u.port, datagram_bytes_max));
    }
    if (u.scheme != scheme::udp)
        throw std::invalid_argument("'" + std::string(text) + "': open_datagram() needs a udp:// or sim:// URL");
    return any_datagram(udp::socket(ex, u.udp_endpoint(), datagram_bytes_max));
}

} // namespace coronet
