#include "published.hpp"

namespace coronet::pubsub::detail {

body_pool::~body_pool() {
    for (auto* p : _free) delete p;
}

body_ref body_pool::make_body(std::string_view topic, std::string_view reply_to,
                              std::span<const std::byte> payload) {
    published* p;
    if (_free.empty()) {
        p = new published;
    } else {
        p = _free.back();
        _free.pop_back();
    }
    try {
        p->topic.assign(topic);
        p->reply_to.assign(reply_to);
        p->payload.assign(payload.begin(), payload.end());
    } catch (...) {
        delete p;
        throw;
    }
    p->_pool = shared_from_this();
    return body_ref(p);
}

void body_pool::recycle(published* p) noexcept {
    // Releasing the body's hold on this pool may end the pool: the hold is
    // moved out first and dropped last, after the pool's last use.
    auto keep = std::move(p->_pool);
    if (_free.size() >= _bodies_max || p->payload.capacity() > _payload_capacity_max) {
        delete p;
        return;
    }
    try {
        _free.push_back(p);
    } catch (...) {
        delete p;
    }
}

} // namespace coronet::pubsub::detail
