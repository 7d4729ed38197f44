#pragma once
// Messages as they cross a connection: received ones are read in place from
// the block they arrived in; outgoing ones are built into a pooled, zeroed
// first segment and framed for one gather write.

#include <coronet/rpc/frame.hpp>

#include <capnp/message.h>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace coronet::rpc {

/// Receive memory: 64-byte aligned, shared by every message read from it.
class receive_block {
public:
    explicit receive_block(std::size_t bytes);
    ~receive_block();
    receive_block(const receive_block&) = delete;
    receive_block& operator=(const receive_block&) = delete;
    std::byte* data() { return _data; }
    std::size_t size() const { return _size; }

private:
    std::byte* _data;
    std::size_t _size;
};

class inbound_message {
    // Keeps its receive block alive: the reader's segments point into it, so
    // nothing is copied between the socket and the handler.
public:
    inbound_message(std::shared_ptr<receive_block> block, const std::byte* frame, const frame_layout& layout,
                    const limits& l);
    inbound_message(const inbound_message&) = delete;
    inbound_message& operator=(const inbound_message&) = delete;

    capnp::MessageReader& reader() { return *_reader; }
    template <class T>
    typename T::Reader root() {
        return _reader->getRoot<T>();
    }
    /// Where the frame lies in its receive block (tests check it is in place).
    const std::byte* frame() const { return _frame; }
    std::size_t bytes() const { return _bytes; }
    const std::shared_ptr<receive_block>& block() const { return _block; }
    kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments() const {
        return {_more.empty() ? _inline.data() : _more.data(), _segment_count};
    }

private:
    std::shared_ptr<receive_block> _block;
    const std::byte* _frame;
    std::size_t _bytes;
    std::array<kj::ArrayPtr<const capnp::word>, 4> _inline{};
    std::vector<kj::ArrayPtr<const capnp::word>> _more; // frames of more than 4 segments
    std::size_t _segment_count = 0;
    std::optional<capnp::SegmentArrayMessageReader> _reader;
};

using inbound_ptr = std::shared_ptr<inbound_message>;

/// One per message received, in Asio's per-thread recycled memory.
inbound_ptr make_inbound(std::shared_ptr<receive_block> block, const std::byte* frame, const frame_layout& layout,
                         const limits& l);

/// A zeroed first segment, recycled between outgoing messages.
class segment_pool {
public:
    static constexpr std::size_t first_segment_words = 1024; // 8 KiB: most messages fit in one
    static constexpr std::size_t cached_max = 256;
    segment_pool() = default;
    ~segment_pool();
    segment_pool(const segment_pool&) = delete;
    segment_pool& operator=(const segment_pool&) = delete;
    capnp::word* acquire();
    /// `used_words` were written and are zeroed again before reuse.
    void release(capnp::word* s, std::size_t used_words);

private:
    std::vector<capnp::word*> _free;
};

class outbound_message {
    // Built in place: the first segment comes from the pool, larger messages
    // grow into malloc'd segments as capnp::MallocMessageBuilder does.
public:
    explicit outbound_message(segment_pool& pool);
    ~outbound_message();
    outbound_message(const outbound_message&) = delete;
    outbound_message& operator=(const outbound_message&) = delete;
    // One per message sent: from Asio's per-thread recycled memory, not malloc.
    static void* operator new(std::size_t bytes);
    static void operator delete(void* p, std::size_t bytes) noexcept;

    capnp::MessageBuilder& builder() { return *_builder; }
    template <class T>
    typename T::Builder init_root() {
        return _builder->initRoot<T>();
    }
    /// Frames the message: the segment table, then the segments.
    struct framed {
        std::array<std::byte, 8 * 4> header_inline{};
        std::vector<std::byte> header_more;
        const std::byte* header = nullptr;
        std::size_t header_bytes = 0;
        kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments;
        std::size_t total_bytes = 0;
    };
    const framed& frame();

private:
    segment_pool& _pool;
    capnp::word* _first;
    std::optional<capnp::MallocMessageBuilder> _builder;
    framed _framed;
};

} // namespace coronet::rpc
