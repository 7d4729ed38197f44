#pragma once
// How a consensus module refuses: typed, with the leader to try instead.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::consensus {

enum class errc : std::uint8_t {
    not_leader,  ///< this node cannot order commands now; leader_hint() may name one that can
    timeout,     ///< the deadline passed; the command may still commit later
    stopped,     ///< the module is shutting down
    unsupported, ///< this module does not do that (e.g. membership on a single node)
    rejected,    ///< refused as invalid (e.g. a membership change while one is pending)
};

std::string_view to_string(errc e);

class error : public std::runtime_error {
public:
    error(errc code, std::string what, std::uint64_t leader_hint = 0)
        : std::runtime_error(std::string(to_string(code)) + ": " + what), _code(code), _leader(leader_hint) {}
    errc code() const { return _code; }
    /// The node believed to lead, when code() is not_leader; 0 if none is known.
    std::uint64_t leader_hint() const { return _leader; }

private:
    errc _code;
    std::uint64_t _leader;
};

} // namespace coronet::consensus
