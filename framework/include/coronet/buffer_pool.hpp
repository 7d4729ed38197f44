#pragma once
// Aligned, pooled, optionally pre-faulted message buffers.

#include <cstddef>
#include <span>
#include <vector>

namespace coronet {

class buffer_pool;

class pooled_buffer {
    // Owns one aligned block (move-only, like unique_ptr). size() is the
    // message length within it, capacity() the block's usable bytes. On
    // destruction the block goes back to its pool, which keeps it if it caches
    // fewer than cached_blocks_max and it is a pool-sized block, or frees it.
    //
    // Borrows its pool: the pool must outlive the buffer (buffer_pool aborts if
    // it is destroyed while buffers are out). A moved-from or default-built
    // buffer is empty: data() == nullptr, size() == capacity() == 0.
    //
    // Const is deep, as for std::vector: a const buffer's bytes are read-only.
public:
    pooled_buffer() = default;
    pooled_buffer(pooled_buffer&& other) noexcept { swap(other); }
    pooled_buffer& operator=(pooled_buffer&& other) noexcept {
        pooled_buffer(std::move(other)).swap(*this); // the old block goes back via the temporary
        return *this;
    }
    pooled_buffer(const pooled_buffer&) = delete;
    pooled_buffer& operator=(const pooled_buffer&) = delete;
    ~pooled_buffer();

    std::byte* data() { return _data; }
    const std::byte* data() const { return _data; }
    std::size_t size() const { return _size; }
    std::size_t capacity() const { return _capacity; }
    bool empty() const { return _size == 0; }

    void resize(std::size_t n);
    // Sets size(); the bytes are not touched (no zeroing: a receive overwrites
    // them). Throws std::length_error if n > capacity(): blocks never grow.

    std::span<std::byte> span() { return {_data, _size}; }
    std::span<const std::byte> span() const { return {_data, _size}; }
    // The message bytes; for Asio, asio::buffer(b.data(), b.size()) is the same.

private:
    friend class buffer_pool;
    pooled_buffer(buffer_pool* pool, std::byte* data, std::size_t size, std::size_t capacity)
        : _pool(pool), _data(data), _size(size), _capacity(capacity) {}
    void swap(pooled_buffer& other) noexcept;

    buffer_pool* _pool = nullptr; // borrowed; null when empty
    std::byte* _data = nullptr;   // owned
    std::size_t _size = 0;
    std::size_t _capacity = 0;
};

class buffer_pool {
    // PEERS.md: at 1 MiB messages the allocator (page faults, munmap), not the
    // copying, sets throughput. A pool allocates each block once, can touch its
    // pages up front so the first write does not fault, and hands the same
    // blocks out again and again.
    //
    // Blocks are aligned to `alignment` bytes, at least 8 so that a Cap'n Proto
    // message (64-bit words) can be read in place; the default of 64 is a cache
    // line, so no two buffers share one.
    //
    // Not thread-safe, by design: one pool per executor/thread, so acquire and
    // release are a vector push/pop with no atomics. A buffer must be released
    // on its pool's thread.
    //
    // Lifetime: the pool must outlive every buffer it handed out. Buffers hold
    // a plain pointer back (no shared control block: that would put an atomic
    // reference count on every acquire), and ~buffer_pool checks
    // outstanding() == 0 and aborts with a message otherwise, in release builds
    // too, so an ordering bug is a crash at the cause rather than a
    // use-after-free later. Typically: declare the pool before the io_context
    // whose coroutines hold its buffers.
public:
    buffer_pool(std::size_t block_bytes, std::size_t cached_blocks_max, std::size_t alignment = 64,
                bool prefault = false);
    // block_bytes: the size of a pooled block (> 0). cached_blocks_max: how
    // many released blocks to keep; memory held idle is at most
    // block_bytes * cached_blocks_max. alignment: a power of two, >= 8.
    // prefault: write one byte per page of each new allocation, so that the
    // page faults happen at allocation (or reserve()) time, not on the hot path.
    // Throws std::invalid_argument for a bad block_bytes or alignment.
    ~buffer_pool();
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;

    pooled_buffer acquire() { return acquire(_block_bytes); }
    // A pooled block with size() == capacity() == block_bytes.
    pooled_buffer acquire(std::size_t bytes);
    // size() == bytes. Up to block_bytes this is a pooled block (capacity()
    // == block_bytes); beyond, a one-off allocation with the same alignment
    // and prefaulting (capacity() == bytes), freed on release, never cached.
    // Throws std::bad_alloc if memory runs out.

    void reserve(std::size_t blocks);
    // Allocates (and, with prefault, touches) blocks until min(blocks,
    // cached_blocks_max) are cached, so start-up pays for them and not the
    // first messages.

    std::size_t block_bytes() const { return _block_bytes; }
    std::size_t cached_blocks_max() const { return _cached_blocks_max; }
    std::size_t alignment() const { return _alignment; }
    std::size_t allocations() const { return _allocations; }
    // Calls to the system allocator, one-off blocks included.
    std::size_t reuses() const { return _reuses; }
    // acquire() calls served from the cache.
    std::size_t cached() const { return _free.size(); }
    // Released blocks held for reuse; <= cached_blocks_max.
    std::size_t outstanding() const { return _outstanding; }
    // Buffers handed out and not yet destroyed.

private:
    friend class pooled_buffer;
    void release(std::byte* data, std::size_t capacity);
    // Called by ~pooled_buffer: cache the block or free it.
    std::byte* allocate(std::size_t bytes);

    std::size_t _block_bytes;
    std::size_t _cached_blocks_max;
    std::size_t _alignment;
    bool _prefault;
    std::size_t _page_bytes; // the stride for prefaulting
    std::vector<std::byte*> _free; // owned; capacity reserved up front, so release never allocates
    std::size_t _allocations = 0;
    std::size_t _reuses = 0;
    std::size_t _outstanding = 0;
};

} // namespace coronet
