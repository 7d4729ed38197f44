#include "cluster_probe.hpp"

#include <coronet/transports/http_client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/json.hpp>

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

unsigned free_loopback_port(bool udp) {
    namespace ip = boost::asio::ip;
    boost::asio::io_context io;
    if (udp) {
        ip::udp::socket s(io, ip::udp::endpoint(ip::address_v4::loopback(), 0));
        return s.local_endpoint().port();
    }
    ip::tcp::acceptor a(io, ip::tcp::endpoint(ip::address_v4::loopback(), 0));
    return a.local_endpoint().port();
}

} // namespace coronet::cli
