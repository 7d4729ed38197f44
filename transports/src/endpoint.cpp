#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/fault.hpp>
#include <coronet/transports/sim/datagram.hpp>
#include <coronet/transports/sim/resolve.hpp>
#include <coronet/transports/sim/stream.hpp>
#include <coronet/transports/stream_datagram.hpp>
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

/// The plan of a fault+ URL, each open endpoint its own; a bad plan is a bad URL.
std::shared_ptr<fault::plan> plan_of(const url& u, std::string_view text) {
    try {
        return std::make_shared<fault::plan>(fault::parse_plan(u.faults));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("bad endpoint URL '" + std::string(text) + "': " + e.what());
    }
}

template <class L>
any_listener make_listener(L l, const url& u, std::string_view text) {
    auto bound = l.local_endpoint();
    auto name = make_url(u.scheme, bound.address(), bound.port());
    if (!u.fault) return any_listener(std::move(l), std::move(name));
    auto faults = u.faults.empty() ? "" : "?" + u.faults;
    return any_listener(fault::listener<L>(std::move(l), plan_of(u, text)), "fault+" + name + faults);
}

/// Connects a real stream transport, wrapped in faults for a fault+ URL
/// (before erasure, so a reset can still send a real RST).
template <class S>
asio::awaitable<any_stream> connect_as(S s, const url& u, std::shared_ptr<fault::plan> plan) {
    try {
        co_await s.async_connect(u.tcp_endpoint());
    } catch (const boost::system::system_error& e) {
        throw boost::system::system_error(e.code(), u.str() + ": cannot connect");
    }
    if (plan) co_return any_stream(fault::stream(std::move(s), std::move(plan)));
    co_return any_stream(std::move(s));
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
    if (u.scheme == scheme::uring) return make_listener(uring::listener(ex, u.tcp_endpoint(), backlog), u, text);
    return make_listener(tcp::listener(ex, u.tcp_endpoint(), backlog), u, text);
}

asio::awaitable<any_stream> connect(std::string_view text) {
    auto u = parse_url(text);
    require_stream_scheme(u, text);
    auto ex = co_await asio::this_coro::executor;
    if (u.scheme == scheme::sim) {
        sim::stream s(ex);
        try {
            co_await s.async_connect({sim::resolve(ex, u.host), u.port});
        } catch (const boost::system::system_error& e) {
            throw boost::system::system_error(e.code(), u.str() + ": cannot connect");
        }
        co_return any_stream(std::move(s));
    }
    auto plan = u.fault ? plan_of(u, text) : nullptr;
    if (u.scheme == scheme::uring) co_return co_await connect_as(uring::stream(ex), u, std::move(plan));
    co_return co_await connect_as(tcp::stream(ex), u, std::move(plan));
}

any_datagram open_datagram(const asio::any_io_executor& ex, std::string_view text, std::size_t datagram_bytes_max) {
    auto u = parse_url(text);
    if (u.scheme == scheme::sim) {
        own_sim_node(ex, u, text);
        return any_datagram(sim::datagram_socket(ex, u.port, datagram_bytes_max));
    }
    if (u.scheme == scheme::tcp || u.scheme == scheme::uring) {
        stream_datagram_options o;
        o.datagram_bytes_max = datagram_bytes_max;
        return any_datagram(stream_datagram(ex, text, o));
    }
    udp::socket s(ex, u.udp_endpoint(), datagram_bytes_max);
    if (u.fault) return any_datagram(fault::datagram_socket(std::move(s), plan_of(u, text)));
    return any_datagram(std::move(s));
}

} // namespace coronet
