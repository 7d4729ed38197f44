#pragma once
// Three consensus::kv::server (Raft KV nodes) on one io_context thread, in memory, on
// loopback ports the kernel picks; the test talks to them over HTTP with the
// blocking client, as curl or a script would. Nodes can join later (join()).

#include <coronet/consensus/kv/server.hpp>
#include <coronet/log.hpp>
#include <coronet/transports/http_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace coronet::test {

namespace asio = boost::asio;

/// Three consensus::kv::server on one io_context thread, in memory, on ports the kernel picks.
struct http_test_cluster {
    explicit http_test_cluster(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        consensus::kv::server_options o;
        for (consensus::node_id id = 1; id <= 3; ++id) o.members[id] = {"tcp://127.0.0.1:0", "127.0.0.1:0"};
        o.api.timeout = timeout;
        for (consensus::node_id id = 1; id <= 3; ++id) {
            o.id = id;
            o.node.raft.seed = 11 * id;
            servers.push_back(std::make_unique<consensus::kv::server>(io.get_executor(), o, make_logger("kv-test")));
            servers.back()->start();
        }
        for (auto& s : servers)
            for (consensus::node_id id = 1; id <= 3; ++id)
                s->set_member(id, {servers[id - 1]->raft_url(), servers[id - 1]->http_url().substr(7)});
        thread = std::thread([this] { io.run(); });
    }
    ~http_test_cluster() {
        for (std::size_t i = 0; i < servers.size(); ++i) stop(i + 1);
        guard.reset();
        thread.join();
    }
    void stop(consensus::node_id id) {
        auto& s = servers[id - 1];
        if (stopped.contains(id)) return;
        stopped.insert(id);
        auto done = asio::co_spawn(io, s->stop(), asio::use_future);
        done.get();
    }
    std::string url(consensus::node_id id) const { return servers[id - 1]->http_url(); }

    /// Starts node servers.size() + 1 with `join` set: it knows where the
    /// others are, but is no member until the leader adds it. Returns its id.
    consensus::node_id join() {
        consensus::kv::server_options o;
        o.id = servers.size() + 1;
        o.join = true;
        o.members[o.id] = {"tcp://127.0.0.1:0", "127.0.0.1:0"};
        for (consensus::node_id id = 1; id < o.id; ++id)
            o.members[id] = {servers[id - 1]->raft_url(), servers[id - 1]->http_url().substr(7)};
        o.node.raft.seed = 11 * o.id;
        auto start = [this, o]() -> asio::awaitable<void> {
            servers.push_back(std::make_unique<consensus::kv::server>(io.get_executor(), o, make_logger("kv-test")));
            servers.back()->start();
            co_return;
        };
        asio::co_spawn(io, start(), asio::use_future).get();
        return o.id;
    }

    /// The running node every running node among the first `nodes` names as
    /// leader, once they agree (0 if not within 10 s).
    consensus::node_id leader(consensus::node_id nodes = 3) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            consensus::node_id agreed = 0;
            bool all = true;
            for (consensus::node_id id = 1; id <= nodes && all; ++id) {
                if (stopped.contains(id)) continue;
                http::blocking_client c(url(id));
                auto l = boost::json::parse(c.request(boost::beast::http::verb::get, "/v1/status").body).at("leader").to_number<std::uint64_t>();
                all = l != 0 && !stopped.contains(l) && (agreed == 0 || agreed == l);
                agreed = l;
            }
            if (all && agreed) return agreed;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return 0;
    }

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::vector<std::unique_ptr<consensus::kv::server>> servers;
    std::set<consensus::node_id> stopped;
    std::thread thread;
};

} // namespace coronet::test
