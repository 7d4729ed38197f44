#include <coronet/clock.hpp>

#include <boost/asio/steady_timer.hpp>

#include <time.h>

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

} // namespace

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
