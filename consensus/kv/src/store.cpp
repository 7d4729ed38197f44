#include <coronet/consensus/kv/store.hpp>

#include "bytes.hpp"

#include <stdexcept>

namespace coronet::consensus::kv {

std::string store::apply(std::uint64_t index, std::string_view bytes) {
    _applied = index;
    command c;
    try {
        c = decode_command(bytes, _options.limits);
    } catch (const std::invalid_argument& e) {
        return encode(result{status::bad_command, 0, e.what()});
    }
    if (c.id.client != 0) {
        if (auto it = _sessions.find(c.id.client); it != _sessions.end()) {
            if (c.id.seq == it->second.seq) return it->second.result; // a retry: the first answer, not a second write
            if (c.id.seq < it->second.seq)
                return encode(result{status::stale, 0, "request " + std::to_string(c.id.seq) + " is older than " +
                                                            std::to_string(it->second.seq)});
        }
    }
    auto out = encode(execute(index, c));
    if (c.id.client != 0) remember(c.id.client, c.id.seq, index, out);
    if (_on_reserved && c.key.starts_with(reserved_prefix)) {
        auto it = _items.find(c.key);
        _on_reserved(c.key, it == _items.end() ? nullptr : &it->second);
    }
    return out;
}

result store::execute(std::uint64_t index, const command& c) {
    auto it = _items.find(c.key);
    switch (c.what) {
    case op::put:
        if (it == _items.end()) _items.emplace(c.key, item{c.value, index});
        else it->second = item{c.value, index};
        return {status::ok, index, {}};
    case op::del:
        if (it == _items.end()) return {status::not_found, 0, {}};
        _items.erase(it);
        return {status::ok, 0, {}};
    case op::cas: {
        auto current = it == _items.end() ? 0 : it->second.version;
        if (current != c.expected_version) return {status::cas_failed, current, {}};
        if (it == _items.end()) _items.emplace(c.key, item{c.value, index});
        else it->second = item{c.value, index};
        return {status::ok, index, {}};
    }
    }
    return {status::bad_command, 0, "unknown operation"};
}

void store::remember(std::uint64_t client, std::uint64_t seq, std::uint64_t index, const std::string& result) {
    auto [it, fresh] = _sessions.try_emplace(client);
    if (!fresh) _by_last_use.erase(it->second.last_index);
    it->second = session{seq, result, index};
    _by_last_use.emplace(index, client);
    while (_sessions.size() > _options.sessions_max) {
        auto oldest = _by_last_use.begin();
        _sessions.erase(oldest->second);
        _by_last_use.erase(oldest);
    }
}

std::size_t store::user_keys() const {
    std::size_t reserved = 0; // a handful: one per member added through the API
    for (auto it = _items.lower_bound(reserved_prefix); it != _items.end() && it->first.starts_with(reserved_prefix); ++it)
        ++reserved;
    return _items.size() - reserved;
}

std::optional<item> store::get(std::string_view key) const {
    auto it = _items.find(key);
    if (it == _items.end()) return std::nullopt;
    return it->second;
}

std::vector<std::pair<std::string, item>> store::list(std::string_view prefix, std::size_t limit) const {
    std::vector<std::pair<std::string, item>> out;
    for (auto it = _items.lower_bound(prefix); it != _items.end() && out.size() < limit; ++it) {
        if (std::string_view(it->first).substr(0, prefix.size()) != prefix) break;
        out.emplace_back(it->first, it->second);
    }
    return out;
}

// Snapshot: u8 format, u64 applied, u64 n items {key, value, u64 version},
// u64 n sessions {u64 client, u64 seq, string result, u64 last_index}.
namespace {
constexpr std::uint8_t snapshot_format = 1;
}

std::string store::snapshot() const {
    std::string out;
    detail::put_u8(out, snapshot_format);
    detail::put_u64(out, _applied);
    detail::put_u64(out, _items.size());
    for (auto& [k, v] : _items) {
        detail::put_string(out, k);
        detail::put_string(out, v.value);
        detail::put_u64(out, v.version);
    }
    detail::put_u64(out, _sessions.size());
    for (auto& [last, client] : _by_last_use) { // in eviction order, so a restore evicts alike
        auto& s = _sessions.at(client);
        detail::put_u64(out, client);
        detail::put_u64(out, s.seq);
        detail::put_string(out, s.result);
        detail::put_u64(out, last);
    }
    return out;
}

void store::restore(std::string_view data) {
    // Built aside and swapped in: a bad snapshot leaves the state as it was.
    detail::reader r(data);
    if (r.u8() != snapshot_format) throw std::invalid_argument("kv snapshot: unknown format");
    auto applied = r.u64();
    decltype(_items) items;
    auto n = r.u64();
    for (std::uint64_t i = 0; i < n; ++i) {
        std::string key(r.string(_options.limits.key_max, "key"));
        std::string value(r.string(_options.limits.value_max, "value"));
        auto version = r.u64();
        if (!items.emplace(std::move(key), item{std::move(value), version}).second)
            throw std::invalid_argument("kv snapshot: duplicate key");
    }
    decltype(_sessions) sessions;
    decltype(_by_last_use) by_last_use;
    auto m = r.u64();
    for (std::uint64_t i = 0; i < m; ++i) {
        auto client = r.u64();
        auto seq = r.u64();
        std::string res(r.string(64 * 1024, "session result"));
        auto last = r.u64();
        if (!sessions.emplace(client, session{seq, std::move(res), last}).second || !by_last_use.emplace(last, client).second)
            throw std::invalid_argument("kv snapshot: duplicate session");
    }
    r.expect_done("kv snapshot");
    _items = std::move(items);
    _sessions = std::move(sessions);
    _by_last_use = std::move(by_last_use);
    _applied = applied;
    if (_on_reserved)
        for (auto it = _items.lower_bound(reserved_prefix); it != _items.end() && it->first.starts_with(reserved_prefix); ++it)
            _on_reserved(it->first, &it->second);
}

} // namespace coronet::consensus::kv
