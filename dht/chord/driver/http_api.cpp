#include <coronet/dht/chord/http_api.hpp>

#include <coronet/dht/chord/hash.hpp>

#include <boost/json.hpp>

namespace coronet::dht::chord {

namespace json = boost::json;
using hs = http::status;

namespace {

http::response json_reply(hs s, const json::value& v) { return http::make_response(s, json::serialize(v) + "\n"); }

json::value peer_json(const peer& p) { return json::object{{"id", p.id.to_hex()}, {"address", p.address}}; }

json::value optional_peer_json(const std::optional<peer>& p) { return p ? peer_json(*p) : json::value(nullptr); }

hs status_of(const request_error& e) {
    switch (e.why()) {
    case request_error::kind::invalid: return hs::bad_request;
    case request_error::kind::timeout: return hs::gateway_timeout;
    case request_error::kind::unavailable:
    case request_error::kind::stopped: return hs::service_unavailable;
    }
    return hs::internal_server_error;
}

std::optional<lookup_style> style_param(std::string_view query) {
    auto s = http::query_param(query, "style");
    if (!s || *s == "recursive") return lookup_style::recursive;
    if (*s == "iterative") return lookup_style::iterative;
    return std::nullopt;
}

} // namespace

asio::awaitable<http::response> http_api::handle(const http::request& req) {
    auto target = std::string_view(req.target());
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    std::optional<http::response> failure;
    try {
        if (path == "/v1/status") {
            if (req.method() != http::verb::get) co_return http::json_error(hs::method_not_allowed, "use GET");
            co_return status();
        }
        for (std::string_view prefix : {"/v1/kv/", "/v1/lookup/"}) {
            if (!path.starts_with(prefix)) continue;
            auto key = http::url_decode(path.substr(prefix.size()));
            if (!key) co_return http::json_error(hs::bad_request, "malformed %-escape in the key");
            if (prefix == "/v1/lookup/") {
                if (req.method() != http::verb::get) co_return http::json_error(hs::method_not_allowed, "use GET");
                co_return co_await lookup(*key, query);
            }
            co_return co_await item(req, *key, query);
        }
        co_return http::json_error(hs::not_found, "no such resource (try /v1/kv/KEY, /v1/lookup/KEY, /v1/status)");
    } catch (const request_error& e) {
        // co_await is not allowed in a handler: build the answer, return below.
        failure = http::json_error(status_of(e), e.what());
    }
    co_return std::move(*failure);
}

asio::awaitable<http::response> http_api::item(const http::request& req, const std::string& key,
                                               std::string_view query) {
    switch (req.method()) {
    case http::verb::get: {
        auto found = co_await _node.get(key);
        if (!found) co_return json_reply(hs::not_found, json::object{{"error", "not found"}, {"key", key}});
        auto raw = http::query_param(query, "raw");
        if (raw && *raw != "0" && *raw != "false") {
            auto r = http::make_response(hs::ok, *found->value, "application/octet-stream");
            r.set("X-Coronet-Version", std::to_string(found->version));
            co_return r;
        }
        co_return json_reply(hs::ok, json::object{{"key", key}, {"value", *found->value}, {"version", found->version}});
    }
    case http::verb::put: {
        auto version = co_await _node.put(key, req.body());
        co_return json_reply(hs::ok, json::object{{"key", key}, {"version", version}});
    }
    case http::verb::delete_: {
        bool deleted = co_await _node.del(key);
        if (!deleted) co_return json_reply(hs::not_found, json::object{{"error", "not found"}, {"key", key}});
        co_return json_reply(hs::ok, json::object{{"key", key}, {"deleted", true}});
    }
    default: co_return http::json_error(hs::method_not_allowed, "use GET, PUT or DELETE");
    }
}

asio::awaitable<http::response> http_api::lookup(const std::string& key, std::string_view query) {
    auto style = style_param(query);
    if (!style) co_return http::json_error(hs::bad_request, "style is iterative or recursive");
    auto kid = hash_id(key, _node.routing().ring());
    auto r = co_await _node.lookup(kid, *style, std::chrono::seconds(10));
    co_return json_reply(hs::ok, json::object{{"key", key},
                                              {"id", kid.to_hex()},
                                              {"owner", peer_json(r.owner)},
                                              {"hops", r.hops},
                                              {"attempts", r.attempts},
                                              {"style", to_string(r.style)}});
}

http::response http_api::status() const {
    const auto& c = _node.routing();
    json::array successors;
    for (const auto& s : c.table().successors()) successors.push_back(peer_json(s));
    // Fingers as the distinct nodes they point to, in finger order: on a
    // 160-bit ring all but about log2 N of the 160 are the successor.
    json::array fingers;
    std::optional<id> last;
    for (unsigned i = 0; i < c.table().finger_count(); ++i) {
        const auto& f = c.table().finger(i);
        if (!f || (last && *last == f->id)) continue;
        last = f->id;
        fingers.push_back(json::object{{"from", i}, {"node", peer_json(*f)}});
    }
    const auto& pred = c.predecessor();
    const auto& st = _node.data();
    auto owned = pred ? st.range(pred->id, c.self().id).size() : st.size();
    const auto& k = c.stats();
    const auto& n = _node.counters();
    json::object out{
        {"id", c.self().id.to_hex()},
        {"address", c.self().address},
        {"state", to_string(c.state())},
        {"predecessor", optional_peer_json(pred)},
        {"successors", std::move(successors)},
        {"fingers", std::move(fingers)},
        {"keys", json::object{{"held", st.size()}, {"live", st.live()}, {"owned", owned}}},
        {"lookups", json::object{{"succeeded", k.lookups_succeeded}, {"failed", k.lookups_failed}}},
        {"messages", json::object{{"received", k.messages_received},
                                  {"sent", k.messages_sent},
                                  {"rejected", k.rejected_total()},
                                  {"malformed", n.malformed},
                                  {"rpc_timeouts", k.rpc_timeouts}}},
        {"storage", json::object{{"requests", n.store_requests},
                                 {"not_owner", n.not_owner},
                                 {"replicated_out", n.replicated_out},
                                 {"handed_over", n.handed_over}}},
    };
    return json_reply(hs::ok, out);
}

} // namespace coronet::dht::chord
