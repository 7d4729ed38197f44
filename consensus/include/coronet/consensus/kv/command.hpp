#pragma once
// The replicated KV store's log records: writes (put, delete, compare-and-swap)
// travel through the consensus module as commands; their results come back
// from the state machine. Reads never enter the log: they are served locally
// after a read barrier. Both are a small binary format whose every length is
// checked against `limits` before anything is allocated.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coronet::consensus::kv {

struct limits {
    std::size_t key_max = 1024;       ///< bytes
    std::size_t value_max = 1 << 20;  ///< bytes
};

enum class op : std::uint8_t { put = 1, del = 2, cas = 3 };

/// Identifies a request for exactly-once: a retry carries the same pair.
/// client 0 means "no deduplication" (each copy applies).
struct request_id {
    std::uint64_t client = 0;
    std::uint64_t seq = 0; ///< increases by at least 1 per new request of `client`
};

struct command {
    op what = op::put;
    request_id id;
    std::string key;
    std::string value;                  ///< put, cas
    std::uint64_t expected_version = 0; ///< cas: the version the key must have; 0: it must not exist
};

/// Commands for each operation.
command make_put(std::string key, std::string value, request_id id = {});
command make_del(std::string key, request_id id = {});
/// expected_version 0: the key must not exist.
command make_cas(std::string key, std::uint64_t expected_version, std::string value, request_id id = {});

enum class status : std::uint8_t {
    ok = 0,
    not_found = 1,   ///< delete of a missing key
    cas_failed = 2,  ///< the key's version was not the expected one (result carries the current one)
    stale = 3,       ///< a request older than the client's last one: refused, not applied
    bad_command = 4, ///< malformed or over limits: refused, not applied
};

std::string_view to_string(status s);

struct result {
    status code = status::ok;
    std::uint64_t version = 0; ///< put/cas ok: the new version; cas_failed: the current (0: absent)
    std::string detail;        ///< bad_command: why
};

std::string encode(const command& c);
/// Throws std::invalid_argument with the reason if `bytes` is not a command
/// within `l`.
command decode_command(std::string_view bytes, const limits& l);

std::string encode(const result& r);
/// Throws std::invalid_argument if `bytes` is not a result.
result decode_result(std::string_view bytes);

} // namespace coronet::consensus::kv
