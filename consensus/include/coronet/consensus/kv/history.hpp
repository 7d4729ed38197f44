#pragma once
// What clients of the replicated KV store saw: one record per completed
// operation, kept as JSON lines so that several client processes can append
// to one file and a checker (linearizability.hpp) can judge it afterwards.
//
// One line per operation:
//   {"client":3,"op":"put","key":"k","value":"v","call":123,"return":456,"outcome":"ok"}
//   {"client":4,"op":"get","key":"k","found":false,"call":130,"return":170,"outcome":"ok"}
// call/return are nanoseconds on history_now_ns()'s clock. Keys and values
// are written byte for byte; bytes that are not UTF-8 are read back as they
// were, though strict JSON tools may then refuse the file. Fields other than
// these are ignored, so a harness may add its own (a request id, a node).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::consensus::kv {

enum class operation_kind : std::uint8_t { get, put, del };

enum class outcome : std::uint8_t {
    ok,      ///< completed; its result is known
    fail,    ///< definitely not applied (refused before it was proposed)
    unknown, ///< timed out or the connection dropped: it may take effect at any time after its call, or never
};

struct operation {
    std::uint64_t client = 0;
    operation_kind kind = operation_kind::get;
    std::string key;
    /// put: the value written. get with outcome ok: the value read, or
    /// nullopt when the key was absent. del: always nullopt.
    std::optional<std::string> value;
    std::int64_t call_ns = 0;
    /// For outcome unknown, when the client gave up, not when it took effect.
    std::int64_t return_ns = 0;
    kv::outcome outcome = kv::outcome::ok;
    friend bool operator==(const operation&, const operation&) = default;
};

std::string_view to_string(operation_kind k);
std::string_view to_string(outcome o);

/// Nanoseconds on CLOCK_MONOTONIC (std::chrono::steady_clock on Linux): one
/// clock for every process on the machine, so their histories interleave
/// correctly. For test harnesses and clients, never for the replicated state
/// machine (time there is injected).
std::int64_t history_now_ns();

struct history_limits {
    std::size_t line_bytes_max = 1 << 20;    ///< longer lines are rejected before they are parsed
    std::size_t operations_max = 1 << 24;    ///< a history with more lines is rejected
};

/// Throws std::invalid_argument with the reason if `op` cannot be a record:
/// return before call, a put without a value, a del with one.
void validate(const operation& op);

/// The line for `op`, without the newline. Throws like validate().
std::string format_history_line(const operation& op);
/// Throws std::invalid_argument with the reason if `line` is not a record.
operation parse_history_line(std::string_view line);

/// Reads every line of `in`; empty lines are skipped. Throws
/// std::invalid_argument naming the 1-based line number and the reason for the
/// first line that is malformed or over `l`, including a last line cut short
/// (a writer killed mid-line leaves one).
std::vector<operation> parse_history(std::istream& in, const history_limits& l = {});
/// parse_history() on the file at `path`; std::system_error if it cannot be opened.
std::vector<operation> read_history(const std::filesystem::path& path, const history_limits& l = {});

class history_writer {
public:
    /// Opens `path` for appending, creating it if needed: several processes may
    /// append to the same file, since each line goes out in one O_APPEND write.
    /// Throws std::system_error if it cannot be opened.
    explicit history_writer(const std::filesystem::path& path);
    ~history_writer();
    history_writer(const history_writer&) = delete;
    history_writer& operator=(const history_writer&) = delete;

    /// Thread-safe. The line is in the kernel when this returns, so a process
    /// killed afterwards loses none of it (a machine crash may: no fsync).
    /// Throws std::invalid_argument for a bad record, std::system_error if the
    /// write fails.
    void append(const operation& op);

private:
    std::mutex _mutex;
    int _fd = -1; ///< guarded by _mutex for writes; the lines must not interleave within this process
};

} // namespace coronet::consensus::kv
