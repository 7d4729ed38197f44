// Changing a running KV cluster's membership over HTTP: a new node joins as
// a learner, catches up, is promoted, and its addresses travel in the log, so
// a later leader reaches it too; removal; bad requests.
#include "consensus/kv_http_cluster.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using coronet::test::http_test_cluster;
using boost::beast::http::verb;
namespace json = boost::json;

namespace {

std::vector<std::uint64_t> ids(const json::value& members, const char* which) {
    std::vector<std::uint64_t> out;
    for (auto& m : members.at(which).as_array()) out.push_back(m.at("id").to_number<std::uint64_t>());
    return out;
}

/// Polls GET url+target until `done(body)` or ~10 s.
template <class Pred>
bool eventually_body(const std::string& url, const std::string& target, Pred done) {
    for (int i = 0; i < 500; ++i) {
        coronet::http::blocking_client c(url);
        auto r = c.request(verb::get, target);
        if (r.status == 200 && done(json::parse(r.body))) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

} // namespace

TEST_CASE("a node joins a running KV cluster as a learner, is promoted, and a later leader still replicates to it",
          "[consensus][kv][http][membership]") {
    http_test_cluster c;
    auto leader = c.leader();
    REQUIRE(leader != 0);
    coronet::http::blocking_client writer(c.url(leader));
    REQUIRE(writer.request(verb::put, "/v1/kv/before", "joined later").status == 200);

    auto four = c.join();
    auto& s4 = *c.servers[four - 1];
    json::object add{{"id", four}, {"raft", s4.raft_url()}, {"http", s4.http_url().substr(7)}, {"learner", true}};
    auto added = writer.request(verb::post, "/v1/members", json::serialize(add));
    INFO(added.body);
    REQUIRE(added.status == 200);
    CHECK(ids(json::parse(added.body), "learners") == std::vector<std::uint64_t>{four});
    // The learner catches up from the log, the address entry included.
    CHECK(eventually_body(c.url(four), "/v1/status", [](const json::value& s) { return s.at("keys").as_int64() >= 1; }));

    auto promoted = writer.request(verb::post, "/v1/members/" + std::to_string(four) + "/promote");
    INFO(promoted.body);
    REQUIRE(promoted.status == 200);
    CHECK(ids(json::parse(promoted.body), "voters").size() == 4);
    // Every member lists node 4 with its addresses, from the replicated book.
    for (coronet::consensus::node_id id = 1; id <= 4; ++id)
        CHECK(eventually_body(c.url(id), "/v1/members", [&](const json::value& m) {
            for (auto& v : m.at("voters").as_array())
                if (v.at("id").to_number<std::uint64_t>() == four)
                    return v.as_object().contains("raft") && v.at("raft").as_string() == s4.raft_url();
            return false;
        }));

    // The leader goes; whoever leads next learned node 4's address from the
    // log (nobody told it), so a new write reaches node 4.
    c.stop(leader);
    auto next = c.leader(4); // the three left agree on one
    REQUIRE(next != 0);
    REQUIRE(next != leader);
    coronet::http::blocking_client second(c.url(next));
    REQUIRE(second.request(verb::put, "/v1/kv/after", "failover").status == 200);
    CHECK(eventually_body(c.url(four), "/v1/kv/after", [](const json::value& v) { return v.at("value") == "failover"; }));

    // Removing the old leader: three voters again, and its address is gone.
    auto removed = second.request(verb::delete_, "/v1/members/" + std::to_string(leader));
    INFO(removed.body);
    REQUIRE(removed.status == 200);
    auto left = ids(json::parse(removed.body), "voters");
    CHECK(left.size() == 3);
    CHECK(std::find(left.begin(), left.end(), leader) == left.end());
}

TEST_CASE("bad membership requests get a clear 4xx, and the cluster's own keys cannot be written over HTTP",
          "[consensus][kv][http][membership]") {
    http_test_cluster c;
    auto leader = c.leader();
    REQUIRE(leader != 0);
    coronet::http::blocking_client api(c.url(leader));
    auto post = [&](const std::string& body) { return api.request(verb::post, "/v1/members", body); };
    CHECK(post("not json").status == 400);
    CHECK(post(R"({"raft":"tcp://127.0.0.1:1","http":"127.0.0.1:2"})").status == 400);           // no id
    CHECK(post(R"({"id":0,"raft":"tcp://127.0.0.1:1","http":"127.0.0.1:2"})").status == 400);    // id 0
    CHECK(post(R"({"id":9,"raft":"127.0.0.1:1","http":"127.0.0.1:2"})").status == 400);          // not a URL
    CHECK(post(R"({"id":9,"raft":"tcp://127.0.0.1:1","http":"nowhere"})").status == 400);        // not host:port
    CHECK(post(R"({"id":2,"raft":"tcp://127.0.0.1:1","http":"127.0.0.1:2"})").status == 409);    // a voter already
    CHECK(api.request(verb::post, "/v1/members/x/promote").status == 400);
    CHECK(api.request(verb::put, "/v1/members/9").status == 405);
    CHECK(api.request(verb::put, "/v1/kv/%00coronet/member/9", "tcp://evil\n1.2.3.4:5").status == 400);
    // Still three voters, their addresses untouched, and the cluster still writes.
    auto members = json::parse(api.request(verb::get, "/v1/members").body);
    CHECK(ids(members, "voters").size() == 3);
    for (auto& v : members.at("voters").as_array()) // as the nodes were told at start, not what was posted
        CHECK(v.at("raft").as_string() != "tcp://127.0.0.1:1");
    CHECK(api.request(verb::put, "/v1/kv/still", "fine").status == 200);
}
