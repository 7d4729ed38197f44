#include "world.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>

namespace coronet::sim::detail {

namespace {

using boost::system::error_code;

/// A timer on virtual time: one event in the world's queue per armed wait.
class virtual_timer final : public timer_impl, public resource {
public:
    virtual_timer(world& w, incarnation& inc) : resource(inc), _w(w), _inc(inc) {}
    ~virtual_timer() override {
        cancel();
        _state->owner = nullptr;
    }

    void expires_at(time_point when) override {
        cancel();
        _state->expiry = when;
    }
    time_point expiry() const override { return _state->expiry; }

    void async_wait(asio::any_completion_handler<void(error_code)> handler) override {
        if (!_inc.alive || _w.closing) {
            _w.complete(_inc, std::move(handler), asio::error::operation_aborted);
            return;
        }
        // Per-operation cancellation (a coroutine's cancel, Finish in the RPC
        // layer) ends this one wait now, as a steady_timer's would.
        auto id = ++_state->next_wait;
        if (auto slot = handler.get_cancellation_slot(); slot.is_connected())
            slot.assign([st = _state, id](asio::cancellation_type) {
                if (!st->owner) return;
                auto it = std::find_if(st->waits.begin(), st->waits.end(), [&](auto& w) { return w.first == id; });
                if (it == st->waits.end()) return;
                auto h = std::move(it->second);
                st->waits.erase(it);
                st->owner->_w.complete(st->owner->_inc, std::move(h), asio::error::operation_aborted);
            });
        _state->waits.emplace_back(id, std::move(handler));
        if (_state->waits.size() > 1) return; // the armed event serves every wait
        auto generation = _state->generation;
        _w.schedule(_state->expiry, [st = _state, generation] {
            if (st->owner && st->generation == generation) st->owner->fire({});
        });
    }

    std::size_t cancel() override {
        ++_state->generation; // the armed event, if any, becomes stale
        return fire(asio::error::operation_aborted);
    }

    void on_crash() override {
        cancel();
    }

private:
    struct state {
        virtual_timer* owner;
        time_point expiry{};
        std::uint64_t generation = 0;
        std::uint64_t next_wait = 0;
        std::vector<std::pair<std::uint64_t, asio::any_completion_handler<void(error_code)>>> waits;
    };

    std::size_t fire(error_code ec) {
        auto waits = std::move(_state->waits);
        _state->waits.clear();
        for (auto& [id, h] : waits) _w.complete(_inc, std::move(h), ec);
        return waits.size();
    }

    world& _w;
    incarnation& _inc;
    std::shared_ptr<state> _state = std::make_shared<state>(state{this, {}, 0, 0, {}});
};

} // namespace

time_point virtual_clock::now() const { return _w.now; }

std::unique_ptr<timer_impl> virtual_clock::make_timer(const asio::any_io_executor& ex) {
    return std::make_unique<virtual_timer>(_w, _w.process_of_or_throw(ex, "sim clock timer"));
}

} // namespace coronet::sim::detail
