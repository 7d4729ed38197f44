#pragma once
// The demo's dashboard: a page (cli/dashboard/index.html, built into the
// executable) and a small JSON API, served on its own thread by
// coronet::http::server.
//
//   GET  /                 the page
//   GET  /api/state        the latest snapshot the demo collected (JSON)
//   POST /api/kill/NAME    queue a SIGKILL of a demo process (kv-2, chord-5, broker)
//   POST /api/restart/NAME queue its restart
//
// Live updates reach the page over WebSocket through the demo's own broker:
// the demo publishes each snapshot on the topic `coronet.demo.state`, and the
// page subscribes to it at the broker's gateway (/ws); it polls /api/state
// only while that socket is down. Kills and restarts are carried out by the
// demo's main thread, which owns the processes (take_commands()).

#include <coronet/transports/http_server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace coronet::cli {

struct dashboard_command {
    std::string action; ///< "kill" or "restart"
    std::string name;   ///< a process of the demo
};

class demo_dashboard {
public:
    /// Serves on 127.0.0.1:`port` (0: any free port) from now on; `names`
    /// are the processes the page may kill and restart.
    demo_dashboard(unsigned port, std::set<std::string> names);
    ~demo_dashboard();
    demo_dashboard(const demo_dashboard&) = delete;
    demo_dashboard& operator=(const demo_dashboard&) = delete;

    std::string url() const { return _url; }
    void set_state(std::string json);
    std::vector<dashboard_command> take_commands();

private:
    asio::awaitable<http::response> handle(const http::request& req);

    std::set<std::string> _names;
    std::mutex _mutex;
    std::string _state = "{}";                 // guarded by _mutex
    std::vector<dashboard_command> _commands; // guarded by _mutex
    asio::io_context _io;
    asio::executor_work_guard<asio::io_context::executor_type> _work{_io.get_executor()};
    std::unique_ptr<http::server> _server;
    std::string _url;
    std::thread _thread;
};

/// The page, from cli/dashboard/index.html (dashboard_page.cpp is generated).
extern const char* const dashboard_page;

} // namespace coronet::cli
