#pragma once
// A Chord node's HTTP/JSON API (served by coronet::http::server):
//
//   GET    /v1/kv/KEY          {"key","value","version"}; 404 if absent; ?raw=1: the bytes
//   PUT    /v1/kv/KEY          body: the value -> {"key","version"}
//   DELETE /v1/kv/KEY          {"key","deleted":true}; 404 if absent
//   GET    /v1/lookup/KEY      the owner of hash(KEY): {"key","id","owner","hops","attempts","style"};
//                              ?style=iterative|recursive
//   GET    /v1/status          id, address, state, predecessor, successors,
//                              fingers, keys held, counters
//
// Any node answers any key: it routes the request through the ring. Errors
// are JSON {"error": why}: 400 (bad key, value or style), 404, 405, 503 (not
// in a ring, owner unreachable), 504 (timed out).

#include <coronet/dht/chord/node.hpp>
#include <coronet/transports/http_server.hpp>

namespace coronet::dht::chord {

class http_api {
public:
    explicit http_api(node& n) : _node(n) {}
    asio::awaitable<http::response> handle(const http::request& req);

private:
    asio::awaitable<http::response> item(const http::request& req, const std::string& key, std::string_view query);
    asio::awaitable<http::response> lookup(const std::string& key, std::string_view query);
    http::response status() const;

    node& _node;
};

} // namespace coronet::dht::chord
