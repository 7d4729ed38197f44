#include <coronet/transports/url.hpp>

#include <cctype>
#include <charconv>
#include <stdexcept>

namespace coronet {

namespace {

[[noreturn]] void fail(std::string_view text, std::string_view why) {
    throw std::invalid_argument("bad endpoint URL '" + std::string(text) + "': " + std::string(why) +
                                " (expected tcp://, udp://, uring:// or sim:// then host:port, e.g. "
                                "tcp://127.0.0.1:7000, uring://[::1]:7000, sim://n3:7000 or "
                                "fault+udp://127.0.0.1:7000?drop=0.1)");
}

} // namespace

std::string_view to_string(scheme s) {
    switch (s) {
    case scheme::tcp: return "tcp";
    case scheme::udp: return "udp";
    case scheme::uring: return "uring";
    case scheme::sim: return "sim";
    }
    return "?";
}

std::string make_url(scheme s, const asio::ip::address& address, std::uint16_t port) {
    auto host = address.to_string();
    if (address.is_v6()) host = "[" + host + "]";
    return std::string(to_string(s)) + "://" + host + ":" + std::to_string(port);
}

std::string url::str() const {
    if (scheme == scheme::sim && address.is_unspecified()) return "sim://" + host + ":" + std::to_string(port);
    if (!fault) return make_url(scheme, address, port);
    return "fault+" + make_url(scheme, address, port) + (faults.empty() ? "" : "?" + faults);
}

url parse_url(std::string_view text) {
    auto sep = text.find("://");
    if (sep == std::string_view::npos) fail(text, "missing '://'");
    auto name = text.substr(0, sep);
    url u{};
    if (name.starts_with("fault+")) {
        u.fault = true;
        name.remove_prefix(6);
    }
    if (name == "tcp") u.scheme = scheme::tcp;
    else if (name == "udp") u.scheme = scheme::udp;
    else if (name == "uring") u.scheme = scheme::uring;
    else if (name == "sim") u.scheme = scheme::sim;
    else fail(text, "unknown scheme '" + std::string(name) + "'");
    if (u.fault && u.scheme == scheme::sim)
        fail(text, "sim:// has its own fault model (sim::network); fault+ wraps real transports only");

    auto rest = text.substr(sep + 3);
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        if (!u.fault) fail(text, "a '?query' (fault plan) needs the fault+ prefix, e.g. fault+tcp://");
        u.faults = std::string(rest.substr(q + 1));
        rest = rest.substr(0, q);
    }
    std::string_view host, port;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos) fail(text, "unclosed '[' in IPv6 host");
        host = rest.substr(1, close - 1);
        if (rest.substr(close + 1).size() < 2 || rest[close + 1] != ':') fail(text, "missing ':port'");
        port = rest.substr(close + 2);
    } else {
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) fail(text, "missing ':port'");
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (host.empty()) fail(text, "empty host");

    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535)
        fail(text, "port must be a number from 0 to 65535");
    u.port = static_cast<std::uint16_t>(value);
    u.host = std::string(host);

    if (u.scheme == scheme::sim) {
        boost::system::error_code numeric;
        u.address = asio::ip::make_address(u.host, numeric);
        if (numeric) {
            u.address = asio::ip::address();
            for (char c : host)
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
                    fail(text, "a sim node name has only letters, digits, '-', '_' and '.'");
        }
    } else if (host == "localhost") {
        u.address = asio::ip::address_v4::loopback();
    } else {
        boost::system::error_code bad;
        u.address = asio::ip::make_address(u.host, bad);
        // Names other than localhost would need a resolver round trip at parse
        // time; endpoints are numeric so a URL always means one address.
        if (bad) fail(text, "host must be an IP address or localhost");
    }
    return u;
}

} // namespace coronet
