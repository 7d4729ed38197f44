#include "http_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>

namespace coronet::bench::kv_bench {

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

// Named, not built inside the co_await expressions (GCC 12 mishandles
// temporaries there).
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

} // namespace

asio::awaitable<boost::system::error_code> connect_loopback(boost::beast::tcp_stream& stream, std::uint16_t port,
                                                            std::chrono::milliseconds timeout) {
    const asio::ip::tcp::endpoint ep(asio::ip::address_v4::loopback(), port);
    stream.expires_after(timeout);
    auto [ec] = co_await stream.async_connect(ep, use_tuple);
    if (!ec) stream.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    co_return ec;
}

asio::awaitable<boost::system::error_code> exchange(boost::beast::tcp_stream& stream,
                                                    boost::beast::flat_buffer& buffer, const http_request& req,
                                                    http_response& res, std::chrono::milliseconds timeout) {
    stream.expires_after(timeout);
    auto [wec, written] = co_await bhttp::async_write(stream, req, use_tuple);
    if (wec) {
        stream.close();
        co_return wec;
    }
    res = {};
    auto [rec, read] = co_await bhttp::async_read(stream, buffer, res, use_tuple);
    if (rec || !res.keep_alive()) stream.close();
    co_return rec;
}

std::uint16_t redirect_port(std::string_view location) {
    auto host = location.find("://");
    if (host == std::string_view::npos) return 0;
    auto colon = location.find(':', host + 3);
    if (colon == std::string_view::npos) return 0;
    std::uint16_t port = 0;
    std::from_chars(location.data() + colon + 1, location.data() + location.size(), port);
    return port;
}

} // namespace coronet::bench::kv_bench
