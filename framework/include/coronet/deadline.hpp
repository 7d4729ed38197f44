#pragma once
// Cheap deadlines: one timer per connection, re-armed lazily.

#include <coronet/clock.hpp>
#include <coronet/timer.hpp>

#include <functional>
#include <memory>

namespace coronet {

class deadline {
    // Racing every read against its own timer (Asio's `||`) costs 40-50% of
    // small-message throughput: each read arms, and each completion cancels, a
    // kernel-visible timer. Here setting a deadline is a clock read and two
    // stores; the one timer wakes at the earliest deadline it was armed with and,
    // if the deadline has since moved later, simply re-arms to it. So with a
    // 5 s per-read deadline the timer fires about once per 5 s per connection,
    // whatever the message rate.
    //
    // `on_expire` runs on the executor when a deadline passes while armed; it is
    // never called after the deadline object is destroyed.
    // Single executor: use from the executor it was made with.
public:
    deadline(const asio::any_io_executor& ex, clock& c, std::function<void()> on_expire);
    ~deadline();
    deadline(const deadline&) = delete;
    deadline& operator=(const deadline&) = delete;

    /// Arms the deadline; a later call replaces the expiry (earlier or later).
    void expires_at(time_point when);
    /// Relative to the clock's coarse time (a few ms of slack; this is the call
    /// made on every read).
    void expires_after(duration d) { expires_at(_state->clock->coarse_now() + d); }
    /// No deadline until the next expires_at(); the timer, if waiting, goes idle
    /// at its next wake-up rather than being cancelled now (cancelling costs).
    void disarm() { _state->expiry = time_point::max(); }

    /// True once the armed deadline has passed, until the next expires_at().
    bool expired() const { return _state->expired; }
    time_point expiry() const { return _state->expiry; }
    clock& get_clock() const { return *_state->clock; }

private:
    struct state {
        state(const asio::any_io_executor& ex, clock& c) : clock(&c), timer(ex, c) {}
        coronet::clock* clock;
        coronet::timer timer;
        time_point expiry = time_point::max();
        std::uint64_t generation = 0; // a wake-up from an older arm is ignored
        bool waiting = false;
        bool expired = false;
        std::function<void()> on_expire; // null once the deadline is destroyed
    };
    static void arm(const std::shared_ptr<state>& s, time_point when);
    static void on_wake(const std::shared_ptr<state>& s, std::uint64_t generation);

    // Shared with the pending wait: its handler may run after this object is gone.
    std::shared_ptr<state> _state;
};

} // namespace coronet
