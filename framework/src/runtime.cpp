#include <coronet/runtime.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace coronet {

namespace {

void pin_to_cpu(std::size_t i) {
    cpu_set_t set;
    CPU_ZERO(&set);
    auto n = std::thread::hardware_concurrency();
    CPU_SET(static_cast<int>(i % (n ? n : 1)), &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set); // best effort: containers may refuse
}

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

} // namespace

runtime::runtime(runtime_options options) : _options(std::move(options)) {
    if (_options.threads == 0) throw std::invalid_argument("runtime: threads must be at least 1");
    if (!_options.log) _options.log = make_logger("coronet");
    for (std::size_t i = 0; i < _options.threads; ++i) _shards.push_back(std::make_unique<shard>());
}

runtime::~runtime() {
    // Tasks still owned by a root group would otherwise be destroyed half-way;
    // a runtime that was never run (or whose run() threw) unwinds them here.
    bool pending = false;
    for (auto& s : _shards) pending |= s->tasks.size() > 0;
    if (pending) {
        stop();
        for (auto& s : _shards) {
            s->keep_alive.reset();
            s->ctx.restart();
            s->ctx.run();
        }
    }
}

void runtime::spawn(asio::awaitable<void> task, std::size_t shard_index) {
    auto& s = *_shards.at(shard_index);
    _live_tasks.fetch_add(1);
    asio::post(s.ctx, [this, &s, t = std::move(task)]() mutable { s.tasks.spawn(tracked(std::move(t))); });
}

asio::awaitable<void> runtime::tracked(asio::awaitable<void> task) {
    struct finished_guard {
        runtime* rt;
        ~finished_guard() { rt->task_finished(); }
    } guard{this};
    try {
        co_await std::move(task);
    } catch (...) {
        auto e = std::current_exception();
        if (!(stopping() && is_cancellation(e))) record_error(e);
        throw;
    }
}

void runtime::record_error(std::exception_ptr e) {
    {
        std::lock_guard lock(_error_mutex);
        if (_first_error) return;
        _first_error = e;
    }
    _options.log->error("task failed: {}; stopping the runtime", describe(e));
    stop();
}

void runtime::task_finished() {
    if (_live_tasks.fetch_sub(1) == 1) finish();
}

void runtime::finish() {
    for (auto& s : _shards)
        asio::post(s->ctx, [this, sp = s.get()] {
            sp->keep_alive.reset();
            if (sp == _shards.front().get()) _signal_watch_cancel.emit(asio::cancellation_type::terminal);
        });
}

void runtime::stop() {
    if (_stopping.exchange(true)) return;
    for (auto& s : _shards) asio::post(s->ctx, [sp = s.get()] { sp->tasks.cancel(); });
    if (_live_tasks.load() == 0) finish();
}

asio::awaitable<void> runtime::watch_signals() {
    asio::signal_set signals(_shards.front()->ctx, SIGINT, SIGTERM);
    int signo = co_await signals.async_wait(asio::use_awaitable);
    _options.log->info("received {}; stopping: cancelling every task", signo == SIGINT ? "SIGINT" : "SIGTERM");
    stop();
}

void runtime::run_shard(shard& s) {
    try {
        if (!_options.busy_poll) {
            s.ctx.run();
            return;
        }
        // Busy-poll: keep the core hot so a wake-up costs no scheduler round trip.
        while (!s.ctx.stopped()) {
            if (s.ctx.poll() > 0) continue;
            auto spin_until = std::chrono::steady_clock::now() + _options.busy_poll_spin;
            bool ran = false;
            while (!s.ctx.stopped() && std::chrono::steady_clock::now() < spin_until)
                if (s.ctx.poll() > 0) {
                    ran = true;
                    break;
                }
            if (!ran && !s.ctx.stopped()) s.ctx.run_one();
        }
    } catch (...) {
        // A completion handler threw (e.g. a co_spawn with a rethrowing token).
        record_error(std::current_exception());
        s.ctx.restart();
        run_shard(s);
    }
}

void runtime::run() {
    if (_options.handle_signals)
        asio::co_spawn(_shards.front()->ctx, watch_signals(),
                       asio::bind_cancellation_slot(_signal_watch_cancel.slot(), [](std::exception_ptr) {}));
    if (_live_tasks.load() == 0) finish();

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < _shards.size(); ++i)
        threads.emplace_back([this, i] {
            if (_options.pin_threads) pin_to_cpu(i);
            run_shard(*_shards[i]);
        });
    if (_options.pin_threads) pin_to_cpu(0);
    run_shard(*_shards.front());
    for (auto& t : threads) t.join();

    std::lock_guard lock(_error_mutex);
    if (_first_error) std::rethrow_exception(_first_error);
}

} // namespace coronet
