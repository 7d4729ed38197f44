// Interop with the reference implementation (Debian's libcapnp 0.9.2), both
// directions: capnp::EzRpcClient calling a coronet server, and a coronet
// client calling capnp::EzRpcServer. The reference side runs its own kj event
// loop on its own thread.
#include "rpc_support.hpp"
#include "test.capnp.h"

#include <coronet/rpc/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <capnp/ez-rpc.h>
#include <kj/async-io.h>
#include <kj/async.h>
#include <kj/timer.h>

#include <atomic>
#include <future>
#include <thread>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::Echo;
using coronet::test::EchoClient;
using coronet::test::Store;
using coronet::test::StoreClient;
namespace asio = boost::asio;

namespace {

/// Polls `done` (bounded: 10 s) while letting the caller's event loop run.
template <class Pred, class Poll>
bool eventually(Pred done, Poll poll) {
    for (int i = 0; i < 2000 && !done(); ++i) {
        poll();
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

/// A coronet server on its own io_context thread, for a reference client.
template <class Service>
struct coronet_server_thread {
    asio::io_context ctx;
    std::shared_ptr<Service> service = std::make_shared<Service>();
    std::optional<rpc::server> server;
    std::thread io;

    coronet_server_thread() {
        server.emplace(listen(ctx.get_executor(), "tcp://127.0.0.1:0"), service);
        server->start();
        io = std::thread([this] { ctx.run(); });
    }
    ~coronet_server_thread() {
        asio::co_spawn(ctx, server->stop(), asio::use_future).get();
        io.join();
    }
    std::uint16_t port() const { return parse_url(server->url()).port; }
    template <class F>
    auto on_io(F f) {
        return asio::post(ctx, asio::use_future(std::move(f))).get();
    }
};

// ---- the reference implementation's side ----

struct reference_counts {
    std::atomic<int> sleeping = 0, sleeps_cancelled = 0, sleeps_finished = 0;
};

class reference_echo final : public Echo::Server {
public:
    explicit reference_echo(reference_counts& c) : _counts(c) {}
    kj::Timer* timer = nullptr; // the server's, set once it exists
    kj::Promise<void> echo(EchoContext ctx) override {
        ctx.getResults().setReply(ctx.getParams().getText());
        return kj::READY_NOW;
    }
    kj::Promise<void> add(AddContext ctx) override {
        ctx.getResults().setSum(ctx.getParams().getA() + ctx.getParams().getB());
        return kj::READY_NOW;
    }
    kj::Promise<void> sleep(SleepContext ctx) override {
        ctx.allowCancellation(); // capnp 0.9: a Finish cancels only calls that allow it
        struct guard {
            explicit guard(reference_counts& counts) : c(counts) {}
            guard(const guard&) = delete;
            reference_counts& c;
            bool finished = false;
            ~guard() {
                --c.sleeping;
                if (!finished) ++c.sleeps_cancelled;
            }
        };
        ++_counts.sleeping;
        auto g = kj::heap<guard>(_counts);
        auto& gr = *g;
        return timer->afterDelay(ctx.getParams().getMs() * kj::MILLISECONDS)
            .then([&gr, this] {
                gr.finished = true;
                ++_counts.sleeps_finished;
            })
            .attach(kj::mv(g));
    }
    kj::Promise<void> fail(FailContext ctx) override {
        auto type = static_cast<kj::Exception::Type>(ctx.getParams().getType());
        kj::throwFatalException(kj::Exception(type, __FILE__, __LINE__, kj::str(ctx.getParams().getReason())));
    }
    kj::Promise<void> blob(BlobContext ctx) override {
        ctx.getResults().setData(ctx.getParams().getData());
        return kj::READY_NOW;
    }

private:
    reference_counts& _counts;
};

class reference_store final : public Store::Server {
public:
    kj::Promise<void> put(PutContext ctx) override {
        auto item = ctx.getParams().getItem();
        _items[item.getKey().cStr()] = std::string(item.getValue().asChars().begin(), item.getValue().size());
        ctx.getResults().setVersion(++_version);
        return kj::READY_NOW;
    }
    kj::Promise<void> get(GetContext ctx) override {
        auto it = _items.find(ctx.getParams().getKey().cStr());
        KJ_REQUIRE(it != _items.end(), "no such key", ctx.getParams().getKey());
        auto item = ctx.getResults().initItem();
        item.setKey(it->first);
        item.setValue(kj::StringPtr(it->second.c_str()).asBytes());
        item.initTags(1).set(0, "reference");
        return kj::READY_NOW;
    }
    kj::Promise<void> list(ListContext ctx) override {
        auto items = ctx.getResults().initItems(static_cast<unsigned>(_items.size()));
        unsigned i = 0;
        for (auto& [k, v] : _items) items[i++].setKey(k);
        return kj::READY_NOW;
    }

private:
    std::map<std::string, std::string> _items;
    std::uint64_t _version = 0;
};

/// capnp::EzRpcServer on its own thread and event loop, stopped by the destructor.
class reference_server_thread {
public:
    reference_counts counts;

    explicit reference_server_thread(bool store = false) {
        std::promise<std::uint16_t> port;
        auto ready = port.get_future();
        _thread = std::thread([this, store, &port] {
            try {
                auto echo = kj::heap<reference_echo>(counts);
                auto* echo_impl = echo.get();
                capnp::Capability::Client main = store ? capnp::Capability::Client(kj::heap<reference_store>())
                                                       : capnp::Capability::Client(kj::mv(echo));
                capnp::EzRpcServer server(kj::mv(main), "127.0.0.1", 0);
                auto& ws = server.getWaitScope();
                echo_impl->timer = &server.getIoProvider().getTimer();
                auto stop = kj::newPromiseAndFulfiller<void>();
                _stop = kj::mv(stop.fulfiller);
                _executor = &kj::getCurrentThreadExecutor();
                port.set_value(static_cast<std::uint16_t>(server.getPort().wait(ws)));
                stop.promise.wait(ws);
            } catch (...) {
                port.set_exception(std::current_exception());
            }
        });
        _port = ready.get();
    }
    ~reference_server_thread() {
        _executor->executeSync([this] { _stop->fulfill(); });
        _thread.join();
    }
    std::string url() const { return "tcp://127.0.0.1:" + std::to_string(_port); }

private:
    std::thread _thread;
    std::uint16_t _port = 0;
    const kj::Executor* _executor = nullptr;
    kj::Own<kj::PromiseFulfiller<void>> _stop;
};

} // namespace

// ---- reference client -> coronet server ----

TEST_CASE("the reference client calls a coronet server: echo, add and typed exceptions", "[rpc][interop]") {
    coronet_server_thread<test::echo_service> srv;
    capnp::EzRpcClient client("127.0.0.1", srv.port());
    auto& ws = client.getWaitScope();
    auto echo = client.getMain<Echo>();
    auto req = echo.echoRequest();
    req.setText("from the reference client");
    CHECK(std::string(req.send().wait(ws).getReply().cStr()) == "from the reference client");
    auto add = echo.addRequest();
    add.setA(-5);
    add.setB(8);
    CHECK(add.send().wait(ws).getSum() == 3);
    // Pipelined calls, many in flight, all answered.
    std::vector<capnp::RemotePromise<Echo::EchoResults>> pending;
    for (int i = 0; i < 64; ++i) {
        auto r = echo.echoRequest();
        r.setText(std::to_string(i));
        pending.push_back(r.send());
    }
    for (int i = 0; i < 64; ++i) CHECK(std::string(pending[i].wait(ws).getReply().cStr()) == std::to_string(i));
    for (std::uint16_t type : {0, 1, 2, 3}) {
        auto f = echo.failRequest();
        f.setType(type);
        f.setReason("typed " + std::to_string(type));
        try {
            f.send().wait(ws);
            FAIL("fail() must raise");
        } catch (const kj::Exception& e) {
            CHECK(static_cast<int>(e.getType()) == type);
            CHECK_THAT(std::string(e.getDescription().cStr()), Catch::Contains("typed " + std::to_string(type)));
        }
    }
}

TEST_CASE("the reference client stores and lists structs on a coronet server", "[rpc][interop]") {
    coronet_server_thread<test::store_service> srv;
    capnp::EzRpcClient client("127.0.0.1", srv.port());
    auto& ws = client.getWaitScope();
    auto store = client.getMain<Store>();
    for (auto key : {"k1", "k2"}) {
        auto put = store.putRequest();
        auto item = put.initItem();
        item.setKey(key);
        item.setValue(kj::StringPtr("value").asBytes());
        item.initTags(1).set(0, key);
        put.send().wait(ws);
    }
    auto get = store.getRequest();
    get.setKey("k2");
    auto got = get.send().wait(ws);
    CHECK(std::string(got.getItem().getTags()[0].cStr()) == "k2");
    CHECK(got.getItem().getVersion() == 2);
    auto list = store.listRequest();
    list.setPrefix("k");
    CHECK(list.send().wait(ws).getItems().size() == 2);
    auto missing = store.getRequest();
    missing.setKey("nope");
    try {
        missing.send().wait(ws);
        FAIL("a missing key must raise");
    } catch (const kj::Exception& e) {
        CHECK(e.getType() == kj::Exception::Type::FAILED);
        CHECK_THAT(std::string(e.getDescription().cStr()), Catch::Contains("no such key: nope"));
    }
}

TEST_CASE("the reference client cancelling a call makes the coronet service see the cancellation", "[rpc][interop]") {
    coronet_server_thread<test::echo_service> srv;
    capnp::EzRpcClient client("127.0.0.1", srv.port());
    auto& ws = client.getWaitScope();
    auto echo = client.getMain<Echo>();
    {
        auto sleep = echo.sleepRequest();
        sleep.setMs(60'000);
        auto pending = sleep.send();
        REQUIRE(eventually([&] { return srv.service->sleeping == 1; }, [&] { ws.poll(); }));
    } // dropping the promise sends Finish
    REQUIRE(eventually([&] { return srv.service->sleeps_cancelled == 1; }, [&] { ws.poll(); }));
    CHECK(srv.service->sleeps_finished == 0);
    auto req = echo.echoRequest();
    req.setText("after cancel");
    CHECK(std::string(req.send().wait(ws).getReply().cStr()) == "after cancel");
}

TEST_CASE("a reference client disconnecting mid-call leaves the coronet server healthy", "[rpc][interop]") {
    coronet_server_thread<test::echo_service> srv;
    {
        capnp::EzRpcClient client("127.0.0.1", srv.port());
        auto& ws = client.getWaitScope();
        auto sleep = client.getMain<Echo>().sleepRequest();
        sleep.setMs(60'000);
        auto pending = sleep.send();
        REQUIRE(eventually([&] { return srv.service->sleeping == 1; }, [&] { ws.poll(); }));
    } // the client and its connection go away with the call in flight
    REQUIRE(eventually([&] { return srv.service->sleeping == 0; }, [] {}));
    CHECK(srv.service->sleeps_cancelled == 1);
    REQUIRE(eventually([&] { return srv.on_io([&] { return srv.server->connections(); }) == 0; }, [] {}));
    capnp::EzRpcClient again("127.0.0.1", srv.port());
    auto req = again.getMain<Echo>().echoRequest();
    req.setText("healthy");
    CHECK(std::string(req.send().wait(again.getWaitScope()).getReply().cStr()) == "healthy");
}

// ---- coronet client -> reference server ----

TEST_CASE("a coronet client calls the reference server: echo, add, blobs and typed exceptions", "[rpc][interop]") {
    reference_server_thread ref;
    test::run_coroutine([&]() -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(ref.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        auto r = co_await echo.echo([](auto p) { p.setText("from coronet"); });
        CHECK(std::string(r->getReply().cStr()) == "from coronet");
        auto sum = co_await echo.add([](auto p) {
            p.setA(20);
            p.setB(22);
        });
        CHECK(sum->getSum() == 42);
        std::string big(300'000, 'b');
        auto blob = co_await echo.blob([&](auto p) { p.setData(kj::StringPtr(big).asBytes()); });
        CHECK(blob->getData().size() == big.size());
        for (std::uint16_t type : {0, 1, 2, 3}) {
            try {
                co_await echo.fail([&](auto p) {
                    p.setType(type);
                    p.setReason("ref " + std::to_string(type));
                });
                FAIL("fail() must raise");
            } catch (const rpc::remote_error& e) {
                CHECK(static_cast<int>(e.type()) == type);
                CHECK_THAT(e.reason(), Catch::Contains("ref " + std::to_string(type)));
            }
        }
        auto again = co_await echo.echo([](auto p) { p.setText("still fine"); });
        CHECK(std::string(again->getReply().cStr()) == "still fine");
    });
}

TEST_CASE("a coronet client stores and lists structs on the reference server", "[rpc][interop]") {
    reference_server_thread ref(true);
    test::run_coroutine([&]() -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(ref.url());
        auto store = co_await conn.bootstrap_as<StoreClient>();
        auto v = co_await store.put([](auto p) {
            auto item = p.initItem();
            item.setKey("x");
            item.setValue(kj::StringPtr("42").asBytes());
        });
        CHECK(v->getVersion() == 1);
        auto got = co_await store.get([](auto p) { p.setKey("x"); });
        CHECK(std::string(got->getItem().getValue().asChars().begin(), got->getItem().getValue().size()) == "42");
        CHECK(std::string(got->getItem().getTags()[0].cStr()) == "reference");
        auto listed = co_await store.list([](auto p) { p.setPrefix(""); });
        CHECK(listed->getItems().size() == 1);
        try {
            co_await store.get([](auto p) { p.setKey("missing"); });
            FAIL("a missing key must raise");
        } catch (const rpc::remote_error& e) {
            CHECK(e.type() == rpc::exception_type::failed);
            CHECK_THAT(e.reason(), Catch::Contains("no such key"));
        }
    });
}

TEST_CASE("a coronet client cancelling a call makes the reference server cancel it", "[rpc][interop]") {
    reference_server_thread ref;
    test::run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto conn = co_await rpc::connect(ref.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        auto pause = [&]() -> asio::awaitable<void> {
            asio::steady_timer t(ex, 5ms);
            co_await t.async_wait(asio::use_awaitable);
        };
        // Shared with the call's completion, which may outlive a failed check.
        struct outcome {
            asio::cancellation_signal cancel;
            bool ended = false;
            std::string error;
        };
        auto o = std::make_shared<outcome>();
        asio::co_spawn(ex, echo.sleep([](auto p) { p.setMs(60'000); }),
                       asio::bind_cancellation_slot(o->cancel.slot(), [o](std::exception_ptr e, auto) {
                           o->ended = true;
                           try {
                               if (e) std::rethrow_exception(e);
                           } catch (const std::exception& x) {
                               o->error = x.what();
                           }
                       }));
        for (int i = 0; i < 400 && ref.counts.sleeping == 0 && !o->ended; ++i) co_await pause();
        INFO("call ended early: " << o->ended << " " << o->error << "; calls out " << conn.counters().calls_out
                                  << ", messages out " << conn.counters().messages_out << ", in "
                                  << conn.counters().messages_in << ", finished " << ref.counts.sleeps_finished
                                  << ", cancelled " << ref.counts.sleeps_cancelled);
        REQUIRE(ref.counts.sleeping == 1);
        o->cancel.emit(asio::cancellation_type::terminal);
        for (int i = 0; i < 400 && ref.counts.sleeps_cancelled == 0; ++i) co_await pause();
        CHECK(o->ended);
        CHECK_THAT(o->error, Catch::Contains("Operation canceled"));
        CHECK(ref.counts.sleeps_cancelled == 1);
        CHECK(ref.counts.sleeps_finished == 0);
        // A timed-out call is cancelled on the reference server the same way.
        try {
            co_await echo.sleep([](auto p) { p.setMs(60'000); }, {.timeout = 50ms});
            FAIL("the call must time out");
        } catch (const boost::system::system_error& e) {
            CHECK(e.code() == asio::error::timed_out);
        }
        for (int i = 0; i < 400 && ref.counts.sleeps_cancelled < 2; ++i) co_await pause();
        CHECK(ref.counts.sleeps_cancelled == 2);
    });
}
