#pragma once
// Aligned, pooled, optionally pre-faulted buffers.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace coronet {

class buffer_pool;

class pooled_buffer {
    // Owns one aligned block (move-only). On destruction the block goes back to
    // its pool, or is freed if the pool is full or the block was a one-off.
public:
    pooled_buffer() = default;
    pooled_buffer(pooled_buffer&& other) noexcept { swap(other); }
    pooled_buffer& operator=(pooled_buffer&& other) noexcept {
        pooled_buffer(std::move(other)).swap(*this);
        return *this;
    }
    ~pooled_buffer();

    std::byte* data() const { return _data; }
    std::size_t size() const { return _size; }
    std::size_t capacity() const { return _capacity; }
    bool empty() const { return _size == 0; }
    /// \pre n <= capacity() (std::length_error otherwise).
    void resize(std::size_t n);
    std::span<std::byte> span() const { return {_data, _size}; }

private:
    friend class buffer_pool;
    pooled_buffer(std::shared_ptr<buffer_pool*> pool, std::byte* data, std::size_t size, std::size_t capacity)
        : _pool(std::move(pool)), _data(data), _size(size), _capacity(capacity) {}
    void swap(pooled_buffer& o) noexcept {
        std::swap(_pool, o._pool);
        std::swap(_data, o._data);
        std::swap(_size, o._size);
        std::swap(_capacity, o._capacity);
    }
    std::shared_ptr<buffer_pool*> _pool; // null pointee once the pool is gone
    std::byte* _data = nullptr;
    std::size_t _size = 0;
    std::size_t _capacity = 0;
};

class buffer_pool {
    // PEERS.md: at 1 MiB messages the allocator (page faults, unmaps), not
    // copying, sets throughput. Blocks here are allocated once, optionally
    // pre-faulted, and reused. Aligned to at least 8 bytes so a Cap'n Proto
    // message can be read in place (default 64: a cache line).
    // Not thread-safe: one pool per executor. Buffers may outlive the pool
    // (they then free themselves).
public:
    buffer_pool(std::size_t block_bytes, std::size_t cached_blocks_max, std::size_t alignment = 64,
                bool prefault = false);
    ~buffer_pool();
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;

    /// A block of block_bytes (size() == block_bytes).
    pooled_buffer acquire() { return acquire(_block_bytes); }
    /// `bytes` up to block_bytes come from the pool; larger is a one-off
    /// allocation with the same alignment.
    pooled_buffer acquire(std::size_t bytes);

    std::size_t block_bytes() const { return _block_bytes; }
    std::size_t alignment() const { return _alignment; }
    std::size_t cached() const { return _free.size(); }
    std::size_t allocations() const { return _allocations; }
    std::size_t reuses() const { return _reuses; }

private:
    friend class pooled_buffer;
    void give_back(std::byte* block, std::size_t capacity);
    std::byte* allocate(std::size_t bytes);

    std::size_t _block_bytes, _cached_blocks_max, _alignment;
    bool _prefault;
    std::vector<std::byte*> _free;
    std::size_t _allocations = 0, _reuses = 0;
    std::shared_ptr<buffer_pool*> _self; // buffers see null once the pool is destroyed
};

} // namespace coronet
