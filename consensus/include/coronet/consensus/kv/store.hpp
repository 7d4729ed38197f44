#pragma once
// The replicated KV store's state machine: ordered keys with versions, and a
// table of client sessions that makes retried writes apply exactly once.
// Deterministic by construction — every replica that applies the same log
// holds the same items and the same sessions, evictions included.

#include <coronet/consensus/kv/command.hpp>
#include <coronet/consensus/state_machine.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coronet::consensus::kv {

struct item {
    std::string value;
    std::uint64_t version = 0; ///< the log index of the write that set it; never reused
    friend bool operator==(const item&, const item&) = default;
};

/// Keys under this prefix belong to the cluster itself (member addresses,
/// written by POST /v1/members): the HTTP API refuses them and lists skip them.
inline constexpr std::string_view reserved_prefix{"\0coronet/", 9};

struct store_options {
    kv::limits limits;
    /// Clients remembered for deduplication; past this the one idle longest
    /// (by log index) is forgotten, and its next retry applies again.
    std::size_t sessions_max = 100'000;
};

class store final : public state_machine {
public:
    explicit store(store_options o = {}) : _options(o) {}

    std::string apply(std::uint64_t index, std::string_view command) override;
    std::string snapshot() const override;
    void restore(std::string_view data) override;

    /// Local reads: linearizable only after the module's read_barrier().
    std::optional<item> get(std::string_view key) const;
    /// Keys starting with `prefix`, in order, at most `limit` of them.
    std::vector<std::pair<std::string, item>> list(std::string_view prefix, std::size_t limit) const;
    /// Every key, the cluster's own (reserved_prefix) included.
    std::size_t size() const { return _items.size(); }
    /// The application's keys: size() less the reserved ones.
    std::size_t user_keys() const;
    std::size_t sessions() const { return _sessions.size(); }
    /// Index of the last command applied (0: none).
    std::uint64_t applied() const { return _applied; }
    const store_options& options() const { return _options; }

    /// Called after each write to a key under reserved_prefix applies (the
    /// item, or null once deleted), and for every such key after restore():
    /// how every replica learns the member addresses the log carries.
    using reserved_watcher = std::function<void(std::string_view key, const item* now)>;
    void watch_reserved(reserved_watcher w) { _on_reserved = std::move(w); }

private:
    result execute(std::uint64_t index, const command& c);

    struct session {
        std::uint64_t seq = 0;
        std::string result;          ///< encoded, returned again to a retry of seq
        std::uint64_t last_index = 0; ///< when it was last used: the eviction order
    };
    void remember(std::uint64_t client, std::uint64_t seq, std::uint64_t index, const std::string& result);

    store_options _options;
    std::map<std::string, item, std::less<>> _items;
    std::unordered_map<std::uint64_t, session> _sessions;
    std::map<std::uint64_t, std::uint64_t> _by_last_use; ///< last_index -> client: evict from the front
    std::uint64_t _applied = 0;
    reserved_watcher _on_reserved;
};

} // namespace coronet::consensus::kv
