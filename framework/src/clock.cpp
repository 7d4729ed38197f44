#include <coronet/clock.hpp>

#include <boost/asio/steady_timer.hpp>

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

std::unique_ptr<timer_impl> steady_clock::make_timer(const asio::any_io_executor& ex) {
    return std::make_unique<steady_timer_impl>(ex);
}

clock& real_clock() {
    static steady_clock instance;
    return instance;
}

} // namespace coronet
