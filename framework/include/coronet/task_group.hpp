#pragma once
// Structured concurrency: a nursery that owns the coroutines it spawns.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <list>
#include <vector>

namespace coronet {

namespace asio = boost::asio;

class task_group {
    // Owns every coroutine spawned into it. The first exception a task throws is
    // kept and every other task is cancelled (terminal cancellation); join()
    // waits for all of them and rethrows that first exception. Exceptions are
    // never dropped: a task that fails after the first error is logged-free only
    // because its failure was caused by our own cancellation.
    //
    // \warning Single executor: spawn, cancel and join from the executor the
    // group was made with (one io_context thread, or a strand).
    // \warning Must be joined before destruction; destroying a group with
    // running tasks is a bug and calls std::terminate with a message.
public:
    explicit task_group(asio::any_io_executor ex) : _ex(std::move(ex)) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    ~task_group();

    const asio::any_io_executor& get_executor() const { return _ex; }

    /// Starts `task` now (its first step runs on the group's executor). After
    /// cancel() has been called the task is still started, but already
    /// cancelled, so services can spawn unconditionally during shutdown.
    void spawn(asio::awaitable<void> task);

    /// Requests terminal cancellation of every running task.
    void cancel();

    /// Completes when no task is running, with the first error (or null).
    template <class Token = asio::use_awaitable_t<>>
    auto async_wait(Token&& token = {}) {
        return asio::async_initiate<Token, void(std::exception_ptr)>(
            [this](auto handler) { add_waiter(std::move(handler)); }, token);
    }

    /// Waits for every task and rethrows the first error, if any.
    asio::awaitable<void> join();

    std::size_t size() const { return _tasks.size(); }
    bool cancelled() const { return _cancelled; }
    /// The first error seen so far (null if none).
    std::exception_ptr error() const { return _error; }

private:
    struct task_entry {
        asio::cancellation_signal signal;
    };
    void add_waiter(asio::any_completion_handler<void(std::exception_ptr)> handler);
    void on_done(std::list<task_entry>::iterator it, std::exception_ptr e);

    asio::any_io_executor _ex;
    std::list<task_entry> _tasks; // list: signals must not move while bound to a running task
    std::vector<asio::any_completion_handler<void(std::exception_ptr)>> _waiters;
    std::exception_ptr _error;
    bool _cancelled = false;
};

/// True if `e` is the operation_aborted error cancellation produces.
bool is_cancellation(const std::exception_ptr& e);

} // namespace coronet
