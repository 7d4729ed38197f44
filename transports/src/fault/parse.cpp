// parse_plan: the query half of a fault URL ("fault+tcp://host:port?drop=0.1").

#include <coronet/transports/fault/plan.hpp>

#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>

namespace coronet::fault {

namespace {

[[noreturn]] void bad(std::string_view key, std::string_view value, std::string_view why) {
    throw std::invalid_argument("fault plan: " + std::string(key) + "=" + std::string(value) + ": " + std::string(why));
}

double parse_probability(std::string_view key, std::string_view value) {
    double p = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
        bad(key, value, "not a number (a probability such as 0.05)");
    if (!(p >= 0.0 && p <= 1.0)) bad(key, value, "a probability must be in [0, 1]");
    return p;
}

std::uint64_t parse_count(std::string_view key, std::string_view value) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
        bad(key, value, "not a non-negative integer");
    return n;
}

duration parse_duration(std::string_view key, std::string_view value) {
    std::size_t digits = 0;
    while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
    if (digits == 0) bad(key, value, "a duration is an integer with a unit: ns, us, ms or s (e.g. 5ms)");
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + digits, n);
    if (ec != std::errc{}) bad(key, value, "too large (at most 1h)");
    auto unit = value.substr(digits);
    std::uint64_t ns_per_unit = 0;
    if (unit == "ns") ns_per_unit = 1;
    else if (unit == "us") ns_per_unit = 1000;
    else if (unit == "ms") ns_per_unit = 1000 * 1000;
    else if (unit == "s") ns_per_unit = 1000 * 1000 * 1000;
    else if (unit.empty()) bad(key, value, "a duration needs a unit: ns, us, ms or s (e.g. 5ms)");
    else bad(key, value, "unknown unit '" + std::string(unit) + "' (use ns, us, ms or s)");
    constexpr std::uint64_t hour_ns = 3600ULL * 1000 * 1000 * 1000;
    if (n > hour_ns / ns_per_unit) bad(key, value, "too large (at most 1h)");
    return std::chrono::duration_cast<duration>(std::chrono::nanoseconds(n * ns_per_unit));
}

peer parse_peer(std::string_view key, std::string_view item) {
    std::string_view host = item;
    std::string_view port;
    if (!item.empty() && item.front() == '[') {
        auto close = item.find(']');
        if (close == std::string_view::npos) bad(key, item, "an IPv6 address needs a closing ']'");
        host = item.substr(1, close - 1);
        auto rest = item.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') bad(key, item, "expected ':port' after ']'");
            port = rest.substr(1);
            if (port.empty()) bad(key, item, "empty port");
        }
    } else if (auto colon = item.rfind(':'); colon != std::string_view::npos) {
        if (item.find(':') != colon) bad(key, item, "write an IPv6 address as [addr] or [addr]:port");
        host = item.substr(0, colon);
        port = item.substr(colon + 1);
        if (port.empty()) bad(key, item, "empty port");
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(std::string(host), ec);
    if (ec) bad(key, item, "not an IP address (names are not resolved here)");
    std::uint16_t p = 0;
    if (!port.empty()) {
        auto [end, pec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (pec != std::errc{} || end != port.data() + port.size()) bad(key, item, "port must be 0..65535");
    }
    return peer{address, p};
}

} // namespace

plan parse_plan(std::string_view query) {
    if (!query.empty() && query.front() == '?') query.remove_prefix(1);
    settings s;
    std::set<peer> blocked;
    std::set<std::string, std::less<>> seen;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto item = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (item.empty()) continue; // "a=1&&b=2" and a trailing '&' are harmless
        auto eq = item.find('=');
        if (eq == std::string_view::npos)
            throw std::invalid_argument("fault plan: '" + std::string(item) + "' is not key=value");
        auto key = item.substr(0, eq);
        auto value = item.substr(eq + 1);
        std::string canonical(key == "duplicate" ? "dup" : key);
        if (!seen.insert(canonical).second)
            throw std::invalid_argument("fault plan: " + std::string(key) + " is given twice");
        if (key == "drop") s.drop = parse_probability(key, value);
        else if (key == "delay") s.delay = parse_duration(key, value);
        else if (key == "jitter") s.jitter = parse_duration(key, value);
        else if (key == "dup" || key == "duplicate") s.duplicate = parse_probability(key, value);
        else if (key == "reorder") s.reorder = parse_probability(key, value);
        else if (key == "reorder_window") s.reorder_window = parse_duration(key, value);
        else if (key == "reset") s.reset = parse_probability(key, value);
        else if (key == "reset_after") s.reset_after = parse_count(key, value);
        else if (key == "rto") s.rto = parse_duration(key, value);
        else if (key == "seed") s.seed = parse_count(key, value);
        else if (key == "block") {
            if (value.empty()) bad(key, value, "expected ip[:port] items separated by ','");
            while (!value.empty()) {
                auto comma = value.find(',');
                blocked.insert(parse_peer(key, value.substr(0, comma)));
                value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
            }
        } else {
            throw std::invalid_argument("fault plan: unknown key '" + std::string(key) +
                                        "' (known: drop, delay, jitter, dup, reorder, reorder_window, reset, "
                                        "reset_after, rto, seed, block)");
        }
    }
    plan p(s);
    for (auto& b : blocked) p.block(b);
    return p;
}

} // namespace coronet::fault
