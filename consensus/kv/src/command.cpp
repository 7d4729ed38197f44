#include <coronet/consensus/kv/command.hpp>

#include "bytes.hpp"

#include <stdexcept>

namespace coronet::consensus::kv {

std::string_view to_string(status s) {
    switch (s) {
    case status::ok: return "ok";
    case status::not_found: return "not found";
    case status::cas_failed: return "compare-and-swap failed";
    case status::stale: return "stale request";
    case status::bad_command: return "bad command";
    }
    return "unknown";
}

command make_put(std::string key, std::string value, request_id id) {
    command c;
    c.what = op::put;
    c.id = id;
    c.key = std::move(key);
    c.value = std::move(value);
    return c;
}

command make_del(std::string key, request_id id) {
    command c;
    c.what = op::del;
    c.id = id;
    c.key = std::move(key);
    return c;
}

command make_cas(std::string key, std::uint64_t expected_version, std::string value, request_id id) {
    auto c = make_put(std::move(key), std::move(value), id);
    c.what = op::cas;
    c.expected_version = expected_version;
    return c;
}

// Format, after a version byte: u8 op, u64 client, u64 seq, string key,
// then put: string value; cas: u64 expected_version, string value.
namespace {
constexpr std::uint8_t command_format = 1;
constexpr std::uint8_t result_format = 1;
} // namespace

std::string encode(const command& c) {
    std::string out;
    out.reserve(40 + c.key.size() + c.value.size());
    detail::put_u8(out, command_format);
    detail::put_u8(out, static_cast<std::uint8_t>(c.what));
    detail::put_u64(out, c.id.client);
    detail::put_u64(out, c.id.seq);
    detail::put_string(out, c.key);
    if (c.what == op::cas) detail::put_u64(out, c.expected_version);
    if (c.what != op::del) detail::put_string(out, c.value);
    return out;
}

command decode_command(std::string_view bytes, const limits& l) {
    detail::reader r(bytes);
    if (r.u8() != command_format) throw std::invalid_argument("unknown command format");
    command c;
    auto what = r.u8();
    if (what < 1 || what > 3) throw std::invalid_argument("unknown operation " + std::to_string(what));
    c.what = static_cast<op>(what);
    c.id.client = r.u64();
    c.id.seq = r.u64();
    c.key = r.string(l.key_max, "key");
    if (c.key.empty()) throw std::invalid_argument("empty key");
    if (c.what == op::cas) c.expected_version = r.u64();
    if (c.what != op::del) c.value = r.string(l.value_max, "value");
    r.expect_done("command");
    return c;
}

std::string encode(const result& res) {
    std::string out;
    detail::put_u8(out, result_format);
    detail::put_u8(out, static_cast<std::uint8_t>(res.code));
    detail::put_u64(out, res.version);
    detail::put_string(out, res.detail);
    return out;
}

result decode_result(std::string_view bytes) {
    detail::reader r(bytes);
    if (r.u8() != result_format) throw std::invalid_argument("unknown result format");
    result res;
    auto code = r.u8();
    if (code > 4) throw std::invalid_argument("unknown status " + std::to_string(code));
    res.code = static_cast<status>(code);
    res.version = r.u64();
    res.detail = r.string(4096, "detail");
    r.expect_done("result");
    return res;
}

} // namespace coronet::consensus::kv
