#include "cluster_probe.hpp"

#include <coronet/transports/http_client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/json.hpp>

#include <random>
#include <stdexcept>

namespace coronet::cli {

namespace {

boost::json::object status_of(const std::string& host_port) {
    http::blocking_client c("http://" + host_port, std::chrono::milliseconds(500));
    auto r = c.request(boost::beast::http::verb::get, "/v1/status");
    return boost::json::parse(r.body).as_object();
}

} // namespace

std::uint64_t kv_agreed_leader(const std::vector<std::string>& https) {
    std::uint64_t leader = 0;
    for (const auto& h : https) {
        try {
            auto l = status_of(h).at("leader").to_number<std::uint64_t>();
            if (l == 0 || (leader != 0 && l != leader)) return 0;
            leader = l;
        } catch (const std::exception&) {
            return 0;
        }
    }
    return leader;
}

bool dht_ring_formed(const std::vector<std::string>& https) {
    for (const auto& h : https) {
        try {
            auto s = status_of(h);
            if (s.at("state").as_string() != "joined" || s.at("predecessor").is_null()) return false;
        } catch (const std::exception&) {
            return false;
        }
    }
    return true;
}

namespace {

constexpr unsigned first_port = 10000, port_count = 10000;

bool bindable(unsigned port) {
    namespace ip = boost::asio::ip;
    boost::asio::io_context io;
    boost::system::error_code tcp_ec, udp_ec;
    ip::tcp::acceptor a(io);
    a.open(ip::tcp::v4(), tcp_ec);
    if (!tcp_ec) a.bind({ip::address_v4::loopback(), static_cast<unsigned short>(port)}, tcp_ec);
    ip::udp::socket u(io);
    u.open(ip::udp::v4(), udp_ec);
    if (!udp_ec) u.bind({ip::address_v4::loopback(), static_cast<unsigned short>(port)}, udp_ec);
    return !tcp_ec && !udp_ec;
}

} // namespace

port_picker::port_picker() : _next(first_port + std::random_device{}() % port_count) {}

unsigned port_picker::next() {
    // Sequential from a random start: distinct within one picker, and two
    // demos started together rarely walk the same stretch.
    while (_tried < port_count) {
        unsigned port = first_port + (_next++ - first_port) % port_count;
        ++_tried;
        if (bindable(port)) return port;
    }
    throw std::runtime_error("no free port left in 10000-19999 on 127.0.0.1");
}

} // namespace coronet::cli
