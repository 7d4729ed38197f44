#include <coronet/task_group.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <cstdio>

namespace coronet {

task_group::~task_group() {
    if (!_tasks.empty()) {
        std::fprintf(stderr,
                     "coronet: task_group destroyed with %zu running task(s); join() it first\n",
                     _tasks.size());
        std::terminate();
    }
}

void task_group::spawn(asio::awaitable<void> task) {
    auto it = _tasks.emplace(_tasks.end());
    asio::co_spawn(_ex, std::move(task),
                   asio::bind_cancellation_slot(it->signal.slot(), [this, it](std::exception_ptr e) {
                       on_done(it, std::move(e));
                   }));
    if (_cancelled) it->signal.emit(asio::cancellation_type::terminal);
}

void task_group::cancel() {
    _cancelled = true;
    // emit() may complete a task inline and erase its entry: advance first.
    for (auto it = _tasks.begin(); it != _tasks.end();) {
        auto next = std::next(it);
        it->signal.emit(asio::cancellation_type::terminal);
        it = next;
    }
}

void task_group::on_done(std::list<task_entry>::iterator it, std::exception_ptr e) {
    _tasks.erase(it);
    // Once the group is cancelled, operation_aborted is the expected way out,
    // not an error to report.
    if (e && !_error && !(_cancelled && is_cancellation(e))) {
        _error = e;
        cancel();
    }
    if (_tasks.empty() && !_waiters.empty()) {
        auto waiters = std::move(_waiters);
        _waiters.clear();
        for (auto& w : waiters) {
            asio::post(_ex, asio::append(std::move(w), _error));
        }
    }
}

void task_group::add_waiter(asio::any_completion_handler<void(std::exception_ptr)> handler) {
    if (_tasks.empty()) {
        asio::post(_ex, asio::append(std::move(handler), _error));
        return;
    }
    _waiters.push_back(std::move(handler));
}

asio::awaitable<void> task_group::join() {
    // use_awaitable rethrows a non-null exception_ptr completion by itself.
    co_await async_wait();
}

bool is_cancellation(const std::exception_ptr& e) {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const boost::system::system_error& se) {
        return se.code() == asio::error::operation_aborted;
    } catch (...) {
        return false;
    }
}

} // namespace coronet
