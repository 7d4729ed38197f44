#pragma once
// The runtime: io_contexts, their threads, root task groups and clean stop.

#include <coronet/log.hpp>
#include <coronet/task_group.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace coronet {

struct runtime_options {
    /// Number of io_contexts, each run by its own thread (thread-per-core when
    /// equal to the core count). Context 0 runs on the thread calling run().
    std::size_t threads = 1;
    /// Spin on io_context::poll() for `busy_poll_spin` before blocking. Costs a
    /// core per thread; buys ~7 µs instead of ~53 µs cross-core round trips on a
    /// 2-vCPU VM (see docs/benchmarks.md).
    bool busy_poll = false;
    std::chrono::microseconds busy_poll_spin{200};
    /// Stop cleanly on SIGINT/SIGTERM.
    bool handle_signals = true;
    /// Pin thread i to CPU i (mod the CPU count).
    bool pin_threads = false;
    logger_ptr log; // null: a stderr logger named "coronet"
};

class runtime {
    // Owns the io_contexts, one root task_group per context, and the threads
    // that run them. run() returns when every root task has finished, or after
    // stop() (or SIGINT/SIGTERM) has cancelled them all and they have unwound:
    // every coroutine joined, so every socket and timer they owned is closed.
    //
    // Errors are never silent: the first exception escaping a root task (or a
    // completion handler) is logged, stops the runtime, and is rethrown by run().
public:
    explicit runtime(runtime_options options = {});
    ~runtime();
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    std::size_t size() const { return _shards.size(); }
    asio::io_context& context(std::size_t i = 0) { return _shards.at(i)->ctx; }
    asio::any_io_executor executor(std::size_t i = 0) { return context(i).get_executor(); }
    const runtime_options& options() const { return _options; }
    const logger_ptr& log() const { return _options.log; }

    /// Runs `task` as a root task on context `shard`. Thread-safe.
    void spawn(asio::awaitable<void> task, std::size_t shard = 0);

    /// Runs every context until all root tasks are done; rethrows the first error.
    void run();

    /// Cancels every root task; run() returns once they have unwound. Thread-safe,
    /// idempotent.
    void stop();
    bool stopping() const { return _stopping.load(); }

private:
    struct shard {
        asio::io_context ctx{1}; // concurrency hint 1: one thread per context, no locking
        task_group tasks{ctx.get_executor()};
        // Keeps an idle context running until the whole runtime is done, so a
        // task on one shard can still spawn onto another.
        asio::executor_work_guard<asio::io_context::executor_type> keep_alive{ctx.get_executor()};
    };
    asio::awaitable<void> tracked(asio::awaitable<void> task);
    asio::awaitable<void> watch_signals();
    void run_shard(shard& s);
    void record_error(std::exception_ptr e);
    void task_finished();
    void finish();

    runtime_options _options;
    std::vector<std::unique_ptr<shard>> _shards;
    std::atomic<std::size_t> _live_tasks{0};
    std::atomic<bool> _stopping{false};
    std::mutex _error_mutex;
    std::exception_ptr _first_error;
    asio::cancellation_signal _signal_watch_cancel; // used on context 0 only
};

} // namespace coronet
