#pragma once
// One subscriber's outgoing messages, bounded in count and in bytes. The
// broker pushes, the subscriber's writer pops; when the consumer falls behind
// the overflow policy decides what is lost, so its memory never grows past
// messages_max items and bytes_max bytes.

#include <coronet/pubsub/overflow_policy.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
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
template <class T>
class bounded_queue {
public:
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
            count_drop(_items.front().bytes);
            _bytes -= _items.front().bytes;
            _items.pop_front();
        }
        append(std::move(item), bytes);
        return push_result::dropped_oldest;
    }

    /// \pre !empty()
    T& front() { return _items.front().item; }
    const T& front() const { return _items.front().item; }
    std::size_t front_bytes() const { return _items.front().bytes; }
    /// Visits every queued item, oldest first: f(const T&, std::size_t bytes).
    template <class F>
    void for_each(F&& f) const {
        for (auto& e : _items) f(e.item, e.bytes);
    }

    /// Removes and returns the oldest item. \pre !empty()
    T pop() {
        auto e = std::move(_items.front());
        _items.pop_front();
        _bytes -= e.bytes;
        return std::move(e.item);
    }

    /// Discards everything queued, without counting it as dropped (the
    /// caller chose this, e.g. on disconnect); returns how many were queued.
    std::size_t clear() {
        auto n = _items.size();
        _items.clear();
        _bytes = 0;
        return n;
    }

    bool empty() const { return _items.empty(); }
    std::size_t size() const { return _items.size(); }
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
        T item;
        std::size_t bytes;
    };

    bool fits(std::size_t bytes) const {
        return _items.size() < _messages_max && bytes <= _bytes_max && _bytes <= _bytes_max - bytes;
    }
    void append(T&& item, std::size_t bytes) {
        _items.push_back(entry{std::move(item), bytes});
        _bytes += bytes;
        _high_water = std::max(_high_water, _items.size());
        _high_water_bytes = std::max(_high_water_bytes, _bytes);
    }
    void count_drop(std::size_t bytes) {
        ++_dropped;
        _dropped_bytes += bytes;
    }

    std::size_t _messages_max;
    std::size_t _bytes_max;
    overflow_policy _policy;
    std::deque<entry> _items;
    std::size_t _bytes = 0;
    std::uint64_t _dropped = 0;
    std::uint64_t _dropped_bytes = 0;
    std::size_t _high_water = 0;
    std::size_t _high_water_bytes = 0;
};

} // namespace coronet::pubsub
