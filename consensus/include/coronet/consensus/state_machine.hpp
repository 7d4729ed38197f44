#pragma once
// What an application gives a consensus module: a deterministic state machine.
// The module decides the order of commands; every replica applies the same
// commands in the same order and so reaches the same state.

#include <cstdint>
#include <string>
#include <string_view>

namespace coronet::consensus {

class state_machine {
public:
    virtual ~state_machine() = default;

    /// Applies the command committed at `index`, in log order: called exactly
    /// once per committed command on every replica, with strictly increasing
    /// indexes (gaps are entries the module used for itself). Returns the
    /// result the proposer receives. Must be deterministic: same state and
    /// command, same new state and result, on every replica. Must not throw
    /// for a command it cannot parse: a bad command is a result ("error ..."),
    /// not a reason for replicas to diverge.
    virtual std::string apply(std::uint64_t index, std::string_view command) = 0;

    /// The whole state, to be restored elsewhere; taken between two apply()s.
    virtual std::string snapshot() const = 0;
    /// Replaces the whole state with one from snapshot() (the last index it
    /// covers is the module's business). Throws std::invalid_argument if
    /// `data` is not a snapshot this machine wrote; the state is then unchanged.
    virtual void restore(std::string_view data) = 0;
};

} // namespace coronet::consensus
