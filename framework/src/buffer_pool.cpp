#include <coronet/buffer_pool.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <utility>

namespace coronet {

pooled_buffer::~pooled_buffer() {
    if (_data) _pool->release(_data, _capacity);
}

void pooled_buffer::swap(pooled_buffer& other) noexcept {
    std::swap(_pool, other._pool);
    std::swap(_data, other._data);
    std::swap(_size, other._size);
    std::swap(_capacity, other._capacity);
}

void pooled_buffer::resize(std::size_t n) {
    if (n > _capacity) throw std::length_error("pooled_buffer::resize: blocks do not grow beyond capacity()");
    _size = n;
}

buffer_pool::buffer_pool(std::size_t block_bytes, std::size_t cached_blocks_max, std::size_t alignment,
                         bool prefault)
    : _block_bytes(block_bytes), _cached_blocks_max(cached_blocks_max), _alignment(alignment), _prefault(prefault),
      _page_bytes(4096) {
    if (auto page = ::sysconf(_SC_PAGESIZE); page > 0) _page_bytes = static_cast<std::size_t>(page);
    if (block_bytes == 0) throw std::invalid_argument("buffer_pool: block_bytes must be > 0");
    if (alignment < 8 || (alignment & (alignment - 1)) != 0)
        throw std::invalid_argument(
            "buffer_pool: alignment must be a power of two >= 8 (Cap'n Proto reads 8-byte words)");
    _free.reserve(cached_blocks_max);
}

buffer_pool::~buffer_pool() {
    if (_outstanding != 0) {
        // Those buffers would hand their blocks to a dead pool. Crash here, at
        // the ordering bug, instead of corrupting the heap later.
        std::fprintf(stderr,
                     "coronet::buffer_pool destroyed with %zu buffer(s) outstanding; the pool must outlive its "
                     "buffers (destroy what holds them, e.g. the io_context, first)\n",
                     _outstanding);
        std::abort();
    }
    for (auto* block : _free) std::free(block);
}

std::byte* buffer_pool::allocate(std::size_t bytes) {
    // aligned_alloc wants a multiple of the alignment (C11 7.22.3.1).
    auto rounded = (bytes + _alignment - 1) / _alignment * _alignment;
    if (rounded < bytes) throw std::bad_alloc(); // overflowed
    auto* p = static_cast<std::byte*>(std::aligned_alloc(_alignment, rounded));
    if (!p) throw std::bad_alloc();
    ++_allocations;
    if (_prefault) {
        // One write per page is enough to fault it in; a read would only map
        // the shared zero page and fault again on the first write.
        auto* touch = static_cast<volatile std::byte*>(p);
        for (std::size_t offset = 0; offset < rounded; offset += _page_bytes) touch[offset] = std::byte{0};
        touch[rounded - 1] = std::byte{0}; // p need not be page-aligned: the last page may start after the last stride
    }
    return p;
}

pooled_buffer buffer_pool::acquire(std::size_t bytes) {
    std::byte* block;
    std::size_t capacity;
    if (bytes > _block_bytes) {
        block = allocate(bytes);
        capacity = bytes;
    } else if (!_free.empty()) {
        block = _free.back(); // the most recently released block: its lines are likeliest still in cache
        _free.pop_back();
        capacity = _block_bytes;
        ++_reuses;
    } else {
        block = allocate(_block_bytes);
        capacity = _block_bytes;
    }
    ++_outstanding;
    return pooled_buffer(this, block, bytes, capacity);
}

void buffer_pool::reserve(std::size_t blocks) {
    auto target = std::min(blocks, _cached_blocks_max);
    while (_free.size() < target) _free.push_back(allocate(_block_bytes));
}

void buffer_pool::release(std::byte* data, std::size_t capacity) {
    --_outstanding;
    // Oversize blocks are freed: caching them would make memory held idle
    // depend on the largest message ever seen, not on cached_blocks_max.
    if (capacity == _block_bytes && _free.size() < _cached_blocks_max) _free.push_back(data); // never reallocates
    else std::free(data);
}

} // namespace coronet
