#pragma once
// Endpoint URLs: tcp://host:port, udp://host:port, uring://host:port,
// sim://node:port (a node of a simulated network), and any real one behind
// fault injection: fault+tcp://host:port?drop=0.1&delay=5ms.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace coronet {

namespace asio = boost::asio;

enum class scheme { tcp, udp, uring, sim };

struct url {
    coronet::scheme scheme;
    std::string host; // as written, without IPv6 brackets
    std::uint16_t port;
    asio::ip::address address; // numeric, resolved at parse time (sim: only if host is numeric)
    bool fault = false;        // fault+ prefix: wrap the transport in fault injection
    std::string faults;        // fault+ only: the fault plan as a query, without '?'

    std::string str() const;
    asio::ip::tcp::endpoint tcp_endpoint() const { return {address, port}; }
    asio::ip::udp::endpoint udp_endpoint() const { return {address, port}; }
};

/// Parses `scheme://host:port` where host is an IPv4 address, a bracketed IPv6
/// address or `localhost` (for sim://, a node name or its address); port 0
/// asks for a free port. A real transport may be prefixed `fault+` and
/// followed by a fault plan, `?drop=0.1&delay=5ms` (see fault::parse_plan;
/// the plan itself is checked when the endpoint is opened). Throws
/// std::invalid_argument with a message saying what was expected.
url parse_url(std::string_view text);

std::string_view to_string(scheme s);

/// The URL of a bound endpoint, e.g. to print the port the kernel chose.
std::string make_url(scheme s, const asio::ip::address& address, std::uint16_t port);

} // namespace coronet
