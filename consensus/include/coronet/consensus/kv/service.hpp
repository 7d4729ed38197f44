#pragma once
// The KV store's operations on top of any consensus module: writes are
// proposed as commands, reads wait for a read barrier and then read the local
// store. What the HTTP API and the tests call; they never see the module's
// algorithm.

#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/module.hpp>

#include <chrono>
#include <optional>

namespace coronet::consensus::kv {

class service {
public:
    /// Both borrowed: `s` must be the state machine `m` applies to.
    /// `client`: this service's id for exactly-once writes (0: none).
    service(module& m, const store& s, std::uint64_t client, std::chrono::milliseconds timeout = std::chrono::seconds(5))
        : _module(m), _store(s), _client(client), _timeout(timeout) {}

    /// Arguments are borrowed until the call completes (GCC 12 mishandles
    /// by-value temporaries in co_await expressions).
    /// Each write takes the next request id, or `retry_of` to repeat one that
    /// timed out (applied at most once, whichever copy commits first).
    /// Throws consensus::error (not_leader, timeout, stopped).
    asio::awaitable<result> put(const std::string& key, const std::string& value,
                                std::optional<request_id> retry_of = {});
    asio::awaitable<result> del(const std::string& key, std::optional<request_id> retry_of = {});
    /// expected_version 0: create only if absent.
    asio::awaitable<result> cas(const std::string& key, std::uint64_t expected_version, const std::string& value,
                                std::optional<request_id> retry_of = {});

    /// Linearizable reads (a read barrier first).
    asio::awaitable<std::optional<item>> get(const std::string& key);
    asio::awaitable<std::vector<std::pair<std::string, item>>> list(const std::string& prefix, std::size_t limit);

    /// The id the last write used: what to pass as retry_of after a timeout.
    request_id last_request() const { return {_client, _seq}; }

private:
    asio::awaitable<result> write(const command& c, std::optional<request_id> retry_of);

    module& _module;
    const store& _store;
    std::uint64_t _client;
    std::uint64_t _seq = 0;
    std::chrono::milliseconds _timeout;
};

} // namespace coronet::consensus::kv
