#include <coronet/dht/chord/store.hpp>

#include <coronet/dht/chord/hash.hpp>

namespace coronet::dht::chord {

id store::key_id(const std::string& key) const { return hash_id(key, _ring); }

std::optional<store_entry> store::get(const std::string& key) const {
    auto it = _entries.find({key_id(key), key});
    if (it == _entries.end() || !it->second.entry.value) return std::nullopt;
    return it->second.entry;
}

store_entry store::write(const std::string& key, std::optional<std::string> value, std::uint64_t now) {
    auto& s = _entries[{key_id(key), key}];
    s.entry.key = key;
    s.entry.value = std::move(value);
    ++s.entry.version;
    s.refreshed = now;
    return s.entry;
}

bool store::merge(const store_entry& e, std::uint64_t now) {
    auto [it, fresh] = _entries.try_emplace({key_id(e.key), e.key});
    auto& s = it->second;
    s.refreshed = now;
    if (!fresh && s.entry.version >= e.version) return false;
    s.entry = e;
    return true;
}

std::vector<store_entry> store::range(const id& from, const id& to) const {
    std::vector<store_entry> out;
    for (const auto& [k, s] : _entries)
        if (in_half_open(k.first, from, to)) out.push_back(s.entry);
    return out;
}

std::vector<store_entry> store::all() const {
    std::vector<store_entry> out;
    out.reserve(_entries.size());
    for (const auto& [k, s] : _entries) out.push_back(s.entry);
    return out;
}

std::size_t store::expire(const std::optional<id>& owned_from, const id& owned_to, std::uint64_t stale_before) {
    if (!owned_from) return 0;
    return std::erase_if(_entries, [&](const auto& kv) {
        return kv.second.refreshed < stale_before && !in_half_open(kv.first.first, *owned_from, owned_to);
    });
}

std::size_t store::live() const {
    std::size_t n = 0;
    for (const auto& [k, s] : _entries) n += s.entry.value.has_value();
    return n;
}

} // namespace coronet::dht::chord
