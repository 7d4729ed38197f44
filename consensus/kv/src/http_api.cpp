#include <coronet/consensus/kv/http_api.hpp>

#include <coronet/consensus/error.hpp>
#include <coronet/consensus/kv/member_book.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace coronet::consensus::kv {

namespace json = boost::json;
using hs = http::status;

namespace {

constexpr std::string_view kv_prefix = "/v1/kv";

http::response json_reply(hs s, const json::value& v) { return http::make_response(s, json::serialize(v) + "\n"); }

/// A decimal u64 query parameter: nullopt if absent, throws if malformed.
std::optional<std::uint64_t> number_param(std::string_view query, std::string_view name) {
    auto text = http::query_param(query, name);
    if (!text) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc{} || end != text->data() + text->size() || text->empty())
        throw std::invalid_argument(std::string(name) + " must be a decimal number, not '" + *text + "'");
    return v;
}

json::object item_json(const std::string& key, const kv::item& it) {
    return {{"key", key}, {"value", it.value}, {"version", it.version}};
}

} // namespace

http_api::http_api(module& m, const store& s, std::uint64_t client, http_api_options o)
    : _module(m), _store(s), _service(m, s, client, o.timeout), _options(std::move(o)) {}

asio::awaitable<http::response> http_api::handle(const http::request& req) {
    auto target = std::string_view(req.target());
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    try {
        if (path == "/v1/status") {
            if (req.method() != http::verb::get) co_return http::json_error(hs::method_not_allowed, "use GET");
            co_return status();
        }
        if (path == kv_prefix || path == "/v1/kv/") {
            if (req.method() != http::verb::get)
                co_return http::json_error(hs::method_not_allowed, "use GET /v1/kv?prefix=P to list keys");
            co_return co_await list(query);
        }
        if (path.starts_with("/v1/kv/")) {
            auto key = http::url_decode(path.substr(kv_prefix.size() + 1));
            if (!key) co_return http::json_error(hs::bad_request, "malformed %-escape in the key");
            if (key->starts_with(reserved_prefix))
                co_return http::json_error(hs::bad_request, "keys starting with %00coronet/ are the cluster's own");
            co_return co_await item(req, *key, query);
        }
        if (path == "/v1/members" || path.starts_with("/v1/members/"))
            co_return co_await members(req, path.substr(std::string_view("/v1/members").size()));
        co_return http::json_error(hs::not_found,
                                   "no such resource (try /v1/kv/KEY, /v1/kv?prefix=P, /v1/status, /v1/members)");
    } catch (const consensus::error& e) {
        co_return refusal(e, req);
    } catch (const std::invalid_argument& e) {
        co_return http::json_error(hs::bad_request, e.what());
    }
}

asio::awaitable<http::response> http_api::item(const http::request& req, const std::string& key,
                                               std::string_view query) {
    const auto& l = _store.options().limits;
    if (key.empty() || key.size() > l.key_max)
        co_return http::json_error(hs::bad_request, "a key is 1.." + std::to_string(l.key_max) + " bytes");
    if (req.method() == http::verb::get) {
        auto raw = http::query_param(query, "raw");
        auto found = co_await _service.get(key);
        if (!found) co_return json_reply(hs::not_found, json::object{{"error", "not found"}, {"key", key}});
        if (raw && *raw != "0" && *raw != "false") {
            auto r = http::make_response(hs::ok, found->value, "application/octet-stream");
            r.set("X-Coronet-Version", std::to_string(found->version));
            co_return r;
        }
        co_return json_reply(hs::ok, item_json(key, *found));
    }
    if (req.method() != http::verb::put && req.method() != http::verb::delete_)
        co_return http::json_error(hs::method_not_allowed, "use GET, PUT or DELETE on /v1/kv/KEY");

    auto client = number_param(query, "client");
    auto seq = number_param(query, "seq");
    if (client.has_value() != seq.has_value() || (client && *client == 0))
        co_return http::json_error(hs::bad_request, "client and seq go together, and client is not 0");
    std::optional<request_id> id;
    if (client) id = request_id{*client, *seq};

    result res;
    if (req.method() == http::verb::delete_) {
        res = co_await _service.del(key, id);
    } else {
        if (req.body().size() > l.value_max)
            co_return http::json_error(hs::payload_too_large,
                                       "a value is at most " + std::to_string(l.value_max) + " bytes");
        auto expected = number_param(query, "version");
        const auto& value = req.body();
        if (expected)
            res = co_await _service.cas(key, *expected, value, id);
        else
            res = co_await _service.put(key, value, id);
    }
    switch (res.code) {
    case kv::status::ok:
        if (req.method() == http::verb::delete_)
            co_return json_reply(hs::ok, json::object{{"key", key}, {"deleted", true}});
        co_return json_reply(hs::ok, json::object{{"key", key}, {"version", res.version}});
    case kv::status::not_found:
        co_return json_reply(hs::not_found, json::object{{"error", "not found"}, {"key", key}});
    case kv::status::cas_failed:
        co_return json_reply(hs::conflict,
                             json::object{{"error", "version mismatch"}, {"key", key}, {"version", res.version}});
    case kv::status::stale:
        co_return json_reply(hs::conflict,
                             json::object{{"error", "stale request: this client already sent a later seq"}});
    case kv::status::bad_command:
        co_return http::json_error(hs::bad_request, res.detail);
    }
    co_return http::json_error(hs::internal_server_error, "unknown result");
}

asio::awaitable<http::response> http_api::list(std::string_view query) {
    auto prefix = http::query_param(query, "prefix").value_or("");
    auto limit = number_param(query, "limit").value_or(1'000);
    if (limit == 0 || limit > _options.list_limit_max)
        co_return http::json_error(hs::bad_request,
                                   "limit is 1.." + std::to_string(_options.list_limit_max));
    auto items = co_await _service.list(prefix, limit);
    json::array out;
    for (const auto& [k, it] : items)
        if (!k.starts_with(reserved_prefix)) out.push_back(item_json(k, it));
    co_return json_reply(hs::ok, json::object{{"items", std::move(out)}});
}

asio::awaitable<http::response> http_api::members(const http::request& req, std::string_view rest) {
    if (rest.empty() || rest == "/") {
        if (req.method() == http::verb::get) co_return co_await member_list();
        if (req.method() != http::verb::post)
            co_return http::json_error(hs::method_not_allowed, "use GET or POST on /v1/members");
        json::value body;
        boost::system::error_code ec;
        body = json::parse(req.body(), ec);
        if (ec || !body.is_object())
            co_return http::json_error(hs::bad_request, R"(the body is {"id":N,"raft":"tcp://host:port","http":"host:port","learner":true})");
        const auto& o = body.as_object();
        auto text = [&](const char* k) -> std::string {
            auto* v = o.if_contains(k);
            if (!v || !v->is_string()) throw std::invalid_argument(std::string("\"") + k + "\" is missing or not a string");
            return std::string(v->as_string());
        };
        auto* id_value = o.if_contains("id");
        node_id id = 0;
        if (id_value && id_value->is_uint64()) id = id_value->as_uint64();
        else if (id_value && id_value->is_int64() && id_value->as_int64() > 0) id = node_id(id_value->as_int64());
        if (id == 0) co_return http::json_error(hs::bad_request, "\"id\" is missing or not a number above 0");
        auto who = parse_member_address(id, text("raft"), text("http"));
        bool learner = false;
        if (auto* l = o.if_contains("learner"); l && l->is_bool()) learner = l->as_bool();
        auto now = _module.status();
        auto is = [id](const std::vector<node_id>& v) { return std::find(v.begin(), v.end(), id) != v.end(); };
        // Refused before anything is written: the address book must not
        // point a member's id somewhere else.
        if (is(now.voters) || is(now.learners))
            co_return http::json_error(hs::conflict, "node " + std::to_string(id) +
                                                         " is a member already (DELETE /v1/members/ID first)");
        if (now.voters.empty()) co_return http::json_error(hs::service_unavailable, "this node knows no membership yet");
        // Addresses first, so that every node can reach the new member by the
        // time the change that makes it one commits (and any later leader too).
        auto key = member_key(id);
        auto value = who.first + "\n" + who.second;
        auto stored = co_await _service.put(key, value);
        if (stored.code != kv::status::ok) co_return http::json_error(hs::internal_server_error, stored.detail);
        membership_change change{learner ? membership_change::kind::add_learner : membership_change::kind::add_voter,
                                 id, who.first};
        co_await _module.change_membership(change, _options.timeout);
        co_return co_await member_list();
    }
    // /ID or /ID/promote
    auto tail = rest.substr(1);
    auto slash = tail.find('/');
    auto digits = tail.substr(0, slash);
    node_id id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc{} || end != digits.data() + digits.size() || id == 0)
        co_return http::json_error(hs::bad_request, "a member id is a number above 0");
    auto action = slash == std::string_view::npos ? std::string_view{} : tail.substr(slash + 1);
    if (action == "promote" && req.method() == http::verb::post) {
        membership_change change{membership_change::kind::promote, id, {}};
        co_await _module.change_membership(change, _options.timeout);
        co_return co_await member_list();
    }
    if (action.empty() && req.method() == http::verb::delete_) {
        membership_change change{membership_change::kind::remove, id, {}};
        co_await _module.change_membership(change, _options.timeout);
        auto key = member_key(id);
        co_await _service.del(key);
        co_return co_await member_list();
    }
    co_return http::json_error(hs::method_not_allowed, "use POST /v1/members/ID/promote or DELETE /v1/members/ID");
}

asio::awaitable<http::response> http_api::member_list() {
    auto prefix = std::string(member_key_prefix());
    auto addresses = co_await _service.list(prefix, 10'000); // after a read barrier: current
    std::map<node_id, json::object> known;
    for (const auto& [key, it] : addresses) {
        auto [id, raft, http] = parse_member_entry(key, it.value);
        if (id) known[id] = json::object{{"id", id}, {"raft", raft}, {"http", http}};
    }
    auto s = _module.status();
    auto describe = [&](const std::vector<node_id>& ids) {
        json::array out;
        for (auto id : ids) {
            auto it = known.find(id);
            if (it != known.end()) {
                out.push_back(it->second);
                continue;
            }
            // A founding member: its addresses came from flags, not the log.
            json::object m{{"id", id}};
            if (auto r = _options.raft_urls.find(id); r != _options.raft_urls.end()) m["raft"] = r->second;
            if (auto u = _options.http_urls.find(id); u != _options.http_urls.end())
                m["http"] = std::string_view(u->second).substr(u->second.starts_with("http://") ? 7 : 0);
            out.push_back(std::move(m));
        }
        return out;
    };
    co_return json_reply(hs::ok, json::object{{"leader", s.leader},
                                              {"voters", describe(s.voters)},
                                              {"learners", describe(s.learners)}});
}

http::response http_api::status() const {
    auto s = _module.status();
    json::array voters, learners;
    for (auto v : s.voters) voters.push_back(v);
    for (auto v : s.learners) learners.push_back(v);
    json::object o{{"id", s.id},           {"role", s.role},        {"term", s.term},
                   {"leader", s.leader},   {"commit", s.commit},    {"applied", s.applied},
                   {"voters", voters},     {"learners", learners},  {"keys", _store.user_keys()}};
    if (auto it = _options.http_urls.find(s.leader); s.leader && it != _options.http_urls.end())
        o["leader_url"] = it->second;
    return json_reply(hs::ok, o);
}

http::response http_api::refusal(const consensus::error& e, const http::request& req) const {
    switch (e.code()) {
    case errc::not_leader: {
        auto it = _options.http_urls.find(e.leader_hint());
        if (e.leader_hint() && e.leader_hint() != _module.status().id && it != _options.http_urls.end()) {
            auto r = json_reply(hs::temporary_redirect,
                                json::object{{"error", "not the leader"}, {"leader", e.leader_hint()},
                                             {"leader_url", it->second}});
            r.set(http::bhttp::field::location, it->second + std::string(req.target()));
            return r;
        }
        return json_reply(hs::service_unavailable,
                          json::object{{"error", "no leader known; the cluster may be electing one, retry shortly"}});
    }
    case errc::timeout:
        return json_reply(hs::gateway_timeout,
                          json::object{{"error", "the cluster did not answer in time; a write may still apply "
                                                 "(retry with the same client and seq)"}});
    case errc::stopped:
        return http::json_error(hs::service_unavailable, "this node is stopping");
    case errc::unsupported:
    case errc::rejected:
        return http::json_error(hs::bad_request, e.what());
    }
    return http::json_error(hs::internal_server_error, e.what());
}

} // namespace coronet::consensus::kv
