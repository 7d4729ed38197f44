#pragma once
// coronet implementations of the test interfaces (tests/rpc/test.capnp).

#include "test.capnp.coronet.hpp"

#include <coronet/clock.hpp>
#include <coronet/timer.hpp>

#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <map>
#include <vector>
#include <string>

namespace coronet::test {

class echo_service final : public EchoService {
public:
    // Atomic: interop tests read them from the thread running the reference peer.
    std::atomic<int> sleeping = 0;         // sleep calls running now
    std::atomic<int> sleeps_cancelled = 0; // sleep calls that ended by cancellation
    std::atomic<int> sleeps_finished = 0;
    std::vector<std::string> echoed; // every text echo() saw, in order (executor's thread only)

    asio::awaitable<void> echo(Echo::EchoParams::Reader p, Echo::EchoResults::Builder r, rpc::call_context&) override {
        echoed.emplace_back(p.getText().cStr());
        r.setReply(p.getText());
        co_return;
    }
    asio::awaitable<void> add(Echo::AddParams::Reader p, Echo::AddResults::Builder r, rpc::call_context&) override {
        r.setSum(p.getA() + p.getB());
        co_return;
    }
    asio::awaitable<void> sleep(Echo::SleepParams::Reader p, Echo::SleepResults::Builder, rpc::call_context&) override {
        auto ex = co_await asio::this_coro::executor;
        coronet::timer t(ex, clock_of(ex));
        t.expires_at(clock_of(ex).now() + std::chrono::milliseconds(p.getMs()));
        ++sleeping;
        struct guard {
            std::atomic<int>& n;
            ~guard() { --n; }
        } g{sleeping};
        try {
            co_await t.async_wait(asio::use_awaitable);
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) ++sleeps_cancelled;
            throw;
        }
        ++sleeps_finished;
    }
    asio::awaitable<void> fail(Echo::FailParams::Reader p, Echo::FailResults::Builder, rpc::call_context&) override {
        if (p.getType() > 3) throw std::runtime_error(p.getReason().cStr()); // not a remote_error: arrives as failed
        throw rpc::remote_error(static_cast<rpc::exception_type>(p.getType()), p.getReason().cStr());
        co_return;
    }
    asio::awaitable<void> blob(Echo::BlobParams::Reader p, Echo::BlobResults::Builder r, rpc::call_context&) override {
        r.setData(p.getData());
        co_return;
    }
};

class store_service final : public StoreService {
public:
    asio::awaitable<void> put(Store::PutParams::Reader p, Store::PutResults::Builder r, rpc::call_context&) override {
        auto item = p.getItem();
        auto& e = _items[item.getKey().cStr()];
        e.value.assign(item.getValue().begin(), item.getValue().end());
        e.tags.clear();
        for (auto t : item.getTags()) e.tags.emplace_back(t.cStr());
        e.version = ++_version;
        r.setVersion(e.version);
        co_return;
    }
    asio::awaitable<void> get(Store::GetParams::Reader p, Store::GetResults::Builder r, rpc::call_context&) override {
        auto it = _items.find(p.getKey().cStr());
        if (it == _items.end()) throw rpc::remote_error(rpc::exception_type::failed, std::string("no such key: ") + p.getKey().cStr());
        fill(r.initItem(), it->first, it->second);
        co_return;
    }
    asio::awaitable<void> list(Store::ListParams::Reader p, Store::ListResults::Builder r, rpc::call_context&) override {
        std::string prefix = p.getPrefix().cStr();
        std::vector<decltype(_items)::const_iterator> hits;
        for (auto it = _items.lower_bound(prefix); it != _items.end() && it->first.starts_with(prefix); ++it)
            hits.push_back(it);
        auto items = r.initItems(static_cast<unsigned>(hits.size()));
        for (unsigned i = 0; i < hits.size(); ++i) fill(items[i], hits[i]->first, hits[i]->second);
        co_return;
    }

private:
    struct entry {
        std::string value;
        std::vector<std::string> tags;
        std::uint64_t version = 0;
    };
    static void fill(Item::Builder b, const std::string& key, const entry& e) {
        b.setKey(key);
        b.setValue(kj::arrayPtr(reinterpret_cast<const kj::byte*>(e.value.data()), e.value.size()));
        auto tags = b.initTags(static_cast<unsigned>(e.tags.size()));
        for (unsigned i = 0; i < e.tags.size(); ++i) tags.set(i, e.tags[i]);
        b.setVersion(e.version);
    }
    std::map<std::string, entry> _items;
    std::uint64_t _version = 0;
};

} // namespace coronet::test
