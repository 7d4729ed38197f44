// Experiment 2: keys per node under consistent hashing (the paper's Figs. 8
// and 9), with and without virtual nodes. Ids and keys are the core's own
// SHA-1 ids (chord::hash_id) on its 160-bit ring, and a key belongs to the
// first id at or after it, which is what a lookup returns on a settled ring
// (experiment 1 checks every lookup's owner against exactly this rule).
#include "experiments.hpp"

#include <coronet/dht/chord/hash.hpp>

#include <chrono>

namespace coronet::bench::chord_bench {

namespace {

load_row count_keys(const chord::ring& r, std::size_t nodes, std::size_t virtual_per_node,
                    const std::vector<chord::id>& keys) {
    // Ids of physical node k: the SHA-1 of "sim://n<k>", or of
    // "sim://n<k>#<j>" for its j-th virtual node.
    std::vector<std::pair<chord::id, std::uint32_t>> ids;
    ids.reserve(nodes * virtual_per_node);
    for (std::size_t k = 0; k < nodes; ++k)
        for (std::size_t j = 0; j < virtual_per_node; ++j) {
            auto name = "sim://n" + std::to_string(k);
            if (virtual_per_node > 1) name += "#" + std::to_string(j);
            ids.emplace_back(chord::hash_id(name, r), static_cast<std::uint32_t>(k));
        }
    std::sort(ids.begin(), ids.end());
    std::vector<double> per_node(nodes, 0);
    for (const auto& key : keys) {
        auto it = std::lower_bound(ids.begin(), ids.end(), key,
                                   [](const auto& e, const chord::id& k) { return e.first < k; });
        per_node[(it == ids.end() ? ids.front() : *it).second] += 1;
    }
    return {nodes, virtual_per_node, keys.size(), summarize(std::move(per_node))};
}

} // namespace

load_result run_load_balance(const bench_options& o) {
    auto t0 = std::chrono::steady_clock::now();
    load_result out;
    chord::ring r(chord::id::bits_max);
    // The paper: 10^4 nodes, 10^5 to 10^6 keys; virtual nodes at 10^6 keys.
    std::size_t nodes = o.quick ? 1000 : 10000;
    std::vector<std::size_t> key_counts = o.quick ? std::vector<std::size_t>{10000, 50000}
                                                  : std::vector<std::size_t>{100000, 500000, 1000000};
    std::vector<std::size_t> virtuals = o.quick ? std::vector<std::size_t>{1, 5, 20}
                                                : std::vector<std::size_t>{1, 2, 5, 10, 20};
    std::vector<chord::id> keys;
    keys.reserve(key_counts.back());
    // Key names carry the seed, so --seed changes the keys too.
    for (std::size_t i = 0; i < key_counts.back(); ++i)
        keys.push_back(chord::hash_id("key " + std::to_string(o.seed) + "/" + std::to_string(i), r));
    for (auto k : key_counts)
        out.rows.push_back(count_keys(r, nodes, 1, std::vector<chord::id>(keys.begin(), keys.begin() + k)));
    for (auto v : virtuals)
        if (v > 1) out.rows.push_back(count_keys(r, nodes, v, keys));
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

} // namespace coronet::bench::chord_bench
