// The read side: as many bytes per system call as fit, frames parsed in place
// in the receive block they arrived in.
#include "connection_state.hpp"

#include <coronet/rpc/messenger.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>

#include <algorithm>
#include <cstring>

namespace coronet::rpc::detail {

namespace {
constexpr std::size_t spares_max = 8;
}

/// A block no message still points into, or a new one.
std::shared_ptr<receive_block> connection_state::spare_block(std::size_t bytes) {
    for (auto& b : _spares)
        if (b.use_count() == 1 && b->size() >= bytes) return b;
    auto b = std::make_shared<receive_block>(bytes);
    {
        if (_spares.size() < spares_max) _spares.push_back(b);
        else
            for (auto& s : _spares)
                if (s.use_count() == 1) {
                    s = b;
                    break;
                }
    }
    return b;
}

asio::awaitable<void> connection_state::read_loop() {
    // At least room for the largest segment table (512 segments) twice over.
    const auto chunk = std::max<std::size_t>(_options.receive_chunk_bytes, 16 * 1024);
    auto block = spare_block(chunk);
    std::size_t begin = 0, end = 0;
    for (;;) {
        std::optional<frame_layout> layout;
        if (!_preface_checked && _mode == mode::rpc) {
            // A messenger announces itself in its first 8 bytes; a standard
            // frame is never shorter than 16, so waiting for 8 is safe.
            if (end - begin < one_way_preface.size()) goto read_more;
            _preface_checked = true;
            if (std::memcmp(block->data() + begin, one_way_preface.data(), one_way_preface.size()) == 0) {
                _one_way_peer = true;
                begin += one_way_preface.size();
            }
        }
        for (;;) {
            std::span<const std::byte> avail(block->data() + begin, end - begin);
            layout = parse_frame(avail, _options.limits);
            if (!layout || layout->total_bytes > avail.size()) break;
            auto m = make_inbound(block, block->data() + begin, *layout, _options.limits);
            begin += layout->total_bytes;
            _counts.bytes_in += layout->total_bytes;
            handle(std::move(m));
            if (_closing) co_return;
            // Backpressure: stop reading while the limit of calls is reached,
            // or while replies pile up unsent (a peer that sends but does not
            // read must not grow our memory without bound).
            while (!_closing && (_answers_running >= _options.incoming_calls_max ||
                                 _queued_bytes > _options.send_queue_bytes_max)) {
                if (_answers_running >= _options.incoming_calls_max) co_await _answer_slot.async_wait();
                else co_await _send_room.async_wait();
            }
            if (_closing) co_return;
        }
        if (layout && layout->total_bytes > chunk) {
            // A frame larger than a chunk gets a block of its own, and the
            // rest of it is read straight into place.
            auto big = std::make_shared<receive_block>(layout->total_bytes);
            auto have = end - begin;
            std::memcpy(big->data(), block->data() + begin, have);
            _reading = true;
            auto [ec, n] = co_await asio::async_read(
                _stream, asio::buffer(big->data() + have, layout->total_bytes - have), asio::as_tuple(asio::use_awaitable));
            _reading = false;
            if (ec == asio::error::eof) throw protocol_error("connection closed in the middle of a frame");
            if (ec) throw boost::system::system_error(ec, "rpc read");
            ++_counts.reads;
            _counts.bytes_in += layout->total_bytes;
            begin = end = 0;
            handle(make_inbound(big, big->data(), *layout, _options.limits));
            if (_closing) co_return;
            continue;
        }
    read_more:
        // Make room: start over at the front of a block nothing points into.
        auto need = layout ? layout->total_bytes : chunk / 2;
        if (begin == end || chunk - begin < need) {
            auto have = end - begin;
            // Held by no message: only by us and, maybe, the spares list.
            bool spare = std::find(_spares.begin(), _spares.end(), block) != _spares.end();
            auto fresh = block.use_count() == (spare ? 2 : 1) ? block : spare_block(chunk);
            std::memmove(fresh->data(), block->data() + begin, have);
            block = std::move(fresh);
            begin = 0;
            end = have;
        }
        _reading = true;
        auto [ec, n] =
            co_await _stream.async_read_some(asio::buffer(block->data() + end, chunk - end), asio::as_tuple(asio::use_awaitable));
        _reading = false;
        if (ec == asio::error::eof) {
            if (end != begin) throw protocol_error("connection closed in the middle of a frame");
            co_return;
        }
        if (ec) throw boost::system::system_error(ec, "rpc read");
        ++_counts.reads;
        end += n;
    }
}

} // namespace coronet::rpc::detail
