#include "demo_dashboard.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

namespace coronet::cli {

namespace {

using hs = http::status;

} // namespace

demo_dashboard::demo_dashboard(unsigned port, std::set<std::string> names) : _names(std::move(names)) {
    asio::ip::tcp::endpoint ep(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port));
    _server = std::make_unique<http::server>(
        _io.get_executor(), ep, [this](const http::request& r) { return handle(r); }, http::server_options{},
        make_logger("dashboard", spdlog::level::warn));
    _url = _server->url();
    _server->start();
    _thread = std::thread([this] { _io.run(); });
}

demo_dashboard::~demo_dashboard() {
    asio::co_spawn(_io, [](http::server& s) -> asio::awaitable<void> { co_await s.stop(); }(*_server),
                   asio::use_future)
        .get();
    _work.reset();
    _thread.join();
}

void demo_dashboard::set_state(std::string json) {
    std::lock_guard lock(_mutex);
    _state = std::move(json);
}

std::vector<dashboard_command> demo_dashboard::take_commands() {
    std::lock_guard lock(_mutex);
    return std::exchange(_commands, {});
}

asio::awaitable<http::response> demo_dashboard::handle(const http::request& req) {
    std::string_view target = req.target();
    if (req.method() == http::verb::get && (target == "/" || target == "/index.html"))
        co_return http::make_response(hs::ok, dashboard_page, "text/html; charset=utf-8");
    if (req.method() == http::verb::get && target == "/api/state") {
        std::lock_guard lock(_mutex);
        auto r = http::make_response(hs::ok, _state);
        r.set(http::bhttp::field::cache_control, "no-store");
        co_return r;
    }
    for (std::string_view action : {"kill", "restart"}) {
        auto prefix = "/api/" + std::string(action) + "/";
        if (!target.starts_with(prefix)) continue;
        if (req.method() != http::verb::post) co_return http::json_error(hs::method_not_allowed, "use POST");
        std::string name(target.substr(prefix.size()));
        if (!_names.contains(name)) co_return http::json_error(hs::not_found, "no demo process named '" + name + "'");
        std::lock_guard lock(_mutex);
        if (_commands.size() >= 64) co_return http::json_error(hs::too_many_requests, "too many queued commands");
        _commands.push_back({std::string(action), name});
        co_return http::make_response(hs::accepted,
                                      "{\"queued\":\"" + std::string(action) + "\",\"name\":\"" + name + "\"}\n");
    }
    co_return http::json_error(hs::not_found, "no such resource (try /, /api/state, POST /api/kill/NAME)");
}

} // namespace coronet::cli
