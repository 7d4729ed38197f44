#include <coronet/when_all.hpp>
#include <coronet/when_any.hpp>

namespace coronet {

namespace {
using void_op = decltype(asio::co_spawn(std::declval<asio::any_io_executor>(),
                                        std::declval<asio::awaitable<void>>(), asio::deferred));

std::vector<void_op> spawn_all(const asio::any_io_executor& ex, std::vector<asio::awaitable<void>>& tasks) {
    std::vector<void_op> ops;
    ops.reserve(tasks.size());
    for (auto& t : tasks) ops.push_back(asio::co_spawn(ex, std::move(t), asio::deferred));
    return ops;
}
} // namespace

asio::awaitable<void> when_all(std::vector<asio::awaitable<void>> tasks) {
    if (tasks.empty()) co_return;
    auto ops = spawn_all(co_await asio::this_coro::executor, tasks);
    auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                               .async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);
    for (auto i : order)
        if (errors[i]) std::rethrow_exception(errors[i]);
}

asio::awaitable<std::size_t> when_any(std::vector<asio::awaitable<void>> tasks) {
    if (tasks.empty()) throw std::invalid_argument("when_any: no tasks");
    auto ops = spawn_all(co_await asio::this_coro::executor, tasks);
    auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                               .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    auto winner = order.front();
    if (errors[winner]) std::rethrow_exception(errors[winner]);
    co_return winner;
}

} // namespace coronet
