#include <coronet/consensus/kv/service.hpp>

namespace coronet::consensus::kv {

asio::awaitable<result> service::write(const command& original, std::optional<request_id> retry_of) {
    auto c = original;
    // Checked here too, so an oversize write fails before it costs a log entry.
    const auto& l = _store.options().limits;
    if (c.key.empty() || c.key.size() > l.key_max)
        co_return result{status::bad_command, 0, "key must be 1.." + std::to_string(l.key_max) + " bytes"};
    if (c.value.size() > l.value_max)
        co_return result{status::bad_command, 0, "value exceeds " + std::to_string(l.value_max) + " bytes"};
    c.id = retry_of ? *retry_of : request_id{_client, _client ? ++_seq : 0};
    auto encoded = encode(c);
    auto bytes = co_await _module.propose(encoded, _timeout);
    co_return decode_result(bytes);
}

asio::awaitable<result> service::put(const std::string& key, const std::string& value,
                                     std::optional<request_id> retry_of) {
    auto c = make_put(key, value);
    co_return co_await write(c, retry_of);
}

asio::awaitable<result> service::del(const std::string& key, std::optional<request_id> retry_of) {
    auto c = make_del(key);
    co_return co_await write(c, retry_of);
}

asio::awaitable<result> service::cas(const std::string& key, std::uint64_t expected_version,
                                     const std::string& value, std::optional<request_id> retry_of) {
    auto c = make_cas(key, expected_version, value);
    co_return co_await write(c, retry_of);
}

asio::awaitable<std::optional<item>> service::get(const std::string& key) {
    co_await _module.read_barrier(_timeout);
    co_return _store.get(key);
}

asio::awaitable<std::vector<std::pair<std::string, item>>> service::list(const std::string& prefix, std::size_t limit) {
    co_await _module.read_barrier(_timeout);
    co_return _store.list(prefix, limit);
}

} // namespace coronet::consensus::kv
