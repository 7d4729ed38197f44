// The write side: every frame queued since the last write goes out in one
// gather write. Small frames are copied into one contiguous run (a few hundred
// bytes cost less to copy than an iovec each); large segments are sent from
// where they were built.
#include "connection_state.hpp"

#include <coronet/rpc/messenger.hpp>

#include <boost/asio/as_tuple.hpp>

#include <cstring>
#include <span>

namespace coronet::rpc::detail {

namespace {
constexpr std::size_t copy_below = 4096;
}

asio::awaitable<std::tuple<error_code, std::size_t>> connection_state::write_all(std::vector<asio::const_buffer>& buffers) {
    // Not asio::async_write: its handler would take any_stream's boxed path,
    // which allocates; a coroutine awaiting write_some does not.
    std::size_t written = 0;
    for (std::size_t i = 0; i < buffers.size();) {
        auto [ec, n] = co_await _stream.async_write_some(std::span(buffers).subspan(i), asio::as_tuple(asio::use_awaitable));
        written += n;
        if (ec) co_return std::tuple{ec, written};
        for (; i < buffers.size() && n >= buffers[i].size(); ++i) n -= buffers[i].size();
        if (i < buffers.size()) buffers[i] += n;
    }
    co_return std::tuple{error_code{}, written};
}

asio::awaitable<void> connection_state::write_loop() {
    auto self = shared_from_this();
    std::vector<std::byte> run;
    std::vector<asio::const_buffer> buffers;
    for (;;) {
        while (_queue.empty() && !_closing) co_await _writer.async_wait();
        if (_queue.empty()) co_return; // closing and nothing left (an Abort is queued first)
        _sending.swap(_queue);
        std::size_t batch = _queued_bytes;
        std::size_t small = 0;
        for (auto& m : _sending)
            if (auto& f = m->frame(); f.total_bytes < copy_below) small += f.total_bytes;
        // A messenger's first bytes say what it is (see one_way_preface).
        bool preface = _mode == mode::one_way_sender && !_preface_sent;
        run.resize(small + (preface ? one_way_preface.size() : 0));
        buffers.clear();
        std::size_t at = 0, run_start = 0;
        if (preface) {
            std::memcpy(run.data(), one_way_preface.data(), one_way_preface.size());
            at = one_way_preface.size();
            _preface_sent = true;
        }
        auto flush_run = [&] {
            if (at > run_start) buffers.emplace_back(run.data() + run_start, at - run_start);
            run_start = at;
        };
        for (auto& m : _sending) {
            auto& f = m->frame();
            if (f.total_bytes < copy_below) {
                std::memcpy(run.data() + at, f.header, f.header_bytes);
                at += f.header_bytes;
                for (auto s : f.segments) {
                    auto bytes = s.asBytes();
                    std::memcpy(run.data() + at, bytes.begin(), bytes.size());
                    at += bytes.size();
                }
                continue;
            }
            flush_run();
            buffers.emplace_back(f.header, f.header_bytes);
            for (auto s : f.segments) buffers.emplace_back(s.asBytes().begin(), s.asBytes().size());
        }
        flush_run();
        // Counted when handed over, so a peer that has the replies sees them counted.
        _counts.writes += 1;
        _counts.messages_out += _sending.size();
        auto [ec, n] = co_await write_all(buffers);
        _counts.bytes_out += n;
        _sending.clear();
        _queued_bytes -= std::min(_queued_bytes, batch);
        _send_room.notify_all();
        if (ec) {
            if (!_closing) close(ec == asio::error::operation_aborted ? "" : "write failed: " + ec.message());
            co_return;
        }
        if (_close_when_sent && _queue.empty()) close("");
    }
}

} // namespace coronet::rpc::detail
