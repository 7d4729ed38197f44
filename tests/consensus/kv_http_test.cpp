// The KV store's HTTP API on a three-node Raft cluster over tcp loopback: the
// servers run on their own thread, the test talks to them with the blocking
// HTTP client, as curl or a script would.
#include "consensus/kv_http_cluster.hpp"

#include <coronet/consensus/kv/server.hpp>
#include <coronet/transports/http_client.hpp>
#include <coronet/transports/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <thread>

using namespace coronet;
using namespace std::chrono_literals;
namespace kv = coronet::consensus::kv;
namespace json = boost::json;
using boost::beast::http::verb;
using coronet::test::http_test_cluster;

namespace {

json::value http_body(const http::reply& r) { return json::parse(r.body); }

/// The value of one sample line ("name{labels} value") in a Prometheus text
/// page; -1 if the series is not there.
double prometheus_sample(const std::string& page, const std::string& series) {
    auto at = page.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(page.substr(at + series.size() + 2));
}

} // namespace

TEST_CASE("a write through a follower's HTTP API is redirected to the leader and read back from every node",
          "[consensus][kv][http]") {
    http_test_cluster c;
    auto leader = c.leader();
    REQUIRE(leader != 0);
    auto follower = leader % 3 + 1;
    http::blocking_client client(c.url(follower));
    auto put = client.request(verb::put, "/v1/kv/greeting", "hello");
    CHECK(put.status == 200);
    CHECK(put.url == c.url(leader)); // followed the 307
    auto version = http_body(put).at("version").to_number<std::uint64_t>();
    CHECK(version > 0);
    for (consensus::node_id id = 1; id <= 3; ++id) {
        http::blocking_client reader(c.url(id));
        auto got = reader.request(verb::get, "/v1/kv/greeting");
        REQUIRE(got.status == 200);
        CHECK(http_body(got).at("value").as_string() == "hello");
        CHECK(http_body(got).at("version").to_number<std::uint64_t>() == version);
        auto raw = reader.request(verb::get, "/v1/kv/greeting?raw=1");
        CHECK(raw.body == "hello");
    }
    auto status = http_body(http::blocking_client(c.url(follower)).request(verb::get, "/v1/status"));
    CHECK(status.at("role").as_string() == "follower");
    CHECK(status.at("leader_url").as_string() == c.url(leader));
}

TEST_CASE("every KV node serves its Raft role, term, indexes and traffic at /metrics in the Prometheus format",
          "[consensus][kv][http][metrics]") {
    http_test_cluster c;
    auto leader = c.leader();
    REQUIRE(leader != 0);
    http::blocking_client writer(c.url(leader));
    for (int i = 0; i < 5; ++i) REQUIRE(writer.request(verb::put, "/v1/kv/k" + std::to_string(i), "v").status == 200);

    auto page = writer.request(verb::get, "/metrics");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("# TYPE coronet_raft_term gauge") != std::string::npos);
    CHECK(prometheus_sample(page.body, "coronet_raft_role{role=\"leader\"}") == 1);
    CHECK(prometheus_sample(page.body, "coronet_raft_role{role=\"follower\"}") == 0);
    CHECK(prometheus_sample(page.body, "coronet_raft_term") >= 1);
    CHECK(prometheus_sample(page.body, "coronet_raft_leader") == leader);
    CHECK(prometheus_sample(page.body, "coronet_raft_commit_index") >= 5);
    CHECK(prometheus_sample(page.body, "coronet_kv_keys") == 5);
    CHECK(prometheus_sample(page.body, "coronet_raft_transport_sent_frames_total") > 0);
    CHECK(prometheus_sample(page.body, "coronet_http_requests_total") >= 5);
    auto match = [&](consensus::node_id peer) {
        return prometheus_sample(page.body, "coronet_raft_match_index{peer=\"" + std::to_string(peer) + "\"}");
    };
    auto follower = leader % 3 + 1, other_follower = follower % 3 + 1;
    CHECK(std::max(match(follower), match(other_follower)) >= 5); // a majority holds every committed entry

    auto other = http::blocking_client(c.url(follower)).request(verb::get, "/metrics");
    REQUIRE(other.status == 200);
    CHECK(prometheus_sample(other.body, "coronet_raft_role{role=\"follower\"}") == 1);
    CHECK(prometheus_sample(other.body, "coronet_raft_leader") == leader);
    CHECK(http::blocking_client(c.url(leader)).request(verb::post, "/metrics").status == 405);
}

TEST_CASE("compare-and-swap over HTTP writes only at the expected version and reports the current one",
          "[consensus][kv][http]") {
    http_test_cluster c;
    REQUIRE(c.leader() != 0);
    http::blocking_client client(c.url(1));
    auto created = client.request(verb::put, "/v1/kv/lock?version=0", "alice");
    REQUIRE(created.status == 200);
    auto v1 = http_body(created).at("version").to_number<std::uint64_t>();
    auto refused = client.request(verb::put, "/v1/kv/lock?version=0", "bob");
    CHECK(refused.status == 409);
    CHECK(http_body(refused).at("version").to_number<std::uint64_t>() == v1);
    auto swapped = client.request(verb::put, "/v1/kv/lock?version=" + std::to_string(v1), "bob");
    CHECK(swapped.status == 200);
    CHECK(http_body(client.request(verb::get, "/v1/kv/lock")).at("value").as_string() == "bob");
}

TEST_CASE("a write retried with the same client and seq over HTTP applies once; an older seq is refused",
          "[consensus][kv][http]") {
    http_test_cluster c;
    REQUIRE(c.leader() != 0);
    http::blocking_client client(c.url(2));
    auto first = client.request(verb::put, "/v1/kv/counter?client=77&seq=1", "one");
    REQUIRE(first.status == 200);
    auto retry = client.request(verb::put, "/v1/kv/counter?client=77&seq=1", "ignored");
    CHECK(retry.status == 200);
    CHECK(http_body(retry).at("version") == http_body(first).at("version"));
    CHECK(http_body(client.request(verb::get, "/v1/kv/counter")).at("value").as_string() == "one");
    CHECK(client.request(verb::put, "/v1/kv/counter?client=77&seq=3", "three").status == 200);
    CHECK(client.request(verb::put, "/v1/kv/counter?client=77&seq=2", "two").status == 409);
    CHECK(http_body(client.request(verb::get, "/v1/kv/counter")).at("value").as_string() == "three");
}

TEST_CASE("delete and prefix listing over HTTP, with keys that need percent-encoding", "[consensus][kv][http]") {
    http_test_cluster c;
    REQUIRE(c.leader() != 0);
    http::blocking_client client(c.url(3));
    for (std::string k : {"user/ann", "user/bob", "user/c d", "zeta"})
        REQUIRE(client.request(verb::put, "/v1/kv/" + http::url_encode(k), "v:" + k).status == 200);
    auto listed = http_body(client.request(verb::get, "/v1/kv?prefix=user%2F&limit=10")).at("items").as_array();
    REQUIRE(listed.size() == 3);
    CHECK(listed[2].at("key").as_string() == "user/c d");
    CHECK(listed[2].at("value").as_string() == "v:user/c d");
    CHECK(client.request(verb::delete_, "/v1/kv/user/bob").status == 200);
    CHECK(client.request(verb::delete_, "/v1/kv/user/bob").status == 404);
    CHECK(client.request(verb::get, "/v1/kv/user/bob").status == 404);
    CHECK(http_body(client.request(verb::get, "/v1/kv?prefix=user/")).at("items").as_array().size() == 2);
}

TEST_CASE("malformed and oversize HTTP requests get a clear 4xx and the node goes on serving",
          "[consensus][kv][http]") {
    http_test_cluster c;
    REQUIRE(c.leader() != 0);
    http::blocking_client client(c.url(1));
    CHECK(client.request(verb::put, "/v1/kv/" + std::string(1025, 'k'), "v").status == 400);
    CHECK(client.request(verb::put, "/v1/kv/big", std::string((1 << 20) + 1, 'v')).status == 413);
    CHECK(client.request(verb::put, "/v1/kv/huge", std::string(3 << 20, 'v')).status == 413); // over the body limit
    http::blocking_client again(c.url(1));
    CHECK(again.request(verb::get, "/v1/kv/%zz").status == 400);
    CHECK(again.request(verb::put, "/v1/kv/x?version=abc", "v").status == 400);
    CHECK(again.request(verb::put, "/v1/kv/x?client=5", "v").status == 400);
    CHECK(again.request(verb::get, "/v1/kv?limit=0").status == 400);
    CHECK(again.request(verb::post, "/v1/kv/x", "v").status == 405);
    CHECK(again.request(verb::get, "/v2/other").status == 404);
    auto error = http_body(again.request(verb::get, "/v2/other"));
    CHECK(error.at("error").as_string().size() > 0);

    // Bytes that are not HTTP: a 400 and that connection closes.
    asio::io_context io;
    asio::ip::tcp::socket raw(io);
    raw.connect(parse_url("tcp://" + c.url(1).substr(7)).tcp_endpoint());
    std::string garbage = "\x01\x02 not http at all\r\n\r\n";
    asio::write(raw, asio::buffer(garbage));
    std::string answer;
    boost::system::error_code ec;
    char buf[512];
    for (std::size_t n; (n = raw.read_some(asio::buffer(buf), ec)) > 0 && !ec;) answer.append(buf, n);
    CHECK(answer.starts_with("HTTP/1.1 400"));
    CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));

    CHECK(http::blocking_client(c.url(1)).request(verb::put, "/v1/kv/after", "fine").status == 200);
}

TEST_CASE("a leader that lost its majority answers an HTTP write with 503 or 504 within its deadline, not never",
          "[consensus][kv][http]") {
    http_test_cluster c(500ms);
    auto leader = c.leader();
    REQUIRE(leader != 0);
    for (consensus::node_id id = 1; id <= 3; ++id)
        if (id != leader) c.stop(id);
    http::blocking_client client(c.url(leader), 10s);
    auto start = std::chrono::steady_clock::now();
    auto r = client.request(verb::put, "/v1/kv/k", "v");
    CHECK((r.status == 503 || r.status == 504));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(http_body(r).at("error").as_string().size() > 0);
}
