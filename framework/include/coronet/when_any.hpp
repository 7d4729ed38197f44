#pragma once
// when_any over a runtime-sized set of awaitables.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

namespace coronet {

namespace asio = boost::asio;

/// Runs every task concurrently; as soon as one finishes (returning or
/// throwing), the others are cancelled and awaited. Returns the winner's index
/// and value, or rethrows the winner's exception. Losers' results are dropped.
/// \pre `tasks` is not empty (std::invalid_argument otherwise).
template <class T>
asio::awaitable<std::pair<std::size_t, T>> when_any(std::vector<asio::awaitable<T>> tasks) {
    if (tasks.empty()) throw std::invalid_argument("when_any: no tasks");
    auto ex = co_await asio::this_coro::executor;
    using op_type = decltype(asio::co_spawn(ex, std::move(tasks.front()), asio::deferred));
    std::vector<op_type> ops;
    ops.reserve(tasks.size());
    for (auto& t : tasks) ops.push_back(asio::co_spawn(ex, std::move(t), asio::deferred));
    auto [order, errors, results] =
        co_await asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    auto winner = order.front();
    if (errors[winner]) std::rethrow_exception(errors[winner]);
    co_return std::pair<std::size_t, T>{winner, std::move(results[winner])};
}

/// The void form: returns the index of the first task to finish.
asio::awaitable<std::size_t> when_any(std::vector<asio::awaitable<void>> tasks);

} // namespace coronet
