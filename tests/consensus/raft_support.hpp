#pragma once
// Small helpers for driving a single raft::core by hand in unit tests:
// building configs, entries and messages, and draining readies.

#include <coronet/consensus/raft/core.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace raft_test {

namespace raft = coronet::consensus::raft;

/// A config for `id` in a cluster of `voters`, with PreVote and CheckQuorum
/// off unless asked for (the paper's plain algorithm), and a fixed seed.
inline raft::config make_config(raft::node_id id, std::vector<raft::node_id> voters, bool pre_vote = false,
                                bool check_quorum = false) {
    raft::config c;
    c.id = id;
    c.voters = std::move(voters);
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
    c.seed = 42;
    return c;
}

inline raft::entry make_entry(raft::index_t index, raft::term_t term, std::string data = {}) {
    raft::entry e;
    e.index = index;
    e.term = term;
    e.data = std::move(data);
    return e;
}

/// Entries 1..n whose terms are `terms` (terms[0] is entry 1's term).
inline std::vector<raft::entry> entries_with_terms(const std::vector<raft::term_t>& terms, raft::index_t first = 1) {
    std::vector<raft::entry> out;
    for (std::size_t i = 0; i < terms.size(); ++i) out.push_back(make_entry(first + i, terms[i], "e" + std::to_string(first + i)));
    return out;
}

/// A restored state with a log of `terms` at hard-state term `term`.
inline raft::restored_state log_state(const std::vector<raft::term_t>& terms, raft::term_t term, raft::index_t commit = 0) {
    raft::restored_state s;
    s.entries = entries_with_terms(terms);
    s.hard_state.term = term;
    s.hard_state.commit = commit;
    return s;
}

inline raft::message make_message(raft::message_type type, raft::node_id from, raft::node_id to, raft::term_t term) {
    raft::message m;
    m.type = type;
    m.from = from;
    m.to = to;
    m.term = term;
    return m;
}

/// Takes and acknowledges every ready; returns what they held, merged.
struct drained {
    std::vector<raft::message> messages;
    std::vector<raft::entry> entries;
    std::vector<raft::entry> committed;
    std::vector<raft::read_state> read_states;
    std::vector<raft::hard_state> hard_states;
    std::vector<raft::snapshot> snapshots;

    std::vector<raft::message> of_type(raft::message_type t) const {
        std::vector<raft::message> out;
        for (const auto& m : messages)
            if (m.type == t) out.push_back(m);
        return out;
    }
};

inline drained drain(raft::core& c) {
    drained d;
    while (c.has_ready()) {
        auto rd = c.take_ready();
        for (auto& m : rd.messages) d.messages.push_back(std::move(m));
        for (auto& e : rd.entries) d.entries.push_back(std::move(e));
        for (auto& e : rd.committed_entries) d.committed.push_back(std::move(e));
        for (auto& r : rd.read_states) d.read_states.push_back(r);
        if (rd.hard_state) d.hard_states.push_back(*rd.hard_state);
        if (rd.snapshot) d.snapshots.push_back(*rd.snapshot);
        c.advance(rd);
    }
    return d;
}

/// Ticks `c` `n` times.
inline void tick(raft::core& c, int n) {
    for (int i = 0; i < n; ++i) c.tick();
}

/// Ticks until the election timeout fires (at most 2 * election_ticks).
inline void tick_to_timeout(raft::core& c) {
    for (std::uint32_t i = 0; i < 2 * c.config().election_ticks && c.role() == raft::role::follower; ++i) c.tick();
}

/// Grants `c`'s vote requests from every id in `voters` and drains.
inline void grant_votes(raft::core& c, const std::vector<raft::node_id>& voters, bool pre) {
    for (auto v : voters) {
        auto m = make_message(pre ? raft::message_type::pre_vote_response : raft::message_type::vote_response, v, c.id(),
                              pre ? c.term() + 1 : c.term());
        c.step(m);
    }
}

/// Makes `c` (a follower of a cluster of `voters`) leader by hand: campaign,
/// grant every vote, drain. PreVote is answered too if configured.
inline void make_leader(raft::core& c, const std::vector<raft::node_id>& voters) {
    c.campaign();
    std::vector<raft::node_id> others;
    for (auto v : voters)
        if (v != c.id()) others.push_back(v);
    if (c.role() == raft::role::pre_candidate) grant_votes(c, others, true);
    if (c.role() == raft::role::candidate) grant_votes(c, others, false);
}

/// A successful append_response from `from` acknowledging up to `index`.
inline raft::message ack(raft::node_id from, raft::node_id to, raft::term_t term, raft::index_t index) {
    auto m = make_message(raft::message_type::append_response, from, to, term);
    m.index = index;
    return m;
}

} // namespace raft_test
