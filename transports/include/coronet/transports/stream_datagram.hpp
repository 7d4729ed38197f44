#pragma once
// Datagrams over a stream transport (tcp://, uring://, either behind fault+):
// the interface of udp::socket, so that a message-passing service written
// for UDP (the Chord node) runs over connections unchanged, and the two kinds
// of transport can be compared with everything else equal.
//
// What it keeps of a datagram: one message per send and per receive, its
// boundaries, the sender's address, a size limit (message_size both ways),
// and that a send never waits for the network: the message is queued and the
// send completes; what cannot be delivered is dropped and counted, as a lost
// datagram would be. What the connection adds: order and no loss while it
// lasts, and flow control (a peer that stops reading fills its queue, whose
// oldest messages are then dropped).
//
// On the wire, each outbound connection opens with an 8-byte hello ("CNDG",
// version 1, a zero byte, the sender's listening port as u16 LE) and then
// carries frames: a u32 LE length and that many bytes. A message's sender is
// the connection's remote IP and the port its hello announced: the address a
// reply goes to. A bad hello or an oversize frame closes that one connection
// and counts as malformed.
//
// One outbound connection per destination, opened by the first send to it
// and closed after idle_timeout without traffic; at most peers_max are kept,
// the least recently used closed first. A destination that refused (or did
// not answer) a connection gets nothing for failed_peer_pause: sends to it
// are dropped at once, not queued behind a connect that will fail again.
// Received messages wait in a bounded inbox; beyond it the newest is
// dropped, as a full socket buffer would.
//
// Single executor: use it from the executor it was made with. The handle is
// movable; destroying it closes. Its coroutines share the state and end on
// their own after close().

#include <coronet/clock.hpp>
#include <coronet/log.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace coronet {

namespace asio = boost::asio;

struct stream_datagram_options {
    /// The largest message sent or accepted (UDP's limit, by default).
    std::size_t datagram_bytes_max = 65507;
    /// Received messages not yet read; a message beyond either bound is dropped.
    std::size_t inbox_msgs_max = 4'096;
    std::size_t inbox_bytes_max = std::size_t{8} << 20;
    /// Messages queued for one destination; the oldest is dropped beyond either bound.
    std::size_t queue_msgs_max = 1'024;
    std::size_t queue_bytes_max = std::size_t{4} << 20;
    /// Bytes handed to one gathered write at most.
    std::size_t write_batch_bytes_max = std::size_t{256} << 10;
    /// Outbound connections kept open at most.
    std::size_t peers_max = 256;
    duration connect_timeout = std::chrono::seconds(1);
    /// After a failed connect, sends to that destination are dropped this long.
    duration failed_peer_pause = std::chrono::milliseconds(500);
    /// A write not done by then closes the connection (the peer stopped reading).
    duration write_timeout = std::chrono::seconds(5);
    /// A connection without traffic this long is closed, in either direction.
    duration idle_timeout = std::chrono::seconds(60);
};

struct stream_datagram_stats {
    std::uint64_t sent = 0;             ///< messages written to a connection
    std::uint64_t received = 0;         ///< messages handed to a receive
    std::uint64_t dropped_out = 0;      ///< not sent: queue full, destination failed, write failed, closed
    std::uint64_t dropped_in = 0;       ///< received but dropped: the inbox was full
    std::uint64_t malformed = 0;        ///< inbound connections closed for a bad hello or frame
    std::uint64_t connects = 0;         ///< outbound connections made
    std::uint64_t connect_failures = 0;
    std::uint64_t accepted = 0;         ///< inbound connections
    std::uint64_t timeouts = 0;         ///< connections closed for a stuck write or silence
};

class stream_datagram {
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

    /// Listens on `listen_url` (tcp:// or uring://, optionally fault+); throws
    /// with the URL and the cause if it cannot.
    stream_datagram(const executor_type& ex, std::string_view listen_url, stream_datagram_options options = {},
                    logger_ptr log = {});
    stream_datagram(stream_datagram&&) noexcept;
    stream_datagram& operator=(stream_datagram&&) noexcept;
    ~stream_datagram();

    executor_type get_executor();
    /// The listening address: where others send to reach this socket.
    asio::ip::udp::endpoint local_endpoint() const;
    std::size_t datagram_bytes_max() const;
    const stream_datagram_stats& stats() const;
    /// Outbound connections open now.
    std::size_t connections() const;

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_send_to(const ConstBuffers& buffers, const asio::ip::udp::endpoint& to, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](io_handler h, const ConstBuffers& b, const asio::ip::udp::endpoint& to) {
                // Copied once, into the frame after its length prefix.
                std::string frame(frame_header_bytes + asio::buffer_size(b), '\0');
                asio::buffer_copy(asio::buffer(frame.data() + frame_header_bytes, frame.size() - frame_header_bytes), b);
                send_frame(std::move(frame), to, std::move(h));
            },
            token, buffers, to);
    }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_receive_from(const MutableBuffers& buffers, asio::ip::udp::endpoint& from, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](io_handler h, asio::mutable_buffer b, asio::ip::udp::endpoint* from) {
                receive_from(b, *from, std::move(h));
            },
            token, asio::mutable_buffer(*asio::buffer_sequence_begin(buffers)), &from);
    }

    /// Pending receives complete with operation_aborted; queued sends go on.
    void cancel();
    /// Closes the listener and every connection, drops what is queued;
    /// pending receives complete with operation_aborted, later calls with
    /// bad_descriptor.
    void close();
    bool is_open() const;

private:
    struct state;
    static constexpr std::size_t frame_header_bytes = 4;
    /// `frame` is the message after frame_header_bytes of room for its length.
    void send_frame(std::string frame, const asio::ip::udp::endpoint& to, io_handler h);
    void receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h);

    std::shared_ptr<state> _state;
};

} // namespace coronet
