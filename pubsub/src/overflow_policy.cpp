#include <coronet/pubsub/overflow_policy.hpp>

namespace coronet::pubsub {

std::string_view to_string(overflow_policy p) {
    switch (p) {
    case overflow_policy::drop_oldest: return "drop-oldest";
    case overflow_policy::drop_newest: return "drop-newest";
    case overflow_policy::disconnect: return "disconnect";
    }
    return "disconnect";
}

std::optional<overflow_policy> parse_overflow_policy(std::string_view s) {
    for (auto p : {overflow_policy::drop_oldest, overflow_policy::drop_newest, overflow_policy::disconnect})
        if (s == to_string(p)) return p;
    return std::nullopt;
}

} // namespace coronet::pubsub
