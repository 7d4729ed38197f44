#include <coronet/pubsub/frame_reader.hpp>

#include <algorithm>
#include <cstring>

namespace coronet::pubsub::wire {

frame_reader::frame_reader(limits l, std::size_t chunk) : _limits(l), _chunk(chunk), _buf(chunk) {}

std::span<std::byte> frame_reader::space() {
    if (_begin == _end) _begin = _end = 0;
    const auto have = _end - _begin;
    const auto need = frame_bytes({_buf.data() + _begin, have}, _limits).value_or(0);
    // The size the buffer should have: room for the frame that has begun (a
    // large one grows it), or one chunk (shrinking back after a large one).
    const auto want = std::max({need, _chunk, have + _chunk / 4});
    if (_buf.size() - _end < _chunk / 4 || _buf.size() - _begin < need || (_buf.size() > want && _buf.size() > _chunk)) {
        std::memmove(_buf.data(), _buf.data() + _begin, have);
        _begin = 0;
        _end = have;
        _buf.resize(want);
        if (_buf.capacity() > 4 * want) _buf.shrink_to_fit();
    }
    return {_buf.data() + _end, _buf.size() - _end};
}

std::optional<frame> frame_reader::next() {
    std::span<const std::byte> have(_buf.data() + _begin, _end - _begin);
    auto n = frame_bytes(have, _limits);
    if (!n || *n > have.size()) return std::nullopt;
    _begin += *n;
    return decode(have.subspan(length_bytes, *n - length_bytes));
}

} // namespace coronet::pubsub::wire
