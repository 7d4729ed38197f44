#include <coronet/transports/fault/plan.hpp>

#include <stdexcept>
#include <string>

namespace coronet::fault {

namespace {

void check_probability(double p, const char* name) {
    // Written so that NaN fails too.
    if (!(p >= 0.0 && p <= 1.0))
        throw std::invalid_argument(std::string("fault plan: ") + name + " must be a probability in [0, 1], not " +
                                    std::to_string(p));
}

void check_duration(duration d, const char* name) {
    if (d < duration::zero() || d > std::chrono::hours(1))
        throw std::invalid_argument(std::string("fault plan: ") + name + " must be between 0 and 1 h");
}

} // namespace

void validate(const settings& s) {
    check_probability(s.drop, "drop");
    check_probability(s.duplicate, "duplicate");
    check_probability(s.reorder, "reorder");
    check_probability(s.reset, "reset");
    check_duration(s.delay, "delay");
    check_duration(s.jitter, "jitter");
    check_duration(s.reorder_window, "reorder_window");
    check_duration(s.rto, "rto");
}

plan::plan(settings s) : _settings(s), _random(s.seed) { validate(s); }

plan::plan(const plan& other) {
    std::lock_guard lock(other._mutex);
    _settings = other._settings;
    _blocked = other._blocked;
    _counts = other._counts;
    _random = other._random;
}

plan& plan::operator=(const plan& other) {
    if (this == &other) return *this;
    std::scoped_lock lock(_mutex, other._mutex);
    _settings = other._settings;
    _blocked = other._blocked;
    _counts = other._counts;
    _random = other._random;
    return *this;
}

settings plan::get() const {
    std::lock_guard lock(_mutex);
    return _settings;
}

void plan::set(const settings& s) {
    validate(s);
    std::lock_guard lock(_mutex);
    if (s.seed != _settings.seed) _random.seed(s.seed);
    _settings = s;
}

void plan::change(const std::function<void(settings&)>& edit) {
    std::lock_guard lock(_mutex);
    auto s = _settings;
    edit(s);
    validate(s); // a bad edit leaves the plan as it was
    if (s.seed != _settings.seed) _random.seed(s.seed);
    _settings = s;
}

void plan::block(const peer& p) {
    std::lock_guard lock(_mutex);
    _blocked.insert(p);
}

void plan::unblock(const peer& p) {
    std::lock_guard lock(_mutex);
    _blocked.erase(p);
}

void plan::heal() {
    std::lock_guard lock(_mutex);
    _blocked.clear();
}

std::set<peer> plan::blocked() const {
    std::lock_guard lock(_mutex);
    return _blocked;
}

bool plan::blocks(const asio::ip::address& address, std::uint16_t port) const {
    std::lock_guard lock(_mutex);
    return blocks_locked(address, port);
}

bool plan::blocks_locked(const asio::ip::address& address, std::uint16_t port) const {
    if (_blocked.empty()) return false;
    // A v4-mapped v6 peer (a dual-stack socket) is the same host as its v4 form.
    auto a = address;
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return _blocked.contains(peer{a, 0}) || _blocked.contains(peer{a, port});
}

counters plan::counts() const {
    std::lock_guard lock(_mutex);
    return _counts;
}

double plan::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(_random); }

bool plan::happens(double probability) {
    // No draw for a fault that is off, so switching one fault on does not
    // shift the sequence another one sees until it is used.
    if (probability <= 0.0) return false;
    if (probability >= 1.0) return true;
    return uniform() < probability;
}

duration plan::delay_draw() {
    auto d = _settings.delay;
    if (_settings.jitter > duration::zero())
        d += duration(std::uniform_int_distribution<duration::rep>(0, _settings.jitter.count())(_random));
    return d;
}

plan::datagram_fate plan::next_datagram(const asio::ip::udp::endpoint& to) {
    std::lock_guard lock(_mutex);
    ++_counts.datagrams;
    datagram_fate f;
    if (blocks_locked(to.address(), to.port())) {
        ++_counts.blackholed;
        f.lost = true;
        return f;
    }
    if (happens(_settings.drop)) {
        ++_counts.dropped;
        f.lost = true;
        return f;
    }
    if (happens(_settings.duplicate)) {
        ++_counts.duplicated;
        f.copies = 2;
    }
    for (int i = 0; i < f.copies; ++i) {
        f.delay[static_cast<std::size_t>(i)] = delay_draw();
        if (f.delay[static_cast<std::size_t>(i)] > duration::zero()) ++_counts.delayed;
    }
    if (happens(_settings.reorder)) {
        ++_counts.reordered;
        f.hold_back = true;
    }
    return f;
}

bool plan::discard_received(const asio::ip::udp::endpoint& from) {
    std::lock_guard lock(_mutex);
    if (!blocks_locked(from.address(), from.port())) return false;
    ++_counts.blackholed;
    return true;
}

plan::write_fate plan::next_write(std::uint64_t bytes_sent) {
    std::lock_guard lock(_mutex);
    write_fate f;
    if (_settings.reset_after) {
        if (bytes_sent >= *_settings.reset_after) {
            f.reset = true;
            return f;
        }
        f.bytes_max = *_settings.reset_after - bytes_sent;
    }
    if (happens(_settings.reset)) {
        f.reset = true;
        return f;
    }
    f.hold = delay_draw();
    if (f.hold > duration::zero()) ++_counts.delayed;
    if (happens(_settings.drop)) {
        ++_counts.stalled;
        f.hold += _settings.rto;
    }
    return f;
}

void plan::count_reset() {
    std::lock_guard lock(_mutex);
    ++_counts.resets;
}

void plan::count_overflow() {
    std::lock_guard lock(_mutex);
    ++_counts.overflowed;
}

} // namespace coronet::fault
