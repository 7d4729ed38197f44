#include <coronet/deadline.hpp>

namespace coronet {

deadline::deadline(const asio::any_io_executor& ex, clock& c, std::function<void()> on_expire)
    : _state(std::make_shared<state>(ex, c)) {
    _state->on_expire = std::move(on_expire);
}

deadline::~deadline() {
    _state->on_expire = nullptr;
    if (_state->waiting) _state->timer.cancel();
}

void deadline::expires_at(time_point when) {
    auto& s = *_state;
    s.expiry = when;
    s.expired = false;
    // Only an earlier deadline than the timer's needs a re-arm now; a later one
    // is picked up when the timer wakes.
    if (!s.waiting || when < s.timer.expiry()) arm(_state, when);
}

void deadline::arm(const std::shared_ptr<state>& s, time_point when) {
    auto generation = ++s->generation;
    s->waiting = true;
    s->timer.expires_at(when);
    s->timer.async_wait([s, generation](boost::system::error_code) { on_wake(s, generation); });
}

void deadline::on_wake(const std::shared_ptr<state>& s, std::uint64_t generation) {
    if (generation != s->generation) return; // superseded by a newer arm
    s->waiting = false;
    if (!s->on_expire || s->expiry == time_point::max()) return; // destroyed or disarmed: go idle
    if (s->clock->now() < s->expiry) {
        arm(s, s->expiry); // the deadline moved later since we armed
        return;
    }
    s->expired = true;
    s->expiry = time_point::max();
    s->on_expire();
}

} // namespace coronet
