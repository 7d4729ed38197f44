#include <coronet/buffer_pool.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace coronet {

namespace {
void release(std::byte* p) { std::free(p); }
} // namespace

pooled_buffer::~pooled_buffer() {
    if (!_data) return;
    if (_pool && *_pool) (*_pool)->give_back(_data, _capacity);
    else release(_data);
}

void pooled_buffer::resize(std::size_t n) {
    if (n > _capacity) throw std::length_error("pooled_buffer::resize beyond capacity");
    _size = n;
}

buffer_pool::buffer_pool(std::size_t block_bytes, std::size_t cached_blocks_max, std::size_t alignment,
                         bool prefault)
    : _block_bytes(block_bytes), _cached_blocks_max(cached_blocks_max), _alignment(alignment), _prefault(prefault),
      _self(std::make_shared<buffer_pool*>(this)) {
    if (alignment < 8 || (alignment & (alignment - 1)) != 0)
        throw std::invalid_argument("buffer_pool: alignment must be a power of two >= 8");
    if (block_bytes == 0) throw std::invalid_argument("buffer_pool: block_bytes must be > 0");
}

buffer_pool::~buffer_pool() {
    *_self = nullptr;
    for (auto* b : _free) release(b);
}

std::byte* buffer_pool::allocate(std::size_t bytes) {
    auto rounded = (bytes + _alignment - 1) / _alignment * _alignment;
    auto* p = static_cast<std::byte*>(std::aligned_alloc(_alignment, rounded));
    if (!p) throw std::bad_alloc();
    if (_prefault) std::memset(p, 0, rounded); // touch every page now, not on the hot path
    ++_allocations;
    return p;
}

pooled_buffer buffer_pool::acquire(std::size_t bytes) {
    if (bytes > _block_bytes) return pooled_buffer(_self, allocate(bytes), bytes, bytes);
    std::byte* block;
    if (!_free.empty()) {
        block = _free.back();
        _free.pop_back();
        ++_reuses;
    } else {
        block = allocate(_block_bytes);
    }
    return pooled_buffer(_self, block, bytes, _block_bytes);
}

void buffer_pool::give_back(std::byte* block, std::size_t capacity) {
    if (capacity == _block_bytes && _free.size() < _cached_blocks_max) _free.push_back(block);
    else release(block);
}

} // namespace coronet
