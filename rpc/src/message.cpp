#include <coronet/rpc/message.hpp>

#include <boost/asio/recycling_allocator.hpp>

#include <cstring>
#include <new>

namespace coronet::rpc {

namespace {
constexpr std::align_val_t block_alignment{64};
}

receive_block::receive_block(std::size_t bytes)
    : _data(static_cast<std::byte*>(::operator new(bytes, block_alignment))), _size(bytes) {}

receive_block::~receive_block() { ::operator delete(_data, block_alignment); }

inbound_message::inbound_message(std::shared_ptr<receive_block> block, const std::byte* frame,
                                 const frame_layout& layout, const limits& l)
    : _block(std::move(block)), _frame(frame), _bytes(layout.total_bytes) {
    kj::ArrayPtr<const capnp::word>* segments = _inline.data();
    if (layout.segment_count > _inline.size()) {
        _more.resize(layout.segment_count);
        segments = _more.data();
    }
    frame_segments(frame, layout, segments);
    _segment_count = layout.segment_count;
    capnp::ReaderOptions o;
    o.traversalLimitInWords = l.traversal_words_max;
    o.nestingLimit = l.nesting_max;
    _reader.emplace(kj::arrayPtr(segments, layout.segment_count), o);
}

inbound_ptr make_inbound(std::shared_ptr<receive_block> block, const std::byte* frame, const frame_layout& layout,
                         const limits& l) {
    return std::allocate_shared<inbound_message>(boost::asio::recycling_allocator<inbound_message>(), std::move(block),
                                                 frame, layout, l);
}

void* outbound_message::operator new(std::size_t bytes) {
    return boost::asio::recycling_allocator<std::byte>().allocate(bytes);
}

void outbound_message::operator delete(void* p, std::size_t bytes) noexcept {
    boost::asio::recycling_allocator<std::byte>().deallocate(static_cast<std::byte*>(p), bytes);
}

segment_pool::~segment_pool() {
    for (auto* s : _free) delete[] s;
}

capnp::word* segment_pool::acquire() {
    if (_free.empty()) return new capnp::word[first_segment_words](); // value-initialized: zeroed
    auto* s = _free.back();
    _free.pop_back();
    return s;
}

void segment_pool::release(capnp::word* s, std::size_t used_words) {
    if (_free.size() >= cached_max) {
        delete[] s;
        return;
    }
    std::memset(static_cast<void*>(s), 0, std::min(used_words, first_segment_words) * sizeof(capnp::word));
    _free.push_back(s);
}

outbound_message::outbound_message(segment_pool& pool) : _pool(pool), _first(pool.acquire()) {
    _builder.emplace(kj::arrayPtr(_first, segment_pool::first_segment_words));
}

outbound_message::~outbound_message() {
    // What the builder wrote into the first segment is its first output segment.
    std::size_t used = segment_pool::first_segment_words;
    auto segments = _builder->getSegmentsForOutput();
    if (segments.size() > 0 && segments[0].begin() == _first) used = segments[0].size();
    _builder.reset();
    _pool.release(_first, used);
}

const outbound_message::framed& outbound_message::frame() {
    _framed.segments = _builder->getSegmentsForOutput();
    auto n = frame_header_bytes(_framed.segments.size());
    std::byte* header = _framed.header_inline.data();
    if (n > _framed.header_inline.size()) {
        _framed.header_more.resize(n);
        header = _framed.header_more.data();
    }
    _framed.header_bytes = write_frame_header(_framed.segments, header);
    _framed.header = header;
    _framed.total_bytes = _framed.header_bytes;
    for (auto s : _framed.segments) _framed.total_bytes += s.size() * sizeof(capnp::word);
    return _framed;
}

} // namespace coronet::rpc
