#pragma once
// Park a coroutine until it is cancelled, then let it shut down in order.

#include <boost/asio/awaitable.hpp>

namespace coronet {

/// Completes when the calling coroutine is cancelled (e.g. by runtime::stop()
/// or a task group), and then clears the cancellation state: in a cancelled
/// coroutine every later co_await would throw operation_aborted at once, so
/// without this an orderly `co_await server.stop()` could not run.
///
///     server.start();
///     co_await coronet::until_cancelled();
///     co_await server.stop();
boost::asio::awaitable<void> until_cancelled();

} // namespace coronet
