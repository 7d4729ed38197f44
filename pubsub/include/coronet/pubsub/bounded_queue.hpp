#pragma once
// One subscriber's outgoing messages, bounded in count and in bytes. The
// broker pushes, the subscriber's writer pops; when the consumer falls behind
// the overflow policy decides what is lost, so its memory never grows past
// messages_max items and bytes_max bytes.
//
// Storage is a ring that doubles when full and keeps its slots when drained:
// a subscriber whose queue fills and empties with every burst reuses the same
// memory, instead of allocating, faulting in and freeing blocks (as a deque
// does) on the broker's hot path. A ring larger than retained_slots shrinks
// when it drains after a burst that used less than a quarter of it, so one
// deep burst pins its memory only until the next, shallower one ends.

#include <coronet/pubsub/overflow_policy.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

namespace coronet::pubsub {

enum class push_result {
    queued,         ///< queued without loss
    dropped_oldest, ///< queued after evicting one or more older items (drop_oldest)
    dropped_newest, ///< this item was dropped (drop_newest, or too large for any queue)
    overflow,       ///< not queued, and the policy is disconnect: the caller must disconnect
};

/// \tparam T a message; the queue does not look inside it, the caller says
/// how many bytes it counts for.
/// \tparam T default-constructible and movable: a popped slot is reset to T{}.
template <class T>
class bounded_queue {
public:
    /// Slots a drained queue always may keep for its next burst.
    static constexpr std::size_t retained_slots = 1024;

    /// Throws std::invalid_argument if messages_max is 0: such a queue could
    /// deliver nothing.
    bounded_queue(std::size_t messages_max, std::size_t bytes_max, overflow_policy policy)
        : _messages_max(messages_max), _bytes_max(bytes_max), _policy(policy) {
        if (messages_max == 0) throw std::invalid_argument("bounded_queue: messages_max must be at least 1");
    }

    /// Queues `item`, counted as `bytes`, or applies the policy if it does
    /// not fit. An item larger than bytes_max on its own can never fit: it is
    /// dropped (dropped_newest) under the drop policies, and overflow under
    /// disconnect. Every item refused or evicted, overflow included, is
    /// counted in dropped() and dropped_bytes().
    push_result push(T item, std::size_t bytes) {
        if (fits(bytes)) {
            append(std::move(item), bytes);
            return push_result::queued;
        }
        if (_policy == overflow_policy::disconnect) {
            count_drop(bytes);
            return push_result::overflow;
        }
        if (_policy == overflow_policy::drop_newest || bytes > _bytes_max) {
            count_drop(bytes);
            return push_result::dropped_newest;
        }
        // A big item may need several small ones gone; it fits alone, so this ends.
        while (!fits(bytes)) {
            count_drop(slot(0).bytes);
            pop();
        }
        append(std::move(item), bytes);
        return push_result::dropped_oldest;
    }

    /// \pre !empty()
    T& front() { return slot(0).item; }
    const T& front() const { return slot(0).item; }
    std::size_t front_bytes() const { return slot(0).bytes; }
    /// Visits every queued item, oldest first: f(const T&, std::size_t bytes).
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < _size; ++i) f(slot(i).item, slot(i).bytes);
    }

    /// Removes and returns the oldest item. \pre !empty()
    T pop() {
        auto& e = slot(0);
        T item = std::exchange(e.item, T{});
        _bytes -= e.bytes;
        _head = (_head + 1) & (_capacity - 1);
        if (--_size == 0) drained();
        return item;
    }

    /// Discards everything queued, without counting it as dropped (the
    /// caller chose this, e.g. on disconnect); returns how many were queued.
    std::size_t clear() {
        auto n = _size;
        for (std::size_t i = 0; i < _size; ++i) slot(i).item = T{};
        _size = 0;
        _bytes = 0;
        drained();
        return n;
    }

    bool empty() const { return _size == 0; }
    std::size_t size() const { return _size; }
    /// Slots allocated: a power of two, at least size().
    std::size_t capacity() const { return _capacity; }
    std::size_t bytes() const { return _bytes; }
    /// Items refused or evicted since construction, exactly.
    std::uint64_t dropped() const { return _dropped; }
    std::uint64_t dropped_bytes() const { return _dropped_bytes; }
    /// The most items held at once.
    std::size_t high_water() const { return _high_water; }
    /// The most bytes held at once.
    std::size_t high_water_bytes() const { return _high_water_bytes; }

    std::size_t messages_max() const { return _messages_max; }
    std::size_t bytes_max() const { return _bytes_max; }
    overflow_policy policy() const { return _policy; }

private:
    struct entry {
        T item{};
        std::size_t bytes = 0;
    };

    entry& slot(std::size_t i) { return _slots[(_head + i) & (_capacity - 1)]; }
    const entry& slot(std::size_t i) const { return _slots[(_head + i) & (_capacity - 1)]; }

    bool fits(std::size_t bytes) const {
        return _size < _messages_max && bytes <= _bytes_max && _bytes <= _bytes_max - bytes;
    }
    void append(T&& item, std::size_t bytes) {
        if (_size == _capacity) grow();
        auto& e = _slots[(_head + _size) & (_capacity - 1)];
        e.item = std::move(item);
        e.bytes = bytes;
        ++_size;
        _bytes += bytes;
        _burst_peak = std::max(_burst_peak, _size);
        _high_water = std::max(_high_water, _size);
        _high_water_bytes = std::max(_high_water_bytes, _bytes);
    }
    // Capacity stays a power of two, so a slot index is a mask, not a division.
    void grow() {
        auto capacity = _capacity ? 2 * _capacity : 16;
        auto slots = std::make_unique<entry[]>(capacity);
        for (std::size_t i = 0; i < _size; ++i) slots[i] = std::move(slot(i));
        _slots = std::move(slots);
        _capacity = capacity;
        _head = 0;
    }
    void drained() {
        _head = 0;
        if (_capacity > retained_slots && _burst_peak < _capacity / 4) {
            // Freed now; the next push allocates what it needs.
            _slots.reset();
            _capacity = 0;
        }
        _burst_peak = 0;
    }
    void count_drop(std::size_t bytes) {
        ++_dropped;
        _dropped_bytes += bytes;
    }

    std::size_t _messages_max;
    std::size_t _bytes_max;
    overflow_policy _policy;
    std::unique_ptr<entry[]> _slots; ///< _capacity of them; items at [_head, _head + _size) mod _capacity
    std::size_t _capacity = 0;
    std::size_t _head = 0;
    std::size_t _size = 0;
    std::size_t _burst_peak = 0; ///< most items held since the queue was last empty
    std::size_t _bytes = 0;
    std::uint64_t _dropped = 0;
    std::uint64_t _dropped_bytes = 0;
    std::size_t _high_water = 0;
    std::size_t _high_water_bytes = 0;
};

} // namespace coronet::pubsub
