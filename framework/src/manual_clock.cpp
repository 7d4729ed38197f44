#include <coronet/manual_clock.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <vector>

namespace coronet {

using boost::system::error_code;

class manual_timer final : public timer_impl {
public:
    manual_timer(const asio::any_io_executor& ex, manual_clock& c)
        : _ex(ex), _clock(c), _seq(c._timers_made++) {
        _clock._timers.insert(this);
    }
    ~manual_timer() override {
        cancel();
        _clock._timers.erase(this);
    }

    void expires_at(time_point when) override {
        cancel(); // as asio::steady_timer does: a new expiry aborts pending waits
        _expiry = when;
    }
    time_point expiry() const override { return _expiry; }

    void async_wait(asio::any_completion_handler<void(error_code)> handler) override {
        // Held like a real timer holds the io_context's work count.
        _waits.push_back({std::move(handler), asio::make_work_guard(_ex)});
    }

    std::size_t cancel() override { return complete_all(asio::error::operation_aborted); }

    std::size_t complete_all(error_code ec) {
        auto waits = std::move(_waits);
        _waits.clear();
        for (auto& w : waits) {
            // post() hands it on to the handler's own associated executor.
            asio::post(_ex, asio::append(std::move(w.handler), ec));
        }
        return waits.size();
    }

    bool waiting() const { return !_waits.empty(); }
    std::uint64_t seq() const { return _seq; }

private:
    struct wait {
        asio::any_completion_handler<void(error_code)> handler;
        asio::executor_work_guard<asio::any_io_executor> work;
    };
    asio::any_io_executor _ex;
    manual_clock& _clock;
    std::uint64_t _seq; // ties on expiry resolve in creation order, never by address
    time_point _expiry{};
    std::vector<wait> _waits;
};

manual_clock::~manual_clock() = default;

std::unique_ptr<timer_impl> manual_clock::make_timer(const asio::any_io_executor& ex) {
    return std::make_unique<manual_timer>(ex, *this);
}

void manual_clock::advance_to(time_point when) {
    if (when < _now) return; // time never runs backwards
    _now = when;
    std::vector<manual_timer*> due;
    for (auto* t : _timers)
        if (t->waiting() && t->expiry() <= _now) due.push_back(t);
    std::sort(due.begin(), due.end(), [](auto* a, auto* b) {
        return a->expiry() != b->expiry() ? a->expiry() < b->expiry() : a->seq() < b->seq();
    });
    for (auto* t : due) t->complete_all({});
}

std::optional<time_point> manual_clock::next_expiry() const {
    std::optional<time_point> next;
    for (auto* t : _timers)
        if (t->waiting() && (!next || t->expiry() < *next)) next = t->expiry();
    return next;
}

std::size_t manual_clock::pending_waits() const {
    return static_cast<std::size_t>(
        std::count_if(_timers.begin(), _timers.end(), [](auto* t) { return t->waiting(); }));
}

} // namespace coronet
