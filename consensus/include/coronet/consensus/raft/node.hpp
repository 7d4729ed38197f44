#pragma once
// The Raft driver: the pure core (core.hpp) made into a consensus::module.
// It owns the clock ticks and the I/O the core leaves out — it feeds the core
// ticks, peer messages and proposals, and carries out each ready in the order
// ready.hpp prescribes: store, then send, then apply and answer the callers.
// Everything runs on one executor; the core is never touched elsewhere.

#include <coronet/consensus/module.hpp>
#include <coronet/consensus/raft/core.hpp>
#include <coronet/consensus/raft/stable_store.hpp>
#include <coronet/consensus/raft/transport.hpp>

#include <coronet/timer.hpp>
#include <coronet/waiters.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace coronet::consensus::raft {

struct node_options {
    raft::config raft;
    /// One core tick. With the core's default election_ticks (10) and its
    /// randomization up to twice that, 15 ms gives 150-300 ms election timeouts.
    std::chrono::milliseconds tick{15};
    /// Take a state-machine snapshot and compact the log every this many
    /// applied entries (0: never).
    std::uint64_t snapshot_every = 10'000;
};

class node final : public module {
public:
    /// `sm`, `t` and `store` are borrowed and must outlive the node. The node
    /// starts from store.restore() (a new node: empty).
    node(asio::any_io_executor ex, node_options o, state_machine& sm, transport& t, stable_store& store);
    ~node() override;
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    /// Starts ticking. Until then the node only answers messages.
    void start();
    /// Stops ticking and fails every waiting call with errc::stopped; later
    /// calls fail the same way, and messages are ignored.
    void stop();

    /// A message from a peer, as the transport received it; malformed or
    /// stale ones are dropped (the core says why; counted in dropped()).
    void receive(const message& m);

    asio::awaitable<std::string> propose(std::string command, std::chrono::milliseconds timeout) override;
    asio::awaitable<void> read_barrier(std::chrono::milliseconds timeout) override;
    asio::awaitable<void> change_membership(membership_change change, std::chrono::milliseconds timeout) override;
    cluster_status status() const override;

    /// Asks the leader (this node) to hand leadership to `target`.
    std::error_code transfer_leadership(node_id target);
    /// Starts an election now (tests, operators).
    std::error_code campaign();

    const core& raft() const { return _core; }
    /// Why the node stopped itself (its stable store or state machine threw);
    /// empty if it did not.
    const std::string& failure() const { return _failure; }
    std::uint64_t dropped() const { return _dropped; }

private:
    struct call {
        explicit call(const asio::any_io_executor& ex) : wake(ex) {}
        waiters wake;
        std::optional<std::string> result;
        std::optional<consensus::error> failure;
        bool done() const { return result || failure; }
    };
    struct pending_write {
        term_t term;
        std::shared_ptr<call> c;
    };
    struct pending_read {
        index_t index = 0; ///< 0 until the core answers with a read_state
        std::shared_ptr<call> c;
    };

    static asio::awaitable<void> tick_loop(node* self, std::shared_ptr<bool> alive);
    /// Carries out every ready the core has; called after each input.
    void drain();
    /// Concurrent replication on the leader: sends the ready's appends now
    /// and posts the rest of it (save, other messages, apply) behind their
    /// writes. False (nothing done) where that does not apply.
    bool send_before_persisting(ready& r);
    /// Saves `r`, sends its messages, applies its entries, advances the core.
    void finish(const ready& r);
    /// Runs `work` (storing and sending readies) marked as draining; if it
    /// throws, halts the node with the reason and returns false.
    template <class Work>
    bool drain_or_halt(Work&& work);
    /// drain() once the inputs already queued on the executor are in.
    void schedule_drain();
    void apply(const entry& e);
    void maybe_snapshot();
    void answer_reads();
    void fail_all(const consensus::error& e);
    /// Stops ticking and fails every waiting call with errc::stopped and `why`.
    void halt(const std::string& why);
    consensus::error refusal(std::error_code ec, std::string_view what) const;
    /// Waits for the entry `p` names to commit and be applied.
    asio::awaitable<std::string> await_write(proposal p, std::chrono::milliseconds timeout, std::string_view what);
    /// Arguments by reference: the caller's locals outlive the wait.
    asio::awaitable<std::string> await_call(const std::shared_ptr<call>& c, std::chrono::milliseconds timeout,
                                            const std::function<void()>& forget);

    asio::any_io_executor _ex;
    node_options _options;
    state_machine& _sm;
    transport& _transport;
    stable_store& _store;
    core _core;
    // The tick loop's timer lives in the loop's frame; the node cancels it
    // through this pointer and the loop checks _alive before touching the node.
    coronet::timer* _ticker = nullptr;
    std::shared_ptr<bool> _alive = std::make_shared<bool>(true);
    bool _started = false;
    bool _stopped = false;
    bool _draining = false;
    bool _drain_posted = false;
    bool _persisting = false;       ///< a ready's appends are out, its save is posted
    std::vector<message> _held;     ///< messages received meanwhile
    index_t _applied = 0;
    std::uint64_t _dropped = 0;
    std::string _failure;
    std::uint64_t _next_read = 0;
    std::map<index_t, pending_write> _writes;        ///< by log index
    std::map<std::uint64_t, pending_read> _reads;    ///< by request ctx
};

} // namespace coronet::consensus::raft
