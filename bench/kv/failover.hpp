#pragma once
// Leader failover, timed: the leader is killed (SIGKILL) and puts are sent
// to the surviving members, round-robin, a new one every few milliseconds
// whatever became of the earlier ones (a put to a member without a leader
// may wait, or be refused, or be redirected to the dead leader); the
// failover time is from the kill to the first put acknowledged. Then the
// killed member is restarted and the cluster waited for until healthy.

#include "cluster.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace coronet::bench::kv_bench {

struct failover_round {
    std::size_t killed = 0;  ///< the member index that was leader
    double ms = 0;           ///< kill to the first acknowledged put
    unsigned attempts = 0;   ///< puts sent until then
};

struct failover_result {
    std::vector<failover_round> rounds;
    std::string error; ///< why the rounds stopped early, if they did
};

struct failover_spec {
    unsigned rounds = 5;
    std::chrono::milliseconds attempt_interval{5};   ///< a new put this often: the timing's resolution
    std::chrono::milliseconds attempt_timeout{3000};
    unsigned in_flight_max = 600;                    ///< attempt_timeout / attempt_interval: never a gap
    std::chrono::milliseconds give_up{15'000};       ///< per round
    std::chrono::milliseconds healthy_max{30'000};   ///< for the cluster to recover between rounds
};

/// Runs the rounds on `c` (healthy or about to be). Never throws for a
/// round that fails: the result says so and holds the rounds before it.
failover_result run_failovers(cluster& c, const kv_system& system, const failover_spec& spec);

} // namespace coronet::bench::kv_bench
