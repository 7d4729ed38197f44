// Hostile input (DESIGN.md principle 7): whatever arrives from the network,
// a node neither crashes nor breaks its own invariants. Random and malformed
// messages are fed to nodes in every role while the invariant checker
// watches each step.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <random>

using namespace raft_test;
using raft::message_type;
using raft::role;

namespace {

/// A message with every field drawn at random, biased towards values that
/// are almost plausible (near the node's term and log) and towards extremes.
class message_fuzzer {
public:
    explicit message_fuzzer(std::uint64_t seed) : _rng(seed) {}

    raft::message next(const raft::core& target) {
        raft::message m;
        m.type = static_cast<message_type>(pick(raft::message_type_count + 2)); // some invalid types too
        m.from = pick(7);                                                       // 0, self, members, strangers
        m.to = pick(20) == 0 ? pick(7) : target.id();
        m.term = number(target.term());
        m.log_term = number(target.log().last_term());
        m.index = number(target.log().last_index());
        m.commit = number(target.commit());
        m.reject = pick(2) == 0;
        m.reject_hint = number(target.log().last_index());
        m.context = pick(4);
        m.leader_transfer = pick(10) == 0;
        auto count = pick(4);
        auto index = pick(3) == 0 ? number(m.index) : m.index + 1; // usually consecutive after index
        for (std::uint64_t i = 0; i < count; ++i) {
            raft::entry e;
            e.index = pick(8) == 0 ? number(index) : index;
            e.term = pick(3) == 0 ? number(m.term) : m.log_term + pick(2);
            e.type = static_cast<raft::entry_type>(pick(5));
            if (e.type == raft::entry_type::config && pick(2) == 0) {
                raft::config_entry ce;
                ce.members = raft::make_membership({1, 2, 3, pick(6) + 1});
                e.data = raft::encode(ce);
            } else {
                e.data = std::string(pick(3), 'x');
            }
            m.entries.push_back(e);
            ++index;
        }
        if (pick(3) == 0) {
            m.snapshot.emplace();
            m.snapshot->metadata.index = number(target.log().last_index());
            m.snapshot->metadata.term = number(m.term);
            m.snapshot->metadata.members.voters = {pick(5), pick(5) + 1, 3};
            if (pick(2) == 0) m.snapshot->metadata.members = raft::make_membership({1, 2, 3});
        }
        return m;
    }

    std::uint64_t pick(std::uint64_t n) { return _rng() % n; }

private:
    /// Near `around` most of the time; sometimes 0, huge or the maximum.
    std::uint64_t number(std::uint64_t around) {
        switch (pick(10)) {
        case 0: return 0;
        case 1: return std::numeric_limits<std::uint64_t>::max();
        case 2: return std::numeric_limits<std::uint64_t>::max() - 1;
        case 3: return _rng();
        default: {
            auto delta = pick(5);
            return pick(2) == 0 && around >= delta ? around - delta : around + delta;
        }
        }
    }

    std::mt19937_64 _rng;
};

/// Feeds `count` fuzzed messages (with ticks, proposals and reads between
/// them) to `n`, checking its invariants after each input.
void fuzz(raft::core& n, std::uint64_t seed, int count) {
    message_fuzzer fuzzer(seed);
    invariant_checker check;
    check.observe(n);
    for (int i = 0; i < count; ++i) {
        auto m = fuzzer.next(n);
        n.step(m);
        check.observe(n);
        switch (fuzzer.pick(12)) {
        case 0: n.tick(); break;
        case 1: (void)n.propose("p"); break;
        case 2: (void)n.read_index(fuzzer.pick(100)); break;
        case 3: n.report_unreachable(fuzzer.pick(5)); break;
        case 4: n.report_snapshot(fuzzer.pick(5), fuzzer.pick(2) == 0); break;
        case 5: (void)n.compact(n.applied(), "snap"); break;
        default: break;
        }
        check.observe(n);
        if (fuzzer.pick(4) == 0) {
            for (const auto& out : drain(n).messages) {
                REQUIRE(out.from == n.id());
                REQUIRE(out.to != raft::no_node);
                REQUIRE(out.to != n.id());
            }
            check.observe(n);
        }
    }
    drain(n);
}

} // namespace

TEST_CASE("random and malformed messages never crash a node nor move its term or commit backwards", "[raft][robustness]") {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        INFO("seed " << seed);
        raft::core follower(make_config(1, {1, 2, 3}, true, true), log_state({1, 1, 2}, 2, 1));
        fuzz(follower, seed, 3000);
        raft::core leader(make_config(1, {1, 2, 3}, true, true), log_state({1, 1, 2}, 2, 1));
        make_leader(leader, {1, 2, 3});
        REQUIRE(leader.role() == role::leader);
        fuzz(leader, seed + 100, 3000);
        raft::core sequential_leader(make_config(1, {1, 2, 3}), log_state({1, 1, 2}, 2, 1));
        make_leader(sequential_leader, {1, 2, 3});
        fuzz(sequential_leader, seed + 200, 2000);
    }
}

TEST_CASE("a node ignores messages for another node, from node 0, from itself, or from an impossible term", "[raft][robustness]") {
    raft::core n(make_config(1, {1, 2, 3}));
    auto m = make_message(message_type::heartbeat, 2, 3, 1);
    CHECK(n.step(m) == raft::errc::wrong_recipient);
    m.to = 1;
    m.from = 0;
    CHECK(n.step(m) == raft::errc::malformed_message);
    m.from = 1;
    CHECK(n.step(m) == raft::errc::malformed_message);
    m.from = 2;
    m.term = 0;
    CHECK(n.step(m) == raft::errc::malformed_message);
    m.term = std::numeric_limits<raft::term_t>::max();
    CHECK(n.step(m) == raft::errc::malformed_message);
    m.type = static_cast<message_type>(200);
    m.term = 1;
    CHECK(n.step(m) == raft::errc::malformed_message);
    CHECK(n.term() == 0);
    CHECK_FALSE(n.has_ready());
}

TEST_CASE("an append with entries that are not consecutive, or whose terms go backwards or beyond the message's, is refused", "[raft][robustness]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1}, 1));
    auto m = make_message(message_type::append, 1, 2, 2);
    m.index = 1;
    m.log_term = 1;
    m.entries = entries_with_terms({2, 2}, 2);
    m.entries[1].index = 4; // a gap
    CHECK(f.step(m) == raft::errc::malformed_message);
    m.entries = entries_with_terms({2, 1}, 2); // terms decrease
    CHECK(f.step(m) == raft::errc::malformed_message);
    m.entries = entries_with_terms({3}, 2); // from a term after the leader's
    CHECK(f.step(m) == raft::errc::malformed_message);
    m.index = std::numeric_limits<raft::index_t>::max();
    m.entries = entries_with_terms({2}, 0);
    CHECK(f.step(m) == raft::errc::malformed_message);
    CHECK(f.log().last_index() == 1);
    CHECK(f.term() == 1);
}

TEST_CASE("a leader ignores answers from nodes it does not track and acknowledgments of entries it does not have", "[raft][robustness]") {
    raft::core leader(make_config(1, {1, 2, 3}));
    make_leader(leader, {1, 2, 3});
    drain(leader);
    CHECK(leader.step(ack(9, 1, 1, 1)) == raft::errc::unknown_sender);
    CHECK(leader.step(ack(2, 1, 1, 50)) == raft::errc::malformed_message);
    CHECK(leader.progresses().at(2).match() == 0);
    CHECK(leader.commit() == 0);
    auto hb = make_message(message_type::heartbeat_response, 9, 1, 1);
    CHECK(leader.step(hb) == raft::errc::unknown_sender);
    CHECK(leader.role() == role::leader);
}

TEST_CASE("a heartbeat claiming a commit index past the follower's log does not commit anything", "[raft][robustness]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1, 1}, 1));
    auto hb = make_message(message_type::heartbeat, 1, 2, 1);
    hb.commit = 10;
    CHECK(f.step(hb) == raft::errc::malformed_message);
    CHECK(f.commit() == 0);
    CHECK(f.leader() == 1); // it is still the leader's heartbeat
}

TEST_CASE("a snapshot message without a snapshot, or with an impossible one, is refused", "[raft][robustness]") {
    raft::core f(make_config(2, {1, 2, 3}));
    auto m = make_message(message_type::snapshot, 1, 2, 1);
    CHECK(f.step(m) == raft::errc::malformed_message);
    m.snapshot.emplace();
    m.snapshot->metadata.index = 5;
    m.snapshot->metadata.term = 2; // after the message's term
    m.snapshot->metadata.members = raft::make_membership({1, 2, 3});
    CHECK(f.step(m) == raft::errc::malformed_message);
    m.snapshot->metadata.term = 1;
    m.snapshot->metadata.members.voters = {3, 1}; // not sorted
    CHECK(f.step(m) == raft::errc::malformed_message);
    m.snapshot->metadata.members.voters = {};
    CHECK(f.step(m) == raft::errc::malformed_message);
    CHECK(f.commit() == 0);
    CHECK(f.log().last_index() == 0);
}
