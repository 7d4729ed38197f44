#pragma once
// Runs a test coroutine on virtual time: the io_context is polled, and the
// manual clock moved forward whenever nothing else can run.

#include <coronet/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <stdexcept>

namespace coronet::test {

/// Runs `make()` to completion on `ctx`, moving `clock` forward in `step`s
/// while nothing else can run (bounded: 10 virtual minutes).
template <class F>
void run_virtual(boost::asio::io_context& ctx, manual_clock& clock, F&& make,
                 std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
    std::exception_ptr error;
    bool finished = false;
    boost::asio::co_spawn(ctx, make(), [&](std::exception_ptr e) {
        error = e;
        finished = true;
    });
    for (int i = 0; !finished && i < 120'000; ++i) {
        ctx.poll();
        if (!finished) clock.advance(step);
    }
    ctx.poll();
    if (error) std::rethrow_exception(error);
    if (!finished) throw std::logic_error("test coroutine did not finish within 10 virtual minutes");
}

} // namespace coronet::test
