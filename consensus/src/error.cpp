#include <coronet/consensus/error.hpp>

namespace coronet::consensus {

std::string_view to_string(errc e) {
    switch (e) {
    case errc::not_leader: return "not leader";
    case errc::timeout: return "timeout";
    case errc::stopped: return "stopped";
    case errc::unsupported: return "unsupported";
    case errc::rejected: return "rejected";
    }
    return "unknown";
}

} // namespace coronet::consensus
