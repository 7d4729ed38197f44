#pragma once
// Majorities. Raft asks two questions of a set of voters: how far have a
// majority of them got (commitment, read-index confirmation), and has an
// election been won or lost.

#include <coronet/consensus/raft/types.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace coronet::consensus::raft {

/// Members needed for a majority of `voters`: floor(n/2) + 1.
constexpr std::size_t quorum_size(std::size_t voters) { return voters / 2 + 1; }

/// The largest value v such that a majority of `voters` have value_of(id) >= v
/// (with 5 voters at 9, 9, 7, 4, 1: 7). 0 if there are no voters.
template <class ValueOf>
index_t majority_value(std::span<const node_id> voters, ValueOf&& value_of) {
    if (voters.empty()) return 0;
    std::vector<index_t> values;
    values.reserve(voters.size());
    for (auto id : voters) values.push_back(value_of(id));
    auto kth = values.begin() + static_cast<std::ptrdiff_t>(quorum_size(values.size()) - 1);
    std::nth_element(values.begin(), kth, values.end(), [](index_t a, index_t b) { return a > b; });
    return *kth;
}

enum class vote_result : std::uint8_t { pending, won, lost };

/// The state of an election among `voters`, where vote_of(id) says 1 for a
/// granted vote, 0 for a refusal and -1 for no answer yet. Votes from
/// non-voters are not asked for, so they cannot count.
template <class VoteOf>
vote_result tally(std::span<const node_id> voters, VoteOf&& vote_of) {
    std::size_t granted = 0;
    std::size_t refused = 0;
    for (auto id : voters) {
        int v = vote_of(id);
        if (v > 0) ++granted;
        else if (v == 0) ++refused;
    }
    auto needed = quorum_size(voters.size());
    if (granted >= needed) return vote_result::won;
    if (voters.size() - refused < needed) return vote_result::lost;
    return vote_result::pending;
}

} // namespace coronet::consensus::raft
