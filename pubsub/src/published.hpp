#pragma once
// One publish, shared by every delivery of it, and the pool that recycles
// them. A fan-out to n subscribers copies a handle n times, so the handle's
// count is a plain integer (the broker runs on one executor), and bodies go
// back to a pool with their buffers, so a steady stream of publishes neither
// allocates nor makes the heap grow and shrink under the broker.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coronet::pubsub::detail {

class body_pool;

struct published {
    std::string topic;
    std::string reply_to;
    std::vector<std::byte> payload;
    /// What a queue counts this message as: its bytes and a fixed overhead.
    std::size_t bytes() const { return topic.size() + reply_to.size() + payload.size() + 32; }

private:
    friend class body_pool;
    friend class body_ref;
    std::uint32_t _refs = 0;
    /// Set while the body is in use, so that a handle released after the
    /// broker is gone still finds its pool; empty while idle in the pool.
    std::shared_ptr<body_pool> _pool;
};

/// A counted handle to a published body. Not thread-safe: every copy lives
/// on the broker's executor.
class body_ref {
public:
    body_ref() = default;
    body_ref(const body_ref& o) noexcept : _p(o._p) {
        if (_p) ++_p->_refs;
    }
    body_ref(body_ref&& o) noexcept : _p(std::exchange(o._p, nullptr)) {}
    body_ref& operator=(body_ref o) noexcept {
        std::swap(_p, o._p);
        return *this;
    }
    ~body_ref() { release(); }

    const published& operator*() const { return *_p; }
    const published* operator->() const { return _p; }
    explicit operator bool() const { return _p != nullptr; }

private:
    friend class body_pool;
    explicit body_ref(published* p) noexcept : _p(p) { ++_p->_refs; }
    void release() noexcept;
    published* _p = nullptr;
};

/// Keeps up to `bodies_max` released bodies whose payload buffer is at most
/// `payload_capacity_max` bytes; larger or surplus ones are freed. Held by
/// shared_ptr: every body in use holds its pool.
class body_pool : public std::enable_shared_from_this<body_pool> {
public:
    static std::shared_ptr<body_pool> make(std::size_t bodies_max = 4096, std::size_t payload_capacity_max = 64 << 10) {
        return std::shared_ptr<body_pool>(new body_pool(bodies_max, payload_capacity_max));
    }
    ~body_pool();
    body_pool(const body_pool&) = delete;
    body_pool& operator=(const body_pool&) = delete;

    /// A body holding copies of the three parts.
    body_ref make_body(std::string_view topic, std::string_view reply_to, std::span<const std::byte> payload);
    /// Bodies kept for reuse.
    std::size_t idle() const { return _free.size(); }

private:
    friend class body_ref;
    body_pool(std::size_t bodies_max, std::size_t payload_capacity_max)
        : _bodies_max(bodies_max), _payload_capacity_max(payload_capacity_max) {}
    void recycle(published* p) noexcept;

    std::size_t _bodies_max;
    std::size_t _payload_capacity_max;
    std::vector<published*> _free;
};

inline void body_ref::release() noexcept {
    if (_p && --_p->_refs == 0) _p->_pool->recycle(_p);
    _p = nullptr;
}

} // namespace coronet::pubsub::detail
