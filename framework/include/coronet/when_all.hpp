#pragma once
// when_all over a runtime-sized set of awaitables.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <vector>

namespace coronet {

namespace asio = boost::asio;

/// Runs every task concurrently on the current executor and returns their
/// results in input order. If one throws, the others are cancelled (terminal
/// cancellation), awaited, and the first exception (in completion order) is
/// rethrown. Cancelling the awaiting coroutine cancels every task.
/// \pre T is default-constructible (a cancelled task's slot holds T{}).
template <class T>
asio::awaitable<std::vector<T>> when_all(std::vector<asio::awaitable<T>> tasks) {
    if (tasks.empty()) co_return std::vector<T>{};
    auto ex = co_await asio::this_coro::executor;
    using op_type = decltype(asio::co_spawn(ex, std::move(tasks.front()), asio::deferred));
    std::vector<op_type> ops;
    ops.reserve(tasks.size());
    for (auto& t : tasks) ops.push_back(asio::co_spawn(ex, std::move(t), asio::deferred));
    auto [order, errors, results] =
        co_await asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);
    for (auto i : order)
        if (errors[i]) std::rethrow_exception(errors[i]);
    co_return std::vector<T>(std::make_move_iterator(results.begin()),
                             std::make_move_iterator(results.end()));
}

/// The void form: waits for every task; same error and cancellation rules.
asio::awaitable<void> when_all(std::vector<asio::awaitable<void>> tasks);

} // namespace coronet
