#pragma once
// Helpers for seeded simulation tests: every failure prints the seed and the
// command that replays it.

#include <coronet/transports/sim/network.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace coronet::test {

/// The command that reruns the current test with `seed`.
inline std::string replay_command(std::uint64_t seed) {
    std::ostringstream os;
    os << "seed " << seed << "; replay: CORONET_SIM_SEED=" << seed << " build/bin/sim_tests \""
       << Catch::getResultCapture().getCurrentTestName() << "\"";
    return os.str();
}

/// The seeds a property test runs: $CORONET_SIM_SEED alone if set, else
/// `count` seeds from `first`.
inline std::vector<std::uint64_t> test_seeds(std::uint64_t first, std::size_t count) {
    if (const char* s = std::getenv("CORONET_SIM_SEED"); s && *s) return {sim::seed_from_env(first)};
    std::vector<std::uint64_t> seeds;
    for (std::size_t i = 0; i < count; ++i) seeds.push_back(first + i);
    return seeds;
}

inline std::vector<std::byte> pattern(std::size_t n, std::uint64_t salt = 0) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<unsigned char>((i * 131 + salt * 7 + i / 251) & 0xff));
    return v;
}

} // namespace coronet::test
