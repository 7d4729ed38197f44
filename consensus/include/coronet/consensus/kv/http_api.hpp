#pragma once
// The replicated KV store's HTTP/JSON API, served by any node of the cluster:
//
//   GET    /v1/kv/KEY               200 {"key","value","version"} | 404
//          ?raw=1                   the value alone, as application/octet-stream
//   PUT    /v1/kv/KEY   body=value  200 {"key","version"}
//          ?version=N               compare-and-swap: only if KEY's version is N
//                                   (0: only if KEY is absent); 409 {"version": current} otherwise
//          &client=C&seq=S          exactly-once: a retry with the same C and S applies
//                                   once and gets the first answer; an older S is 409
//   DELETE /v1/kv/KEY               200 {"key","deleted":true} | 404 (same client/seq)
//   GET    /v1/kv?prefix=P&limit=N  200 {"items":[{"key","value","version"}…]} in key order
//   GET    /v1/status               this node's view: id, role, term, leader, commit, …
//   GET    /v1/members              voters and learners with their addresses
//   POST   /v1/members  body={"id":4,"raft":"tcp://…","http":"host:port","learner":true}
//                                   records the new member's addresses in the log (every
//                                   node learns them), then adds it: 200 {"voters","learners"}
//   POST   /v1/members/ID/promote   a caught-up learner becomes a voter
//   DELETE /v1/members/ID           removes a member, then its addresses
//
// KEY is the rest of the path, percent-decoded. Reads are linearizable on any
// node (a read barrier first). A write sent to a follower is answered with
// 307 and the leader's URL in Location (curl -L follows it, method and body
// kept); with no leader known, 503. 400 bad request, 413 value too large,
// 504 when the cluster did not answer in time (a write may still apply: retry
// with the same client and seq).

#include <coronet/consensus/kv/service.hpp>
#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/module.hpp>
#include <coronet/transports/http_server.hpp>

#include <chrono>
#include <map>
#include <string>

namespace coronet::consensus::kv {

struct http_api_options {
    /// Where each node serves this API ("http://127.0.0.1:8101"), so that a
    /// follower can send writers to the leader.
    std::map<node_id, std::string> http_urls;
    /// Where each node's Raft transport listens, as this node was told
    /// (--peer): GET /v1/members shows it for members the log has no
    /// address entry for (the founding ones).
    std::map<node_id, std::string> raft_urls;
    /// How long one request may wait for the cluster.
    std::chrono::milliseconds timeout{5'000};
    std::size_t list_limit_max = 10'000;
};

class http_api {
public:
    /// Both borrowed: `s` must be the state machine `m` applies to.
    /// `client`: this node's id for the writes it numbers itself (requests
    /// without client/seq); distinct per process, so nodes never collide.
    http_api(module& m, const store& s, std::uint64_t client, http_api_options o = {});

    asio::awaitable<http::response> handle(const http::request& req);
    /// Where node `id` serves this API (http://host:port).
    void set_urls(node_id id, std::string http_url, std::string raft_url) {
        _options.http_urls[id] = std::move(http_url);
        _options.raft_urls[id] = std::move(raft_url);
    }
    void forget_urls(node_id id) {
        _options.http_urls.erase(id);
        _options.raft_urls.erase(id);
    }

private:
    asio::awaitable<http::response> item(const http::request& req, const std::string& key, std::string_view query);
    asio::awaitable<http::response> list(std::string_view query);
    http::response status() const;
    asio::awaitable<http::response> members(const http::request& req, std::string_view rest);
    asio::awaitable<http::response> member_list();
    /// Maps a consensus error to its HTTP answer (redirect, 503, 504).
    http::response refusal(const consensus::error& e, const http::request& req) const;

    module& _module;
    const store& _store;
    service _service;
    http_api_options _options;
};

} // namespace coronet::consensus::kv
