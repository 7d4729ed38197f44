#pragma once
// The clock every coronet component reads time from, so the simulator can run
// the same service code on virtual time.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>

namespace coronet {

namespace asio = boost::asio;

/// One time base for the whole process. Virtual clocks share the
/// representation, so code never branches on which clock it runs on.
using time_point = std::chrono::steady_clock::time_point;
using duration = std::chrono::steady_clock::duration;

/// The implementation side of a timer; user code holds a `coronet::timer`.
class timer_impl {
public:
    virtual ~timer_impl() = default;
    virtual void expires_at(time_point when) = 0;
    virtual time_point expiry() const = 0;
    /// Completes with success at expiry, or `operation_aborted` if cancelled.
    virtual void async_wait(asio::any_completion_handler<void(boost::system::error_code)> handler) = 0;
    /// Cancels pending waits; returns how many.
    virtual std::size_t cancel() = 0;
};

class clock {
    // A source of "now" and of timers. Components take a `clock&` (borrowed: the
    // clock outlives them) instead of calling std::chrono::steady_clock::now().
public:
    virtual ~clock() = default;
    virtual time_point now() const = 0;
    /// now() to within a few milliseconds, for deadlines set on every read: on
    /// Linux a coarse clock read costs ~7 ns against ~28 ns for an exact one.
    virtual time_point coarse_now() const { return now(); }
    virtual std::unique_ptr<timer_impl> make_timer(const asio::any_io_executor& ex) = 0;
};

/// The real clock: `std::chrono::steady_clock` and `asio::steady_timer`.
class steady_clock final : public clock {
public:
    time_point now() const override { return std::chrono::steady_clock::now(); }
    time_point coarse_now() const override;
    std::unique_ptr<timer_impl> make_timer(const asio::any_io_executor& ex) override;
};

/// A process-wide real clock for code that has not been handed one. It has no
/// state, so sharing it is not the kind of global the style guide warns about.
clock& real_clock();

/// The clock registered for an execution context, or real_clock() if none.
/// The simulator registers its virtual clock on every node's context, so code
/// that asks its executor for a clock runs on virtual time unchanged.
clock& clock_of(asio::execution_context& ctx);
clock& clock_of(const asio::any_io_executor& ex);
/// Registers `c` (which must outlive `ctx`) as the clock of `ctx`.
void use_clock(asio::execution_context& ctx, clock& c);

} // namespace coronet
