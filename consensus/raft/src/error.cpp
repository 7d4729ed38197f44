#include <coronet/consensus/raft/error.hpp>

namespace coronet::consensus::raft {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "raft"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::not_leader: return "not the leader";
        case errc::no_leader: return "no leader known";
        case errc::leader_transfer_in_progress: return "leadership transfer in progress";
        case errc::config_change_pending: return "a membership change is not committed yet";
        case errc::term_not_committed: return "the leader has not committed an entry of its term yet";
        case errc::invalid_config_change: return "invalid membership change";
        case errc::not_a_voter: return "this node is not a voter";
        case errc::invalid_target: return "the target is not another voter";
        case errc::too_many_uncommitted: return "too many uncommitted entries";
        case errc::too_many_pending_reads: return "too many pending read requests";
        case errc::compacted: return "index already compacted";
        case errc::not_applied: return "index not applied yet";
        case errc::wrong_recipient: return "message addressed to another node";
        case errc::unknown_sender: return "message from a node this one does not track";
        case errc::stale_term: return "message from an older term";
        case errc::in_lease: return "vote request while a leader is alive";
        case errc::malformed_message: return "malformed message";
        case errc::stale_message: return "stale message";
        }
        return "unknown raft error";
    }
};

} // namespace

const std::error_category& raft_category() noexcept {
    static const category instance;
    return instance;
}

} // namespace coronet::consensus::raft
