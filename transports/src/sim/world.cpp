#include "world.hpp"

#include <coronet/task_group.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace coronet::sim::detail {

namespace {

/// Ties an io_context to the process it runs, so code holding only an
/// executor (listen, connect, timers) finds its node.
class process_service final : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;
    explicit process_service(asio::execution_context& ctx, incarnation* inc = nullptr) : service(ctx), process(inc) {}
    incarnation* process;

private:
    void shutdown() override {}
};

} // namespace

incarnation::incarnation(world& w_, node_index node_, std::uint32_t number_) : w(w_), node(node_), number(number_) {
    asio::make_service<process_service>(ctx, this);
    use_clock(ctx, w.clock);
}

incarnation::~incarnation() = default;

void incarnation::cancel_tasks() {
    for (auto& t : tasks)
        if (!t.finished) t.signal.emit(asio::cancellation_type::terminal);
}

void incarnation::sweep_tasks() {
    std::erase_if(tasks, [](const task& t) { return t.finished; });
}

resource::resource(incarnation& inc) : process(inc), _world(inc.w), _id(inc.w.next_resource++) {
    inc.resources.emplace(_id, this);
}

void resource::release() {
    if (!_registered || _world.destroying) return; // the process may be gone already
    _registered = false;
    process.resources.erase(_id);
}

world::world(network_options o) : options(std::move(o)), rng(options.seed) {
    validate(options.link);
    validate(options.tcp);
    // Virtual time starts at an arbitrary fixed point, never at the epoch, so
    // code subtracting durations from now() stays in range.
    start = now = time_point{} + std::chrono::hours(24);
}

world::~world() {
    destroying = true;
    // Handlers still queued (tasks that ignored cancellation) are destroyed
    // with their io_context, process by process; what they free may schedule
    // events, which are dropped last.
    while (!events.empty()) events.pop();
    for (auto& n : nodes) n->processes.clear();
    while (!events.empty()) events.pop();
}

node_index world::index_of(const asio::ip::address& a) const {
    if (a.is_v4()) {
        auto v = a.to_v4().to_uint();
        // 10.0.0.0/8, host part = index + 1
        if ((v >> 24) == 10 && (v & 0xffffff) >= 1 && (v & 0xffffff) <= nodes.size())
            return static_cast<node_index>((v & 0xffffff) - 1);
    }
    throw boost::system::system_error(asio::error::host_unreachable,
                                      "sim: no node has address " + a.to_string());
}

world* world_of(const asio::any_io_executor& ex) {
    auto& ctx = asio::query(ex, asio::execution::context);
    if (!asio::has_service<process_service>(ctx)) return nullptr;
    return &asio::use_service<process_service>(ctx).process->w;
}

incarnation* world::process_of(const asio::any_io_executor& ex) const {
    auto& ctx = asio::query(ex, asio::execution::context);
    if (!asio::has_service<process_service>(ctx)) return nullptr;
    auto* inc = asio::use_service<process_service>(ctx).process;
    return &inc->w == this ? inc : nullptr;
}

incarnation& world::process_of_or_throw(const asio::any_io_executor& ex, std::string_view what) const {
    if (auto* inc = process_of(ex)) return *inc;
    throw std::invalid_argument(std::string(what) + ": the executor is not a sim node's (use node.get_executor())");
}

void world::start_process(node_index n) {
    auto& ns = at(n);
    auto number = static_cast<std::uint32_t>(ns.processes.size() + 1);
    ns.processes.push_back(std::make_unique<incarnation>(*this, n, number));
    ns.up = true;
    record("start", n, n, number);
    if (ns.boot) spawn(ns.current(), ns.boot(*ns.facade));
}

void world::spawn(incarnation& inc, asio::awaitable<void> task) {
    if (!inc.alive) throw std::logic_error("sim: node " + at(inc.node).facade->name() + " is down");
    auto& entry = inc.tasks.emplace_back();
    ++inc.tasks_running;
    asio::co_spawn(inc.ctx, std::move(task),
                   asio::bind_cancellation_slot(entry.signal.slot(), [this, &inc, &entry](std::exception_ptr e) {
                       entry.finished = true;
                       --inc.tasks_running;
                       // A dead process's tasks fail as it unwinds: not the run's failure.
                       if (!e || is_cancellation(e) || failure || !inc.alive) return;
                       // Never dropped: the run stops and rethrows it, naming the node.
                       std::string what = "unknown exception";
                       try {
                           std::rethrow_exception(e);
                       } catch (const std::exception& x) {
                           what = x.what();
                       } catch (...) {
                       }
                       failure = std::make_exception_ptr(std::runtime_error(
                           fmt::format("sim: a task on node {} failed: {}", at(inc.node).facade->name(), what)));
                   }));
    wake(inc);
}

void world::crash(node_index n) {
    auto& ns = at(n);
    if (!ns.up) return;
    auto& inc = ns.current();
    record("crash", n, n, inc.number);
    inc.alive = false;
    // Resets go out before the host goes down (as when a process is killed).
    auto owned = std::move(inc.resources);
    inc.resources.clear();
    for (auto& [id, r] : owned) r->_registered = false;
    for (auto& [id, r] : owned) r->on_crash();
    ns.up = false;
    inc.cancel_tasks();
    ns.listeners.clear();
    ns.datagram_ports.clear();
    ns.facade->disk().crash();
    wake(inc);
}

void world::schedule(time_point at, std::function<void()> fn) {
    events.push(event{std::max(at, now), rng(), event_seq++, std::move(fn)});
}

void world::wake(incarnation& inc) {
    if (inc.queued || destroying) return;
    inc.queued = true;
    runnable.push_back(&inc);
}

void world::drain() {
    while (!runnable.empty() && !failure) {
        auto* inc = runnable.front();
        runnable.pop_front();
        inc->queued = false;
        if (at(inc->node).paused) continue; // resume() wakes it
        inc->ctx.restart();
        inc->ctx.poll();
        inc->sweep_tasks();
    }
}

bool world::run_until(const std::function<bool()>& done, std::optional<time_point> limit) {
    // Code outside the simulation (a test, a server's start()) may have posted
    // work to any process since the last run: look at every one once.
    for (auto& n : nodes)
        for (auto& p : n->processes) wake(*p);
    for (;;) {
        drain();
        if (failure) std::rethrow_exception(std::exchange(failure, nullptr));
        if (done && done()) return true;
        if (events.empty()) return false;
        if (limit && events.top().at > *limit) {
            now = *limit;
            return false;
        }
        // top() is const; moving out is safe because pop() only compares the
        // trivially copied keys.
        auto e = std::move(const_cast<event&>(events.top()));
        events.pop();
        now = e.at;
        e.fn();
    }
}

const link_model& world::link(node_index from, node_index to) const {
    auto it = links.find({from, to});
    return it == links.end() ? options.link : it->second;
}

duration world::send(node_index from, node_index to, std::size_t bytes, std::function<void()> arrive) {
    ++stats.packets_sent;
    stats.bytes_sent += bytes;
    record("send", from, to, bytes);
    return hop(std::make_shared<packet>(packet{from, to, bytes, std::move(arrive)}), from);
}

duration world::hop(std::shared_ptr<packet> p, node_index here) {
    if (!at(here).up) { // a crashed host neither receives nor forwards
        ++stats.packets_blocked;
        record("drop-down", p->from, here, p->bytes);
        return {};
    }
    if (here == p->to) {
        ++stats.packets_delivered;
        record("deliver", p->from, p->to, p->bytes);
        p->arrive();
        return {};
    }
    node_index next = p->to;
    if (topo) {
        auto nh = topo->next_hop(here, p->to);
        if (!nh) {
            ++stats.packets_blocked;
            record("drop-noroute", here, p->to, p->bytes);
            return {};
        }
        next = *nh;
    }
    ++stats.hops;
    const auto& m = link(here, next);
    // Bandwidth: the packet waits for the link to be free, then takes
    // bytes / bandwidth to go out. A cut or lossy link still spends the time.
    duration departure{0};
    if (m.bandwidth > 0) {
        auto& busy = link_busy_until[{here, next}];
        auto begin = std::max(now, busy);
        auto tx = std::chrono::duration_cast<duration>(std::chrono::duration<double>(
            static_cast<double>(p->bytes) / static_cast<double>(m.bandwidth)));
        busy = begin + tx;
        departure = busy - now;
    }
    if (cut.contains({here, next})) {
        ++stats.packets_blocked;
        record("drop-cut", here, next, p->bytes);
        return departure;
    }
    if (m.loss > 0 && uniform() < m.loss) {
        ++stats.packets_lost;
        record("drop-loss", here, next, p->bytes);
        return departure;
    }
    auto delay = departure + draw_delay(m);
    if (m.reorder > 0 && uniform() < m.reorder) {
        ++stats.packets_reordered;
        delay += m.reorder_delay;
    }
    schedule_after(delay, [this, p, next] { hop(p, next); });
    if (m.duplicate > 0 && uniform() < m.duplicate) {
        ++stats.packets_duplicated;
        record("duplicate", here, next, p->bytes);
        schedule_after(departure + draw_delay(m), [this, p, next] { hop(p, next); });
    }
    return departure;
}

std::size_t world::path_mtu(node_index from, node_index to) const {
    if (!topo) return link(from, to).mtu;
    // Walk the route hop by hop: no allocation on every datagram sent.
    std::size_t mtu = link(from, to).mtu;
    for (auto here = from; here != to;) {
        auto next = topo->next_hop(here, to);
        if (!next) break;
        mtu = std::min(mtu, link(here, *next).mtu);
        here = *next;
    }
    return mtu;
}

duration world::draw_delay(const link_model& m) {
    if (m.jitter.count() <= 0) return m.latency;
    auto scale = static_cast<double>(m.jitter.count());
    double extra = 0;
    switch (m.jitter_shape) {
    case link_model::shape::uniform: extra = uniform() * scale; break;
    case link_model::shape::exponential: extra = -std::log1p(-uniform()) * scale; break;
    case link_model::shape::normal: {
        // Box-Muller from two draws of our own generator (std::normal_distribution
        // differs between standard libraries; runs must not).
        double u1 = 1.0 - uniform(), u2 = uniform();
        extra = std::abs(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2)) * scale;
        break;
    }
    }
    // A tail beyond 50x the scale is no longer jitter but an outage: cap it.
    return m.latency + duration(static_cast<duration::rep>(std::min(extra, 50 * scale)));
}

void world::record(std::string_view what, node_index a, node_index b, std::uint64_t x) {
    // FNV-1a over the event's fields: equal hashes, equal runs.
    auto mix = [this](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            hash ^= (v >> (i * 8)) & 0xff;
            hash *= 1099511628211ull;
        }
    };
    mix(static_cast<std::uint64_t>((now - start).count()));
    for (char c : what) mix(static_cast<unsigned char>(c));
    mix(a);
    mix(b);
    mix(x);
    if (options.keep_trace)
        trace.push_back(fmt::format("{:.6f}s {} {}->{} {}", std::chrono::duration<double>(now - start).count(), what,
                                    at(a).facade->name(), at(b).facade->name(), x));
}

} // namespace coronet::sim::detail
