#pragma once
// Turns bytes read from a stream into frames, both ends of the protocol:
// read into space(), commit() what arrived, then take next() until it has no
// whole frame. Frames are views into the buffer, valid until the next
// space() call. The buffer grows to fit one frame of at most
// limits.frame_max() (a longer length is a protocol_error before anything is
// read into it) and shrinks back afterwards.

#include <coronet/pubsub/wire.hpp>

#include <boost/asio/buffer.hpp>

#include <optional>
#include <span>
#include <vector>

namespace coronet::pubsub::wire {

class frame_reader {
public:
    explicit frame_reader(limits l, std::size_t chunk = 64 * 1024);

    /// Where the next read goes (never empty).
    std::span<std::byte> space();
    void commit(std::size_t bytes) { _end += bytes; }
    /// The next whole frame, or nothing until more arrives.
    std::optional<frame> next();
    /// Bytes of a frame that has begun to arrive.
    bool partial() const { return _begin != _end; }

private:
    limits _limits;
    std::size_t _chunk;
    std::vector<std::byte> _buf;
    std::size_t _begin = 0;
    std::size_t _end = 0;
};

inline boost::asio::mutable_buffer to_buffer(std::span<std::byte> s) { return {s.data(), s.size()}; }

} // namespace coronet::pubsub::wire
