// The replicated KV store's behaviour, written only against the consensus
// API: the same cases run on every module in kv_fixtures.hpp.
#include "consensus/kv_fixtures.hpp"
#include "transports/test_support.hpp"

#include <coronet/consensus/kv/service.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace coronet::consensus;
using coronet::test::run_coroutine;
using kv::status;

TEMPLATE_TEST_CASE("a put is read back with the version of the write that set it", "[consensus][kv]",
                   coronet::test::single_node_fixture, coronet::test::raft_fixture) {
    TestType f;
    kv::service svc(f.module(), f.store(), 7);
    f.run([&]() -> boost::asio::awaitable<void> {
        auto first = co_await svc.put("a", "1");
        auto second = co_await svc.put("b", "2");
        auto again = co_await svc.put("a", "3");
        auto a = co_await svc.get("a");
        auto missing = co_await svc.get("zzz");
        CHECK(first.code == status::ok);
        CHECK(second.version > first.version);
        CHECK(again.version > second.version);
        REQUIRE(a);
        CHECK(a->value == "3");
        CHECK(a->version == again.version);
        CHECK_FALSE(missing);
    });
}

TEMPLATE_TEST_CASE("a delete removes the key and a second delete reports it missing", "[consensus][kv]",
                   coronet::test::single_node_fixture, coronet::test::raft_fixture) {
    TestType f;
    kv::service svc(f.module(), f.store(), 7);
    f.run([&]() -> boost::asio::awaitable<void> {
        co_await svc.put("k", "v");
        auto gone = co_await svc.del("k");
        auto again = co_await svc.del("k");
        auto read = co_await svc.get("k");
        CHECK(gone.code == status::ok);
        CHECK(again.code == status::not_found);
        CHECK_FALSE(read);
    });
}

TEMPLATE_TEST_CASE("compare-and-swap writes only when the key has the expected version", "[consensus][kv]",
                   coronet::test::single_node_fixture, coronet::test::raft_fixture) {
    TestType f;
    kv::service svc(f.module(), f.store(), 7);
    f.run([&]() -> boost::asio::awaitable<void> {
        auto created = co_await svc.cas("lock", 0, "alice");     // absent: created
        auto lost = co_await svc.cas("lock", 0, "bob");          // exists now: refused
        auto stale = co_await svc.cas("lock", created.version + 100, "bob");
        auto swapped = co_await svc.cas("lock", created.version, "carol");
        auto now = co_await svc.get("lock");
        CHECK(created.code == status::ok);
        CHECK(lost.code == status::cas_failed);
        CHECK(lost.version == created.version); // the current version, to retry with
        CHECK(stale.code == status::cas_failed);
        CHECK(swapped.code == status::ok);
        REQUIRE(now);
        CHECK(now->value == "carol");
        CHECK(now->version == swapped.version);
    });
}

TEMPLATE_TEST_CASE("a prefix list returns matching keys in order, up to the limit", "[consensus][kv]",
                   coronet::test::single_node_fixture, coronet::test::raft_fixture) {
    TestType f;
    kv::service svc(f.module(), f.store(), 7);
    f.run([&]() -> boost::asio::awaitable<void> {
        for (auto k : {"user/3", "user/1", "users", "user/2", "admin/1", "user0"}) co_await svc.put(k, k);
        auto all = co_await svc.list("user/", 100);
        auto two = co_await svc.list("user/", 2);
        auto none = co_await svc.list("nobody/", 100);
        REQUIRE(all.size() == 3);
        CHECK(all[0].first == "user/1");
        CHECK(all[1].first == "user/2");
        CHECK(all[2].first == "user/3");
        CHECK(two.size() == 2);
        CHECK(none.empty());
    });
}

TEMPLATE_TEST_CASE("a retried write applies once and returns the first answer; an older request is refused",
                   "[consensus][kv]", coronet::test::single_node_fixture, coronet::test::raft_fixture) {
    TestType f;
    kv::service svc(f.module(), f.store(), 42);
    f.run([&]() -> boost::asio::awaitable<void> {
        auto first = co_await svc.put("counter", "1");
        auto id = svc.last_request();
        co_await svc.put("other", "x");
        auto newer = svc.last_request();
        // The client's retry of `newer` after a timeout: same id, applied once.
        auto retry = co_await svc.put("other", "y", newer);
        auto read = co_await svc.get("other");
        // A retry of an older request than the client's last is stale.
        auto old = co_await svc.put("counter", "2", id);
        auto counter = co_await svc.get("counter");
        CHECK(retry.code == status::ok);
        REQUIRE(read);
        CHECK(read->value == "x");
        CHECK(retry.version == read->version);
        CHECK(old.code == status::stale);
        REQUIRE(counter);
        CHECK(counter->version == first.version);
    });
}

TEMPLATE_TEST_CASE("oversize keys and values are refused before they reach the log", "[consensus][kv]",
                   coronet::test::single_node_fixture, coronet::test::raft_fixture) {
    kv::store_options o;
    o.limits.key_max = 8;
    o.limits.value_max = 16;
    TestType f(o);
    kv::service svc(f.module(), f.store(), 7);
    f.run([&]() -> boost::asio::awaitable<void> {
        auto commit = f.module().status().commit;
        auto long_key = co_await svc.put("123456789", "v");
        auto empty_key = co_await svc.put("", "v");
        auto big_value = co_await svc.put("k", std::string(17, 'x'));
        auto refused_commit = f.module().status().commit; // the refused ones never took a log entry
        auto fits = co_await svc.put("12345678", std::string(16, 'x'));
        CHECK(refused_commit == commit);
        CHECK(long_key.code == status::bad_command);
        CHECK(empty_key.code == status::bad_command);
        CHECK(big_value.code == status::bad_command);
        CHECK(fits.code == status::ok);
    });
    CHECK(f.store().size() == 1);
}

TEST_CASE("the store answers malformed commands with bad_command and changes nothing", "[consensus][kv]") {
    kv::store s;
    auto valid = kv::encode(kv::make_put("k", "v"));
    s.apply(1, valid);
    std::mt19937_64 rng(1234);
    for (int i = 0; i < 5000; ++i) {
        std::string bytes = valid;
        switch (i % 3) {
        case 0: bytes.resize(rng() % bytes.size()); break;                        // truncated
        case 1: bytes[rng() % bytes.size()] = static_cast<char>(rng()); break;    // flipped
        case 2: bytes.assign(rng() % 64, static_cast<char>(rng())); break;       // noise
        }
        kv::result r;
        REQUIRE_NOTHROW(r = kv::decode_result(s.apply(2 + i, bytes)));
        if (r.code != status::bad_command) continue; // a flip may still spell a valid put of "k"
        CHECK_FALSE(r.detail.empty());
    }
    auto huge = std::string("\x01\x01", 2) + std::string(16, '\0') + std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
    auto r = kv::decode_result(s.apply(9000, huge));
    CHECK(r.code == status::bad_command);
    CHECK(r.detail.find("exceeds") != std::string::npos);
}

TEST_CASE("a snapshot restores items and client sessions, so deduplication survives it", "[consensus][kv]") {
    kv::store a;
    auto first = a.apply(1, kv::encode(kv::make_put("x", "1", {5, 1})));
    a.apply(2, kv::encode(kv::make_put("y", "1", {6, 1})));

    kv::store b;
    b.restore(a.snapshot());
    CHECK(b.get("x") == a.get("x"));
    CHECK(b.get("y") == a.get("y"));
    CHECK(b.sessions() == 2);
    CHECK(b.applied() == 2);
    // Client 5 retries its first write on the restored replica.
    CHECK(b.apply(3, kv::encode(kv::make_put("x", "2", {5, 1}))) == first);
    CHECK(b.get("x")->value == "1");
    // Nothing else changed: the snapshots differ only in the applied index (3 vs 2).
    CHECK(b.snapshot() == a.snapshot().replace(1, 8, std::string("\x03\0\0\0\0\0\0\0", 8)));
}

TEST_CASE("a snapshot that is not one is refused and the state stays as it was", "[consensus][kv]") {
    kv::store s;
    s.apply(1, kv::encode(kv::make_put("keep", "me")));
    auto good = s.snapshot();
    CHECK_THROWS_AS(s.restore(""), std::invalid_argument);
    CHECK_THROWS_AS(s.restore(good.substr(0, good.size() - 1)), std::invalid_argument);
    CHECK_THROWS_AS(s.restore(good + "x"), std::invalid_argument);
    auto huge_count = good.substr(0, 9) + std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    CHECK_THROWS_AS(s.restore(huge_count), std::invalid_argument);
    CHECK(s.get("keep")->value == "me");
    CHECK(s.snapshot() == good);
}

TEST_CASE("client sessions are bounded and every replica forgets the same one", "[consensus][kv]") {
    kv::store_options o;
    o.sessions_max = 3;
    kv::store a(o), b(o);
    for (std::uint64_t client = 1; client <= 5; ++client) {
        auto c = kv::encode(kv::make_put("k", "", {client, 1}));
        a.apply(client, c);
        b.apply(client, c);
    }
    CHECK(a.sessions() == 3);
    CHECK(a.snapshot() == b.snapshot());
    // Client 1 was idle longest and is forgotten: its retry applies again.
    auto r = kv::decode_result(a.apply(6, kv::encode(kv::make_put("k", "again", {1, 1}))));
    CHECK(r.code == status::ok);
    CHECK(a.get("k")->value == "again");
}

TEST_CASE("the single-node module refuses membership changes and everything once stopped", "[consensus]") {
    kv::store s;
    single_node m(s);
    kv::service svc(m, s, 1);
    run_coroutine([&]() -> boost::asio::awaitable<void> {
        auto change = [&]() -> boost::asio::awaitable<void> {
            // Named, not a temporary in the co_await: GCC 12 destroys those twice.
            membership_change add{membership_change::kind::add_voter, 2, "tcp://127.0.0.1:1"};
            co_await m.change_membership(std::move(add), std::chrono::seconds(1));
        };
        errc code{};
        try {
            co_await change();
        } catch (const error& e) {
            code = e.code();
        }
        CHECK(code == errc::unsupported);
        m.stop();
        code = {};
        try {
            co_await svc.put("k", "v");
        } catch (const error& e) {
            code = e.code();
        }
        CHECK(code == errc::stopped);
    });
    CHECK(m.status().leader == 0);
}
