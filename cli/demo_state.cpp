#include "demo_state.hpp"

#include <coronet/transports/http_client.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <optional>

namespace coronet::cli {

namespace json = boost::json;

namespace {

using boost::beast::http::verb;

/// GET `target` from host:port, quickly: a dead process refuses at once, and
/// a stopped one must not hold up the dashboard.
std::optional<std::string> fetch(const std::string& http, const std::string& target) {
    try {
        http::blocking_client c("http://" + http, std::chrono::milliseconds(300));
        auto r = c.request(verb::get, target);
        if (r.status == 200) return r.body;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

json::object kv_node(const process_fleet& fleet, const kv_cluster_procs& kv, std::size_t i) {
    json::object o{{"name", fleet.name(kv.index[i])}, {"id", i + 1}, {"http", kv.https[i]}};
    auto body = fleet.running(kv.index[i]) ? fetch(kv.https[i], "/v1/status") : std::nullopt;
    o["up"] = body.has_value();
    if (!body) return o;
    auto s = json::parse(*body).as_object();
    for (const char* k : {"role", "term", "leader", "commit", "applied", "keys"})
        if (auto* v = s.if_contains(k)) o[k] = *v;
    return o;
}

/// Each node's place in the log as the leader sees it (its match index; the
/// leader's own is its last index): the replication bars. Nodes are left
/// without "match" while there is no leader or its /metrics cannot be read.
void add_match_indexes(json::array& nodes, const kv_cluster_procs& kv) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        auto& leader = nodes[i].as_object();
        auto* role = leader.if_contains("role");
        if (!role || !role->is_string() || role->as_string() != "leader") continue;
        auto page = fetch(kv.https[i], "/metrics");
        if (!page) return;
        auto last = prometheus_value(*page, "coronet_raft_last_index");
        leader["last"] = last;
        for (std::size_t j = 0; j < nodes.size(); ++j) {
            auto series = "coronet_raft_match_index{peer=\"" + std::to_string(j + 1) + "\"}";
            nodes[j].as_object()["match"] = j == i ? last : prometheus_value(*page, series);
        }
        return;
    }
}

json::object chord_node(const process_fleet& fleet, const dht_ring_procs& ring, std::size_t i) {
    json::object o{{"name", fleet.name(ring.index[i])}, {"http", ring.https[i]}};
    auto body = fleet.running(ring.index[i]) ? fetch(ring.https[i], "/v1/status") : std::nullopt;
    o["up"] = body.has_value();
    if (!body) return o;
    auto s = json::parse(*body).as_object();
    o["id"] = s.at("id");
    o["state"] = s.at("state");
    if (auto& p = s.at("predecessor"); p.is_object()) o["predecessor"] = p.at("id");
    json::array fingers;
    for (auto& f : s.at("fingers").as_array()) fingers.push_back(f.at("node").at("id"));
    o["fingers"] = std::move(fingers);
    o["keys"] = s.at("keys").at("held");
    o["lookups"] = s.at("lookups").at("succeeded");
    return o;
}

json::object broker_state(const process_fleet& fleet, const broker_procs& b) {
    auto page = fleet.running(b.index) ? fetch(b.http, "/metrics") : std::nullopt;
    json::object o{{"name", "broker"}, {"up", page.has_value()}, {"url", b.url}};
    if (!page) return o;
    for (const char* k : {"published", "delivered", "dropped"})
        o[k] = prometheus_value(*page, std::string("coronet_broker_") + k + "_total");
    for (const char* k : {"connections", "subscriptions"})
        o[k] = prometheus_value(*page, std::string("coronet_broker_") + k);
    // Per topic, busiest first: the page turns the counts into rates.
    if (auto status = fetch(b.http, "/status")) try {
            auto parsed = json::parse(*status);
            if (auto* topics = parsed.as_object().if_contains("topics")) o["topics"] = *topics;
        } catch (const std::exception&) {
        }
    return o;
}

} // namespace

double prometheus_value(const std::string& page, const std::string& series) {
    auto at = page.find("\n" + series + " ");
    if (at == std::string::npos) return 0;
    try {
        return std::stod(page.substr(at + series.size() + 2));
    } catch (const std::exception&) {
        return 0;
    }
}

std::string collect_demo_state(const process_fleet& fleet, const kv_cluster_procs& kv, const dht_ring_procs& ring,
                               const broker_procs& broker) {
    json::array kv_nodes, chord_nodes;
    for (std::size_t i = 0; i < kv.index.size(); ++i) kv_nodes.push_back(kv_node(fleet, kv, i));
    add_match_indexes(kv_nodes, kv);
    for (std::size_t i = 0; i < ring.index.size(); ++i) chord_nodes.push_back(chord_node(fleet, ring, i));
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    json::object state{{"time", now.count()},
                       {"gateway_ws", "ws://" + broker.http + "/ws"},
                       {"kv", std::move(kv_nodes)},
                       {"chord", std::move(chord_nodes)},
                       {"broker", broker_state(fleet, broker)}};
    return json::serialize(state);
}

} // namespace coronet::cli
