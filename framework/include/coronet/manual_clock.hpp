#pragma once
// A clock that moves only when told to: deterministic tests of timeouts and
// deadlines without sleeping or asserting real time.

#include <coronet/clock.hpp>

#include <optional>
#include <set>

namespace coronet {

class manual_timer;

class manual_clock final : public clock {
    // Time stands still until advance() is called. Due waits are completed in
    // expiry order by posting their handlers to their executors, so a test
    // drives them with io_context::poll(). Single-threaded: call it from the
    // thread that runs the executors. Must outlive its timers.
public:
    explicit manual_clock(time_point start = time_point{} + std::chrono::hours(1)) : _now(start) {}
    ~manual_clock() override;

    time_point now() const override { return _now; }
    std::unique_ptr<timer_impl> make_timer(const asio::any_io_executor& ex) override;

    /// Moves time forward by `d` and completes every wait that is now due.
    void advance(duration d) { advance_to(_now + d); }
    void advance_to(time_point when);
    /// The earliest expiry among timers with a pending wait.
    std::optional<time_point> next_expiry() const;
    std::size_t pending_waits() const;

private:
    friend class manual_timer;
    time_point _now;
    std::uint64_t _timers_made = 0;
    std::set<manual_timer*> _timers; // not owned: each unregisters itself on destruction
};

} // namespace coronet
