// The trie against the reference matcher, and its bookkeeping: duplicates,
// missing entries and pruning back to a bare root.
#include <coronet/pubsub/topic_tree.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

using coronet::pubsub::subscription_id;
using coronet::pubsub::topic_matches;
using coronet::pubsub::topic_tree;

namespace {

std::vector<subscription_id> matches(const topic_tree& tree, std::string_view topic) {
    std::vector<subscription_id> ids;
    tree.match(topic, [&](subscription_id id) { ids.push_back(id); });
    std::sort(ids.begin(), ids.end());
    return ids;
}

// Few distinct levels and shallow depths, so that a random pattern matches a
// random topic often enough to exercise every branch of the walk.
std::string random_name(std::mt19937& rng, bool pattern) {
    static const char* const levels[] = {"a", "b", "c", "dd"};
    std::uniform_int_distribution<int> depth(1, 4);
    std::uniform_int_distribution<int> pick(0, pattern ? 6 : 3);
    std::string name;
    auto n = depth(rng);
    for (int i = 0; i < n; ++i) {
        if (i > 0) name += '.';
        auto k = pick(rng);
        if (k < 4) name += levels[k];
        else if (k == 6 && i == n - 1) name += '>';
        else name += '*';
    }
    return name;
}

} // namespace

TEST_CASE("the topic tree visits exactly the subscriptions the reference matcher accepts", "[pubsub]") {
    const auto seed = GENERATE(1u, 2u, 3u);
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    std::vector<std::string> patterns;
    topic_tree tree;
    for (subscription_id id = 0; id < 500; ++id) {
        patterns.push_back(random_name(rng, true));
        tree.insert(patterns.back(), id);
    }
    REQUIRE(tree.size() == 500);
    std::size_t total = 0;
    for (int t = 0; t < 500; ++t) {
        auto topic = random_name(rng, false);
        std::vector<subscription_id> expected;
        for (subscription_id id = 0; id < patterns.size(); ++id)
            if (topic_matches(patterns[id], topic)) expected.push_back(id);
        INFO("topic " << topic);
        REQUIRE(matches(tree, topic) == expected);
        total += expected.size();
    }
    CHECK(total > 5000); // the corpus really is dense with matches
}

TEST_CASE("erasing every subscription prunes the tree back to its root", "[pubsub]") {
    std::mt19937 rng(7);
    std::vector<std::pair<std::string, subscription_id>> entries;
    topic_tree tree;
    for (subscription_id id = 0; id < 300; ++id) {
        entries.emplace_back(random_name(rng, true), id);
        tree.insert(entries.back().first, id);
    }
    CHECK(tree.node_count() > 1);
    std::shuffle(entries.begin(), entries.end(), rng);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        REQUIRE(tree.erase(entries[i].first, entries[i].second));
        REQUIRE(tree.size() == entries.size() - i - 1);
    }
    CHECK(tree.empty());
    CHECK(tree.node_count() == 1);
    CHECK(matches(tree, "a.b").empty());
}

TEST_CASE("erase prunes only the branch it empties", "[pubsub]") {
    topic_tree tree;
    tree.insert("a.b.c", 1);
    tree.insert("a.*", 2);
    tree.insert("a.>", 3);
    CHECK(tree.node_count() == 6); // root, a, b, c, *, >
    CHECK(tree.erase("a.b.c", 1));
    CHECK(tree.node_count() == 4);
    CHECK(tree.erase("a.>", 3));
    CHECK(tree.node_count() == 3);
    CHECK(matches(tree, "a.x") == std::vector<subscription_id>{2});
    CHECK(tree.erase("a.*", 2));
    CHECK(tree.node_count() == 1);
}

TEST_CASE("the same id under the same pattern is stored once", "[pubsub]") {
    topic_tree tree;
    tree.insert("a.*", 1);
    tree.insert("a.*", 1);
    CHECK(tree.size() == 1);
    CHECK(matches(tree, "a.b") == std::vector<subscription_id>{1});
    CHECK(tree.erase("a.*", 1));
    CHECK_FALSE(tree.erase("a.*", 1));
    CHECK(tree.node_count() == 1);
}

TEST_CASE("an id under two matching patterns is visited once per pattern", "[pubsub]") {
    topic_tree tree;
    tree.insert("a.*", 1);
    tree.insert("a.>", 1);
    CHECK(tree.size() == 2);
    CHECK(matches(tree, "a.b") == std::vector<subscription_id>{1, 1});
    CHECK(matches(tree, "a.b.c") == std::vector<subscription_id>{1});
}

TEST_CASE("erasing a missing entry returns false and changes nothing", "[pubsub]") {
    topic_tree tree;
    tree.insert("a.b", 1);
    CHECK_FALSE(tree.erase("a.b", 2));
    CHECK_FALSE(tree.erase("a.c", 1));
    CHECK_FALSE(tree.erase("a", 1));
    CHECK_FALSE(tree.erase("a.b.c", 1));
    CHECK_FALSE(tree.erase("a.*", 1));
    CHECK_FALSE(tree.erase(">", 1));
    CHECK(tree.size() == 1);
    CHECK(tree.node_count() == 3);
    CHECK(matches(tree, "a.b") == std::vector<subscription_id>{1});
}

TEST_CASE("a moved-from tree is empty and usable", "[pubsub]") {
    topic_tree a;
    a.insert("x.y", 1);
    topic_tree b(std::move(a));
    CHECK(b.size() == 1);
    CHECK(a.size() == 0);
    CHECK(a.node_count() == 1);
    a.insert("x", 2);
    CHECK(matches(a, "x") == std::vector<subscription_id>{2});
}
