#include <coronet/consensus/raft/node.hpp>

#include <coronet/clock.hpp>
#include <coronet/wait_until.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace coronet::consensus::raft {

node::node(asio::any_io_executor ex, node_options o, state_machine& sm, transport& t, stable_store& store)
    : _ex(std::move(ex)), _options(std::move(o)), _sm(sm), _transport(t), _store(store),
      _core(_options.raft, store.restore()) {
    // The state machine is not durable: it starts from the stored snapshot and
    // the committed entries after it come out of the core again.
    auto& snap = _core.log().latest_snapshot();
    if (snap.metadata.index > 0) {
        _sm.restore(snap.data);
        _applied = snap.metadata.index;
    }
}

node::~node() {
    *_alive = false;
    if (_ticker) _ticker->cancel();
}

void node::start() {
    if (_started || _stopped) return;
    _started = true;
    asio::co_spawn(_ex, tick_loop(this, _alive), asio::detached);
    drain(); // a restarted node may have committed entries to apply
}

void node::stop() { halt("the Raft node is stopping"); }

void node::halt(const std::string& why) {
    if (_stopped) return;
    _stopped = true;
    if (_ticker) _ticker->cancel();
    fail_all(consensus::error(consensus::errc::stopped, why));
}

asio::awaitable<void> node::tick_loop(node* self, std::shared_ptr<bool> alive) {
    auto& clk = clock_of(self->_ex);
    coronet::timer t(self->_ex, clk);
    self->_ticker = &t;
    auto next = clk.now();
    for (;;) {
        next += self->_options.tick;
        t.expires_at(next);
        auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!*alive) co_return; // the node is gone: touch nothing
        if (ec || self->_stopped) break;
        // A loop that fell far behind (a paused process) ticks once, not
        // a burst: time the node did not see passing is not a timeout.
        if (clk.now() > next + 10 * self->_options.tick) next = clk.now();
        self->_core.tick();
        self->drain();
    }
    self->_ticker = nullptr;
}

void node::receive(const message& m) {
    if (_stopped) return;
    if (_persisting) {
        // A follower's answer may acknowledge entries this leader has sent
        // but not yet made durable itself: it waits until they are
        // (send_before_persisting), so a commit never counts a leader copy
        // that a crash could lose.
        _held.push_back(m);
        return;
    }
    if (_core.step(m)) ++_dropped;
    schedule_drain();
}

void node::schedule_drain() {
    // Group commit: every proposal and message handled in this turn of the
    // event loop goes into one ready — one fsync, one append per follower —
    // instead of one each. The cost is one hop through the executor.
    if (_drain_posted) return;
    _drain_posted = true;
    asio::post(_ex, [this, alive = _alive] {
        if (!*alive) return;
        _drain_posted = false;
        if (!_stopped) drain();
    });
}

void node::drain() {
    // A callback inside (apply, a woken caller) may feed the core again; the
    // outer loop picks up what that produced.
    if (_draining || _persisting) return;
    drain_or_halt([this] {
        while (_core.has_ready()) {
            auto r = _core.take_ready();
            if (send_before_persisting(r)) break;
            finish(r);
        }
    });
}

template <class Work>
bool node::drain_or_halt(Work&& work) {
    _draining = true;
    try {
        work();
    } catch (const std::exception& e) {
        // Storage that cannot keep its promises (disk full, a failed fsync)
        // or a state machine that broke its contract: going on would send
        // votes and acknowledgments nothing backs. The node stops, and every
        // caller learns why, instead of the tick loop dying silently.
        _draining = false;
        _failure = e.what();
        halt("the Raft node stopped: " + _failure);
        return false;
    }
    _draining = false;
    return true;
}

bool node::send_before_persisting(ready& r) {
    // Concurrent replication (dissertation §10.2.1): the leader sends new
    // entries to its followers first and writes them to its own disk while
    // they travel, so its fsync and theirs overlap instead of adding up.
    // The sends only queue frames here; the write itself runs when this
    // turn of the event loop ends, so the save is posted behind it.
    if (r.entries.empty() || _core.role() != raft::role::leader ||
        _core.config().replication != replication_mode::concurrent)
        return false;
    std::vector<message> after;
    for (auto& m : r.messages) {
        bool replication = m.type == message_type::append || m.type == message_type::heartbeat ||
                           m.type == message_type::snapshot;
        if (replication) _transport.send(m);
        else after.push_back(std::move(m));
    }
    r.messages = std::move(after);
    _persisting = true;
    auto persist = [this, alive = _alive, r = std::move(r)]() {
        if (!*alive) return;
        _persisting = false;
        auto held = std::exchange(_held, {});
        if (_stopped || !drain_or_halt([&] { finish(r); })) return;
        for (const auto& m : held)
            if (_core.step(m)) ++_dropped;
        drain();
    };
    asio::post(_ex, std::move(persist));
    return true;
}

void node::finish(const ready& r) {
    _store.save(r);
    for (const auto& m : r.messages) _transport.send(m);
    if (r.snapshot && r.snapshot->metadata.index > _applied) {
        _sm.restore(r.snapshot->data);
        _applied = r.snapshot->metadata.index;
        // Writes at or below it were decided elsewhere: their callers cannot learn the result.
        while (!_writes.empty() && _writes.begin()->first <= _applied) {
            auto c = _writes.begin()->second.c;
            _writes.erase(_writes.begin());
            c->failure = consensus::error(consensus::errc::not_leader, "replaced by a snapshot from the leader", _core.leader());
            c->wake.notify_all();
        }
    }
    for (const auto& e : r.committed_entries) apply(e);
    for (const auto& rs : r.read_states)
        if (auto it = _reads.find(rs.request_ctx); it != _reads.end()) it->second.index = rs.index;
    if (r.soft_state) {
        // The core drops read requests when leadership changes: fail
        // the unanswered ones now rather than at their timeout.
        for (auto& [ctx, rd] : _reads)
            if (rd.index == 0) {
                rd.c->failure = consensus::error(consensus::errc::not_leader, "leadership changed", _core.leader());
                rd.c->wake.notify_all();
            }
        std::erase_if(_reads, [](auto& kv) { return kv.second.c->failure.has_value(); });
    }
    answer_reads();
    _core.advance(r);
    maybe_snapshot();
}

void node::apply(const entry& e) {
    if (e.index <= _applied) return;
    std::string result;
    if (e.type == entry_type::normal) result = _sm.apply(e.index, e.data);
    _applied = e.index;
    if (auto it = _writes.find(e.index); it != _writes.end()) {
        auto c = it->second.c;
        if (it->second.term == e.term) c->result = std::move(result);
        else c->failure = consensus::error(consensus::errc::not_leader, "a new leader replaced the entry", _core.leader());
        _writes.erase(it);
        c->wake.notify_all();
    }
}

void node::maybe_snapshot() {
    if (!_options.snapshot_every || _applied - _core.log().snapshot_index() < _options.snapshot_every) return;
    if (!_core.compact(_applied, _sm.snapshot())) _store.compact(_core.log().latest_snapshot());
}

void node::answer_reads() {
    for (auto it = _reads.begin(); it != _reads.end();) {
        if (it->second.index != 0 && it->second.index <= _applied) {
            auto c = it->second.c;
            c->result.emplace();
            c->wake.notify_all();
            it = _reads.erase(it);
        } else {
            ++it;
        }
    }
}

void node::fail_all(const consensus::error& e) {
    for (auto& [i, w] : _writes) {
        w.c->failure = e;
        w.c->wake.notify_all();
    }
    _writes.clear();
    for (auto& [ctx, r] : _reads) {
        r.c->failure = e;
        r.c->wake.notify_all();
    }
    _reads.clear();
}

consensus::error node::refusal(std::error_code ec, std::string_view what) const {
    if (ec == raft::errc::not_leader || ec == raft::errc::no_leader || ec == raft::errc::leader_transfer_in_progress)
        return consensus::error(consensus::errc::not_leader, std::string(what) + ": " + ec.message(), _core.leader());
    return consensus::error(consensus::errc::rejected, std::string(what) + ": " + ec.message(), _core.leader());
}

asio::awaitable<std::string> node::await_call(const std::shared_ptr<call>& c, std::chrono::milliseconds timeout,
                                              const std::function<void()>& forget) {
    auto done = [&] { return c->done(); };
    if (!co_await wait_until(c->wake, done, timeout)) {
        forget();
        throw consensus::error(consensus::errc::timeout, "no answer within " + std::to_string(timeout.count()) + " ms",
                               _core.leader());
    }
    if (c->failure) throw *c->failure;
    co_return std::move(*c->result);
}

asio::awaitable<std::string> node::await_write(proposal p, std::chrono::milliseconds timeout, std::string_view what) {
    if (!p) throw refusal(p.error, what);
    auto c = std::make_shared<call>(_ex);
    _writes[p.index] = {p.term, c};
    schedule_drain();
    auto index = p.index;
    // Named, not built inside the co_await: GCC 12 destroys such temporaries twice.
    std::function<void()> forget = [this, index, c] {
        if (auto it = _writes.find(index); it != _writes.end() && it->second.c == c) _writes.erase(it);
    };
    co_return co_await await_call(c, timeout, forget);
}

asio::awaitable<std::string> node::propose(std::string command, std::chrono::milliseconds timeout) {
    if (_stopped) throw consensus::error(consensus::errc::stopped, "the Raft node is stopped");
    co_return co_await await_write(_core.propose(std::move(command)), timeout, "propose");
}

asio::awaitable<void> node::read_barrier(std::chrono::milliseconds timeout) {
    if (_stopped) throw consensus::error(consensus::errc::stopped, "the Raft node is stopped");
    auto ctx = ++_next_read;
    auto c = std::make_shared<call>(_ex);
    _reads[ctx] = {0, c};
    if (auto ec = _core.read_index(ctx)) {
        _reads.erase(ctx);
        throw refusal(ec, "read barrier");
    }
    drain();
    std::function<void()> forget = [this, ctx] { _reads.erase(ctx); };
    co_await await_call(c, timeout, forget);
}

asio::awaitable<void> node::change_membership(membership_change change, std::chrono::milliseconds timeout) {
    if (_stopped) throw consensus::error(consensus::errc::stopped, "the Raft node is stopped");
    config_change cc;
    cc.node = change.node;
    switch (change.what) {
    case membership_change::kind::add_voter: cc.type = change_type::add_voter; break;
    case membership_change::kind::add_learner: cc.type = change_type::add_learner; break;
    case membership_change::kind::promote: cc.type = change_type::promote_learner; break;
    case membership_change::kind::remove: cc.type = change_type::remove; break;
    }
    if (change.what == membership_change::kind::add_voter || change.what == membership_change::kind::add_learner)
        _transport.add_peer(change.node, change.address);
    co_await await_write(_core.propose_config_change(cc), timeout, "membership change");
    if (change.what == membership_change::kind::remove) _transport.remove_peer(change.node);
}

cluster_status node::status() const {
    cluster_status s;
    s.id = _core.id();
    s.leader = _core.leader();
    s.term = _core.term();
    s.role = _stopped ? "stopped" : std::string(to_string(_core.role()));
    s.commit = _core.commit();
    s.applied = _applied;
    s.voters = _core.members().voters;
    s.learners = _core.members().learners;
    return s;
}

std::error_code node::transfer_leadership(node_id target) {
    auto ec = _core.transfer_leadership(target);
    drain();
    return ec;
}

std::error_code node::campaign() {
    auto ec = _core.campaign();
    drain();
    return ec;
}

} // namespace coronet::consensus::raft
