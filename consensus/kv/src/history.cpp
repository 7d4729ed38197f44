#include <coronet/consensus/kv/history.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <system_error>

namespace coronet::consensus::kv {

namespace json = boost::json;

std::string_view to_string(operation_kind k) {
    switch (k) {
    case operation_kind::get: return "get";
    case operation_kind::put: return "put";
    case operation_kind::del: return "del";
    }
    return "?";
}

std::string_view to_string(outcome o) {
    switch (o) {
    case outcome::ok: return "ok";
    case outcome::fail: return "fail";
    case outcome::unknown: return "unknown";
    }
    return "?";
}

std::int64_t history_now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void validate(const operation& op) {
    if (op.return_ns < op.call_ns)
        throw std::invalid_argument("return (" + std::to_string(op.return_ns) + ") is before call (" +
                                    std::to_string(op.call_ns) + ")");
    if (op.kind == operation_kind::put && !op.value)
        throw std::invalid_argument("a put needs a value");
    if (op.kind == operation_kind::del && op.value)
        throw std::invalid_argument("a del has no value");
}

std::string format_history_line(const operation& op) {
    validate(op);
    json::object o;
    o["client"] = op.client;
    o["op"] = to_string(op.kind);
    o["key"] = op.key;
    if (op.value)
        o["value"] = *op.value;
    else if (op.kind == operation_kind::get && op.outcome == outcome::ok)
        o["found"] = false;
    o["call"] = op.call_ns;
    o["return"] = op.return_ns;
    o["outcome"] = to_string(op.outcome);
    return json::serialize(o);
}

namespace {

const json::value& required(const json::object& o, std::string_view name) {
    auto* v = o.if_contains(name);
    if (!v)
        throw std::invalid_argument("missing field \"" + std::string(name) + "\"");
    return *v;
}

std::string_view required_string(const json::object& o, std::string_view name) {
    auto& v = required(o, name);
    if (!v.is_string())
        throw std::invalid_argument("field \"" + std::string(name) + "\" must be a string");
    return v.get_string();
}

std::int64_t required_time(const json::object& o, std::string_view name) {
    auto& v = required(o, name);
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return std::int64_t(v.get_uint64());
    throw std::invalid_argument("field \"" + std::string(name) + "\" must be an integer (nanoseconds)");
}

std::uint64_t required_client(const json::object& o) {
    auto& v = required(o, "client");
    if (v.is_uint64())
        return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0)
        return std::uint64_t(v.get_int64());
    throw std::invalid_argument("field \"client\" must be a non-negative integer");
}

operation_kind parse_kind(std::string_view s) {
    if (s == "get") return operation_kind::get;
    if (s == "put") return operation_kind::put;
    if (s == "del") return operation_kind::del;
    throw std::invalid_argument("unknown op \"" + std::string(s) + "\" (expected get, put or del)");
}

outcome parse_outcome(std::string_view s) {
    if (s == "ok") return outcome::ok;
    if (s == "fail") return outcome::fail;
    if (s == "unknown") return outcome::unknown;
    throw std::invalid_argument("unknown outcome \"" + std::string(s) + "\" (expected ok, fail or unknown)");
}

// A get says what it read either as "value" or as "found":false; the two
// must agree, and an ok get must say one of them.
void parse_value(const json::object& o, operation& op) {
    if (o.contains("value"))
        op.value = std::string(required_string(o, "value"));
    auto* found = o.if_contains("found");
    if (!found) {
        if (op.kind == operation_kind::get && op.outcome == outcome::ok && !op.value)
            throw std::invalid_argument("an ok get needs \"value\" or \"found\":false");
        return;
    }
    if (op.kind != operation_kind::get)
        throw std::invalid_argument("\"found\" is only for get");
    if (!found->is_bool())
        throw std::invalid_argument("field \"found\" must be a boolean");
    if (found->get_bool() != op.value.has_value())
        throw std::invalid_argument(op.value ? "\"found\":false with a \"value\"" : "\"found\":true without a \"value\"");
}

} // namespace

operation parse_history_line(std::string_view line) {
    json::parse_options options;
    options.max_depth = 4; // a record is one flat object
    options.allow_invalid_utf8 = true; // keys and values are bytes: read back what was written
    std::error_code ec;
    auto v = json::parse(line, ec, {}, options);
    if (ec)
        throw std::invalid_argument("not JSON: " + ec.message());
    if (!v.is_object())
        throw std::invalid_argument("not a JSON object");
    auto& o = v.get_object();
    operation op;
    op.client = required_client(o);
    op.kind = parse_kind(required_string(o, "op"));
    op.key = std::string(required_string(o, "key"));
    op.call_ns = required_time(o, "call");
    op.return_ns = required_time(o, "return");
    op.outcome = parse_outcome(required_string(o, "outcome"));
    parse_value(o, op);
    validate(op);
    return op;
}

namespace {

[[noreturn]] void fail_line(std::size_t number, const std::string& reason) {
    throw std::invalid_argument("history line " + std::to_string(number) + ": " + reason);
}

} // namespace

std::vector<operation> parse_history(std::istream& in, const history_limits& l) {
    std::vector<operation> ops;
    std::string line;
    std::size_t number = 1; // of the line being assembled
    auto finish_line = [&] {
        if (!line.empty()) {
            if (ops.size() >= l.operations_max)
                fail_line(number, "more than " + std::to_string(l.operations_max) + " operations");
            try {
                ops.push_back(parse_history_line(line));
            } catch (const std::invalid_argument& e) {
                fail_line(number, e.what());
            }
        }
        line.clear();
        ++number;
    };
    std::vector<char> chunk(64 * 1024);
    while (in) {
        in.read(chunk.data(), std::streamsize(chunk.size()));
        std::string_view data(chunk.data(), std::size_t(in.gcount()));
        while (!data.empty()) {
            auto newline = data.find('\n');
            auto piece = data.substr(0, newline);
            // Checked before appending: an endless line costs at most the bound.
            if (line.size() + piece.size() > l.line_bytes_max)
                fail_line(number, "longer than " + std::to_string(l.line_bytes_max) + " bytes");
            line.append(piece);
            if (newline == std::string_view::npos)
                break;
            finish_line();
            data.remove_prefix(newline + 1);
        }
    }
    if (in.bad())
        throw std::runtime_error("history: read error at line " + std::to_string(number));
    // The writer ends every line with a newline, so an unterminated last line
    // is either hand-written (and fine if it parses) or cut short by a kill.
    if (!line.empty()) {
        try {
            ops.push_back(parse_history_line(line));
        } catch (const std::invalid_argument& e) {
            fail_line(number, std::string(e.what()) + " (the last line has no newline: cut short?)");
        }
    }
    return ops;
}

std::vector<operation> read_history(const std::filesystem::path& path, const history_limits& l) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::system_error(errno, std::generic_category(), "history: cannot open " + path.string());
    return parse_history(in, l);
}

history_writer::history_writer(const std::filesystem::path& path)
    : _fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) {
    if (_fd < 0)
        throw std::system_error(errno, std::generic_category(), "history: cannot open " + path.string());
}

history_writer::~history_writer() {
    ::close(_fd);
}

void history_writer::append(const operation& op) {
    auto line = format_history_line(op);
    line += '\n';
    std::lock_guard lock(_mutex);
    // One write() per line: with O_APPEND, lines from other processes land
    // between ours, not inside them. A short write (disk full, a signal) is
    // continued; only then could another process's line split ours.
    std::string_view rest = line;
    while (!rest.empty()) {
        auto n = ::write(_fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw std::system_error(errno, std::generic_category(), "history: write failed");
        rest.remove_prefix(std::size_t(n));
    }
}

} // namespace coronet::consensus::kv
