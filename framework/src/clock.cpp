#include <coronet/clock.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>

#include <time.h>

#include <stdexcept>

namespace coronet {

namespace {

class steady_timer_impl final : public timer_impl {
public:
    explicit steady_timer_impl(const asio::any_io_executor& ex) : _timer(ex) {}

    void expires_at(time_point when) override { _timer.expires_at(when); }
    time_point expiry() const override { return _timer.expiry(); }
    void async_wait(asio::any_completion_handler<void(boost::system::error_code)> handler) override {
        _timer.async_wait(std::move(handler));
    }
    std::size_t cancel() override { return _timer.cancel(); }

private:
    asio::steady_timer _timer;
};

class clock_service final : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;
    explicit clock_service(asio::execution_context& ctx, clock& c = real_clock()) : service(ctx), _clock(c) {}
    clock& get() const { return _clock; }

private:
    void shutdown() override {}
    clock& _clock;
};

} // namespace

clock& clock_of(asio::execution_context& ctx) {
    return asio::has_service<clock_service>(ctx) ? asio::use_service<clock_service>(ctx).get() : real_clock();
}

clock& clock_of(const asio::any_io_executor& ex) {
    return clock_of(asio::query(ex, asio::execution::context));
}

void use_clock(asio::execution_context& ctx, clock& c) {
    if (asio::has_service<clock_service>(ctx)) {
        if (&asio::use_service<clock_service>(ctx).get() != &c)
            throw std::logic_error("use_clock: this execution context already has another clock");
        return;
    }
    asio::make_service<clock_service>(ctx, c);
}

time_point steady_clock::coarse_now() const {
    // CLOCK_MONOTONIC_COARSE shares CLOCK_MONOTONIC's origin, which is what
    // libstdc++'s steady_clock reads, so the two time points compare directly.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

std::unique_ptr<timer_impl> steady_clock::make_timer(const asio::any_io_executor& ex) {
    return std::make_unique<steady_timer_impl>(ex);
}

clock& real_clock() {
    static steady_clock instance;
    return instance;
}

} // namespace coronet
