#pragma once
// Decides whether a client history (history.hpp) of the replicated KV store
// is linearizable: whether every operation can be given one instant between
// its call and its return such that, taken in that order, each get reads what
// the last put or del before it left.
//
// Reference: Wing & Gong, "Testing and Verifying Concurrent Objects" (1993),
// with Lowe's just-in-time linearization and state cache, "Testing for
// linearizability" (2017), and Porcupine's partitioning by key. Keys are
// independent registers, so each is checked on its own; the register starts
// absent. "fail" operations and "unknown" gets are dropped; an "unknown" put or
// del may take effect at any instant after its call, or never.

#include <coronet/consensus/kv/history.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace coronet::consensus::kv {

struct check_options {
    /// Search states (distinct linearized-set and register-value pairs),
    /// summed over keys.
    std::uint64_t states_max = 4'000'000;
    /// The state cache of the key being searched: each state holds a bit per
    /// operation of the key, so a key with many operations fills it sooner.
    std::size_t cache_bytes_max = std::size_t(1) << 30;
    /// Read every few thousand states; the default never expires.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct check_result {
    bool ok = false;        ///< linearizable; never true when the budget ran out
    bool timed_out = false; ///< the budget ran out before an answer (ok is false)
    std::string key;        ///< the key found not linearizable, or the one being checked when time ran out
    std::string explanation; ///< for people: what could not be ordered, and why
    /// Indices into the history of the operations the explanation names: the
    /// one that cannot take effect first, then those that constrain it.
    std::vector<std::size_t> operations;
    std::uint64_t states_explored = 0;
};

/// Throws std::invalid_argument if an operation fails validate().
check_result check_linearizable(const std::vector<operation>& history, check_options options = {});

} // namespace coronet::consensus::kv
