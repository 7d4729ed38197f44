#pragma once
// A parked completion handler whose per-operation cancellation (the
// handler's cancellation slot: when_any, deadlines, task cancellation) calls
// back into the simulator.

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <functional>
#include <optional>
#include <utility>

namespace coronet::sim::detail {

template <class Handler>
class pending_op {
public:
    bool active() const { return _handler.has_value(); }

    /// Parks `h`; `on_cancel` runs if its slot is emitted while parked.
    void park(Handler h, std::function<void()> on_cancel) {
        _handler.emplace(std::move(h));
        auto slot = boost::asio::get_associated_cancellation_slot(*_handler);
        if (slot.is_connected())
            slot.assign([cb = std::move(on_cancel)](boost::asio::cancellation_type) { cb(); });
    }

    /// Unparks the handler to complete it. Its slot is disconnected first,
    /// except from inside the slot's own callback, which must not destroy
    /// itself (the handler's next operation replaces it).
    Handler take(bool from_cancellation = false) {
        auto slot = boost::asio::get_associated_cancellation_slot(*_handler);
        if (slot.is_connected() && !from_cancellation) slot.clear();
        Handler h = std::move(*_handler);
        _handler.reset();
        return h;
    }

private:
    std::optional<Handler> _handler;
};

} // namespace coronet::sim::detail
