// The KV history format and the linearizability checker: hand-written
// histories with a known answer, then histories of a simulated atomic
// register (always linearizable) and the same with one read made impossible.
#include "consensus/storage_support.hpp"

#include <coronet/consensus/kv/history.hpp>
#include <coronet/consensus/kv/linearizability.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace coronet::consensus::kv;

namespace {

operation lin_put(std::uint64_t client, std::string key, std::string value, std::int64_t call, std::int64_t ret,
                  outcome o = outcome::ok) {
    return {client, operation_kind::put, std::move(key), std::move(value), call, ret, o};
}

operation lin_del(std::uint64_t client, std::string key, std::int64_t call, std::int64_t ret,
                  outcome o = outcome::ok) {
    return {client, operation_kind::del, std::move(key), std::nullopt, call, ret, o};
}

/// A get that read `value` (nullopt: the key was absent).
operation lin_get(std::uint64_t client, std::string key, std::optional<std::string> value, std::int64_t call,
                  std::int64_t ret) {
    return {client, operation_kind::get, std::move(key), std::move(value), call, ret, outcome::ok};
}

struct lin_sim_options {
    int clients = 4;
    int keys = 2;
    int ops = 60;
    int unknown_percent = 5;
    int fail_percent = 5;
};

/// A history of a real atomic register: every operation takes effect at one
/// instant between its call and its return (an unknown write: any time after
/// its call, or never), and each get reads the state at its instant. Clients
/// are sequential; values are unique, so a mutated read can be shown impossible.
std::vector<operation> lin_simulate(std::uint64_t seed, const lin_sim_options& o) {
    std::mt19937_64 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
    struct planned {
        operation op;
        std::int64_t effect; ///< the instant it takes effect; -1: never
    };
    std::vector<planned> plan;
    std::vector<std::int64_t> client_free(std::size_t(o.clients), 0);
    for (int n = 0; n < o.ops; ++n) {
        auto client = std::size_t(pick(0, o.clients - 1));
        auto key = "k" + std::to_string(pick(0, o.keys - 1));
        auto call = client_free[client] + pick(0, 10);
        auto effect = call + pick(0, 20);
        auto ret = effect + pick(0, 20);
        auto roll = pick(0, 99);
        operation op;
        if (roll < 40)
            op = lin_get(client, key, std::nullopt, call, ret);
        else if (roll < 50)
            op = lin_del(client, key, call, ret);
        else
            op = lin_put(client, key, "c" + std::to_string(client) + "-" + std::to_string(n), call, ret);
        auto fate = pick(0, 99);
        if (fate < o.unknown_percent) {
            op.outcome = outcome::unknown;
            op.return_ns = call + pick(0, 40); // the client gives up; the write may land much later
            effect = pick(0, 1) ? call + pick(0, 200) : -1;
        } else if (fate < o.unknown_percent + o.fail_percent) {
            op.outcome = outcome::fail;
            effect = -1;
        }
        client_free[client] = op.return_ns + 1;
        plan.push_back({std::move(op), effect});
    }
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < plan.size(); ++i)
        if (plan[i].effect >= 0)
            order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return plan[a].effect < plan[b].effect; });
    std::map<std::string, std::optional<std::string>> state;
    for (auto i : order) {
        auto& op = plan[i].op;
        if (op.kind == operation_kind::get)
            op.value = state[op.key];
        else
            state[op.key] = op.value;
    }
    std::vector<operation> history;
    for (auto& p : plan)
        if (p.op.kind != operation_kind::get || p.op.outcome == outcome::ok)
            history.push_back(p.op);
    return history;
}

bool lin_is_ok_write(const operation& op) {
    return op.kind != operation_kind::get && op.outcome == outcome::ok;
}

/// Makes one ok read impossible; says how, for the failure message. Prefers a
/// stale read (a value overwritten, in real time, before the read was called),
/// which only the search can refute, then a value from the future, then one
/// never written.
std::string lin_mutate_one_read(std::vector<operation>& h, std::uint64_t seed) {
    std::vector<std::size_t> gets;
    for (std::size_t i = 0; i < h.size(); ++i)
        if (h[i].kind == operation_kind::get && h[i].outcome == outcome::ok)
            gets.push_back(i);
    if (gets.empty())
        return {};
    std::mt19937_64 rng(seed);
    std::shuffle(gets.begin(), gets.end(), rng);
    for (auto g : gets)
        for (auto& old : h)
            for (auto& later : h)
                if (old.key == h[g].key && later.key == h[g].key && old.kind == operation_kind::put &&
                    lin_is_ok_write(old) && lin_is_ok_write(later) && old.return_ns < later.call_ns &&
                    later.return_ns < h[g].call_ns && h[g].value != old.value) {
                    h[g].value = old.value;
                    return "stale read of " + *old.value;
                }
    for (auto g : gets)
        for (auto& future : h)
            if (future.key == h[g].key && future.kind == operation_kind::put && future.call_ns > h[g].return_ns) {
                h[g].value = future.value;
                return "read from the future: " + *future.value;
            }
    h[gets.front()].value = "lin-never-written";
    return "never written";
}

} // namespace

TEST_CASE("a sequential history of puts, deletes and gets is linearizable", "[consensus][linearizability]") {
    std::vector<operation> h{
        lin_get(1, "a", std::nullopt, 0, 1),  lin_put(1, "a", "x", 2, 3), lin_get(2, "a", "x", 4, 5),
        lin_put(2, "b", "y", 6, 7),           lin_del(1, "a", 8, 9),      lin_get(1, "a", std::nullopt, 10, 11),
        lin_get(3, "b", "y", 12, 13),
    };
    auto r = check_linearizable(h);
    CHECK(r.ok);
    CHECK_FALSE(r.timed_out);
    CHECK(check_linearizable({}).ok);
}

TEST_CASE("overlapping puts and gets that some order explains are accepted", "[consensus][linearizability]") {
    std::vector<operation> h{
        lin_put(1, "k", "1", 0, 100),
        lin_put(2, "k", "2", 10, 50),
        lin_get(3, "k", "2", 20, 30),  // 2 took effect first...
        lin_get(4, "k", "1", 60, 120), // ...then 1, before client 1 heard back
        lin_get(3, "k", "1", 130, 140),
        // Returns and calls at the same instant overlap: either order is allowed.
        lin_put(5, "k", "3", 150, 160),
        lin_get(6, "k", "1", 160, 170),
    };
    auto r = check_linearizable(h);
    INFO(r.explanation);
    CHECK(r.ok);
}

TEST_CASE("a stale read after a completed write is rejected naming the key", "[consensus][linearizability]") {
    std::vector<operation> h{
        lin_put(1, "fine", "a", 0, 1),   lin_get(2, "fine", "a", 2, 3),
        lin_put(1, "stale", "old", 0, 1), lin_put(1, "stale", "new", 2, 3),
        lin_get(2, "stale", "old", 4, 5),
    };
    auto r = check_linearizable(h);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.timed_out);
    CHECK(r.key == "stale");
    CHECK_THAT(r.explanation, Catch::Contains("\"stale\"") && Catch::Contains("\"old\"") && Catch::Contains("\"new\""));
    REQUIRE_FALSE(r.operations.empty());
    CHECK(r.operations.front() == 4); // the read that cannot take effect comes first
}

TEST_CASE("an acknowledged write that a later read does not see is rejected", "[consensus][linearizability]") {
    SECTION("the key reads absent after the put returned") {
        auto r = check_linearizable({lin_put(1, "k", "v", 0, 1), lin_get(2, "k", std::nullopt, 2, 3)});
        CHECK_FALSE(r.ok);
        CHECK(r.key == "k");
    }
    SECTION("the read sees the write before it, skipping the acknowledged one") {
        auto r = check_linearizable({lin_put(1, "k", "1", 0, 1), lin_put(2, "k", "2", 2, 3),
                                     lin_get(1, "k", "2", 4, 5), lin_put(3, "k", "lost", 6, 7),
                                     lin_get(2, "k", "2", 8, 9)});
        CHECK_FALSE(r.ok);
        CHECK_THAT(r.explanation, Catch::Contains("\"lost\""));
    }
}

TEST_CASE("an unknown put may take effect later or never, but only once", "[consensus][linearizability]") {
    SECTION("seen long after the client gave up") {
        auto r = check_linearizable({lin_put(1, "k", "1", 0, 1), lin_put(2, "k", "late", 2, 3, outcome::unknown),
                                     lin_get(3, "k", "1", 50, 60), lin_get(3, "k", "late", 100, 110)});
        INFO(r.explanation);
        CHECK(r.ok);
    }
    SECTION("never seen") {
        auto r = check_linearizable({lin_put(2, "k", "lost", 0, 3, outcome::unknown), lin_get(3, "k", std::nullopt, 50, 60),
                                     lin_put(1, "k", "1", 70, 80), lin_get(3, "k", "1", 100, 110)});
        INFO(r.explanation);
        CHECK(r.ok);
    }
    SECTION("an unknown delete explains a key that vanished") {
        auto r = check_linearizable({lin_put(1, "k", "1", 0, 1), lin_del(2, "k", 2, 3, outcome::unknown),
                                     lin_get(3, "k", std::nullopt, 50, 60)});
        CHECK(r.ok);
    }
    SECTION("seen, then overwritten, then seen again is rejected") {
        auto r = check_linearizable({lin_put(2, "k", "once", 0, 3, outcome::unknown), lin_get(3, "k", "once", 10, 20),
                                     lin_put(1, "k", "1", 30, 40), lin_get(3, "k", "once", 50, 60)});
        CHECK_FALSE(r.ok);
    }
    SECTION("an unknown get is dropped") {
        auto get = lin_get(3, "k", "nonsense", 10, 20);
        get.outcome = outcome::unknown;
        CHECK(check_linearizable({lin_put(1, "k", "1", 0, 1), get}).ok);
    }
}

TEST_CASE("a read of a value only a failed put wrote is rejected", "[consensus][linearizability]") {
    auto r = check_linearizable({lin_put(1, "k", "refused", 0, 1, outcome::fail), lin_get(2, "k", "refused", 2, 3)});
    CHECK_FALSE(r.ok);
    CHECK(r.key == "k");
    CHECK_THAT(r.explanation, Catch::Contains("failed"));
    CHECK(r.operations == std::vector<std::size_t>{1, 0});
    // A failed put of a value nobody reads changes nothing.
    CHECK(check_linearizable({lin_put(1, "k", "refused", 0, 1, outcome::fail), lin_get(2, "k", std::nullopt, 2, 3)}).ok);
}

TEST_CASE("a read of a value never written is rejected", "[consensus][linearizability]") {
    auto r = check_linearizable({lin_put(1, "k", "a", 0, 1), lin_get(2, "k", "b", 2, 3), lin_put(1, "other", "b", 0, 1)});
    CHECK_FALSE(r.ok);
    CHECK(r.key == "k"); // a put of "b" on another key does not count
    CHECK_THAT(r.explanation, Catch::Contains("no put"));
    auto early = check_linearizable({lin_get(2, "k", "b", 0, 1), lin_put(1, "k", "b", 5, 6)});
    CHECK_FALSE(early.ok);
}

TEST_CASE("simulated atomic register histories are accepted, and rejected once a read is made impossible",
          "[consensus][linearizability]") {
    int stale = 0;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        lin_sim_options o;
        o.clients = int(2 + seed % 5);
        o.keys = int(1 + seed % 3);
        o.ops = int(20 + seed % 80);
        auto h = lin_simulate(seed, o);
        INFO("seed " << seed << " (replay with lin_simulate(seed, options))");
        auto r = check_linearizable(h);
        INFO(r.explanation);
        REQUIRE(r.ok);
        REQUIRE_FALSE(r.timed_out);
        auto how = lin_mutate_one_read(h, seed);
        if (how.empty())
            continue;
        stale += how.starts_with("stale") ? 1 : 0;
        INFO("mutation: " << how);
        auto bad = check_linearizable(h);
        REQUIRE_FALSE(bad.ok);
        REQUIRE_FALSE(bad.timed_out);
    }
    CHECK(stale > 100); // most mutations need the search, not just the quick check
}

TEST_CASE("ten thousand operations over twenty keys are checked within the default budget",
          "[consensus][linearizability]") {
    lin_sim_options o;
    o.clients = 16;
    o.keys = 20;
    o.ops = 10'000;
    auto h = lin_simulate(42, o);
    auto r = check_linearizable(h);
    INFO(r.explanation);
    CHECK(r.ok);
    CHECK_FALSE(r.timed_out);
}

TEST_CASE("one key hammered by sixteen overlapping clients is accepted within the default budget",
          "[consensus][linearizability]") {
    lin_sim_options o;
    o.clients = 16;
    o.keys = 1;
    o.ops = 2'000;
    auto r = check_linearizable(lin_simulate(42, o));
    INFO(r.explanation);
    CHECK(r.ok);
    CHECK_FALSE(r.timed_out);
}

TEST_CASE("a check that runs out of budget reports timed out and never ok", "[consensus][linearizability]") {
    lin_sim_options o;
    o.clients = 8;
    o.keys = 1;
    o.ops = 200;
    auto h = lin_simulate(7, o);
    check_options few;
    few.states_max = 10;
    auto r = check_linearizable(h, few);
    CHECK_FALSE(r.ok);
    CHECK(r.timed_out);
    CHECK(r.key == "k0");
    CHECK_THAT(r.explanation, Catch::Contains("states_max"));
    check_options expired;
    expired.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    o.ops = 10'000; // the deadline is read every few thousand states
    auto late = check_linearizable(lin_simulate(7, o), expired);
    CHECK_FALSE(late.ok);
    CHECK(late.timed_out);
}

TEST_CASE("history records survive a round trip through a JSON-lines file", "[consensus][linearizability]") {
    coronet::test::temp_dir dir("history");
    auto path = dir / "history.jsonl";
    auto unknown_get = lin_get(9, "k", std::nullopt, 5, 6);
    unknown_get.outcome = outcome::unknown;
    std::vector<operation> h{
        lin_put(3, "k", "v", 123456789, 123999999),
        lin_get(4, "k", std::nullopt, 1, 2),
        lin_get(4, "k", "v", 3, 4),
        lin_del(5, "k", 7, 8, outcome::fail),
        lin_put(6, "quote\"and\\slash", "line\nbreak\ttab \xc3\xa9", -5, 0, outcome::unknown),
        lin_put(7, "bytes", std::string("\xff\x00\x01 not utf-8", sizeof "\xff\x00\x01 not utf-8" - 1), 0, 0),
        unknown_get,
    };
    {
        history_writer w(path);
        for (auto& op : h)
            w.append(op);
    }
    CHECK(read_history(path) == h);
    CHECK(format_history_line(h[0]) ==
          R"({"client":3,"op":"put","key":"k","value":"v","call":123456789,"return":123999999,"outcome":"ok"})");
    CHECK(format_history_line(h[1]) ==
          R"({"client":4,"op":"get","key":"k","found":false,"call":1,"return":2,"outcome":"ok"})");
    // Appending reopens the file and adds to it.
    history_writer(path).append(h[0]);
    CHECK(read_history(path).size() == h.size() + 1);
    CHECK_THROWS_AS(history_writer(path).append(lin_put(1, "k", "v", 5, 4)), std::invalid_argument);
}

TEST_CASE("appends from several threads each land as one whole line", "[consensus][linearizability]") {
    coronet::test::temp_dir dir("history");
    auto path = dir / "history.jsonl";
    constexpr int threads = 4, lines_per_thread = 300;
    {
        history_writer w(path);
        std::vector<std::thread> writers;
        for (int t = 0; t < threads; ++t)
            writers.emplace_back([&w, t] {
                for (int i = 0; i < lines_per_thread; ++i)
                    w.append(lin_put(std::uint64_t(t), "k", std::string(std::size_t(100 + i), char('a' + t)), i, i + 1));
            });
        for (auto& thread : writers)
            thread.join();
    }
    auto h = read_history(path);
    REQUIRE(h.size() == std::size_t(threads * lines_per_thread));
    for (auto& op : h)
        CHECK(*op.value == std::string(op.value->size(), char('a' + op.client)));
}

TEST_CASE("malformed history lines are rejected with their line number and reason", "[consensus][linearizability]") {
    const std::string good = R"({"client":1,"op":"put","key":"k","value":"v","call":1,"return":2,"outcome":"ok"})";
    auto rejects = [&](const std::string& bad, const std::string& reason) {
        std::istringstream in(good + "\n\n" + bad + "\n" + good + "\n");
        INFO(bad);
        CHECK_THROWS_WITH(parse_history(in), Catch::Contains("line 3") && Catch::Contains(reason));
    };
    SECTION("each malformed line") {
        rejects(R"({"client":1,"op":"put",)", "not JSON");
        rejects(R"([1,2])", "not a JSON object");
        rejects(R"({"client":1,"op":"cas","key":"k","value":"v","call":1,"return":2,"outcome":"ok"})", "unknown op");
        rejects(R"({"client":1,"op":"put","key":"k","value":"v","call":1,"return":2,"outcome":"maybe"})", "unknown outcome");
        rejects(R"({"client":1,"op":"put","key":"k","value":"v","return":2,"outcome":"ok"})", "missing field \"call\"");
        rejects(R"({"client":1,"op":"put","key":"k","call":1,"return":2,"outcome":"ok"})", "a put needs a value");
        rejects(R"({"client":1,"op":"get","key":"k","call":1,"return":2,"outcome":"ok"})", "\"found\":false");
        rejects(R"({"client":1,"op":"get","key":"k","value":"v","found":false,"call":1,"return":2,"outcome":"ok"})",
                "\"found\":false with");
        rejects(R"({"client":1,"op":"del","key":"k","value":"v","call":1,"return":2,"outcome":"ok"})", "a del has no value");
        rejects(R"({"client":-1,"op":"del","key":"k","call":1,"return":2,"outcome":"ok"})", "client");
        rejects(R"({"client":1,"op":"del","key":7,"call":1,"return":2,"outcome":"ok"})", "\"key\" must be a string");
        rejects(R"({"client":1,"op":"del","key":"k","call":1.5,"return":2,"outcome":"ok"})", "must be an integer");
        rejects(R"({"client":1,"op":"put","key":"k","value":"v","call":9,"return":2,"outcome":"ok"})", "before call");
        rejects(std::string(R"({"client":1,"op":"put","key":"k","value":")") + std::string((1 << 20) + 1, 'x') + "\"}",
                "longer than 1048576 bytes");
    }

    SECTION("a last line cut short by a killed writer is named") {
        std::istringstream in(good + "\n" + good.substr(0, 30));
        CHECK_THROWS_WITH(parse_history(in), Catch::Contains("line 2") && Catch::Contains("cut short"));
    }
    SECTION("a complete last line without a newline is fine") {
        std::istringstream in(good + "\n" + good);
        CHECK(parse_history(in).size() == 2);
    }
    SECTION("the number of operations is bounded") {
        std::istringstream in(good + "\n" + good + "\n" + good + "\n");
        history_limits l;
        l.operations_max = 2;
        CHECK_THROWS_WITH(parse_history(in, l), Catch::Contains("line 3"));
    }
}
