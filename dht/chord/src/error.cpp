#include <coronet/dht/chord/error.hpp>

namespace coronet::dht::chord {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "chord"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::not_joined: return "the node is not in a ring";
        case errc::already_joined: return "the node is already in a ring or joining one";
        case errc::key_out_of_range: return "key outside the ring";
        case errc::too_many_lookups: return "too many pending lookups";
        case errc::duplicate_request: return "a lookup with this request id is pending";
        case errc::timeout: return "lookup timed out";
        case errc::no_route: return "no live node to route the request to";
        case errc::hop_limit: return "lookup exceeded the hop limit";
        case errc::overloaded: return "a node on the route was overloaded";
        case errc::id_in_use: return "another node has this node's id";
        case errc::id_out_of_range: return "id outside the ring";
        case errc::malformed_message: return "malformed message";
        case errc::list_too_long: return "node list too long";
        case errc::list_out_of_order: return "successor list out of ring order";
        case errc::bogus_owner: return "claimed owner or successor outside the sender's interval";
        case errc::bogus_candidate: return "next hop not between the sender and the key";
        case errc::unexpected_reply: return "reply to no pending request";
        case errc::id_conflict: return "another node claims this node's id";
        case errc::id_unverified: return "node id is not the hash of its address";
        case errc::stale_message: return "stale message";
        case errc::not_between: return "notifier is not between the predecessor and this node";
        }
        return "unknown chord error";
    }
};

} // namespace

const std::error_category& chord_category() noexcept {
    static const category instance;
    return instance;
}

} // namespace coronet::dht::chord
