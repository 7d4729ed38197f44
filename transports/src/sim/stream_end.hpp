#pragma once
// One end of a simulated TCP connection: reassembly, acknowledgements,
// retransmission with back-off, flow control, FIN and RST.

#include "pending_op.hpp"
#include "world.hpp"

#include <coronet/transports/sim/stream.hpp>

#include <memory>
#include <optional>

namespace coronet::sim::detail {

using boost::system::error_code;
using tcp_endpoint = asio::ip::tcp::endpoint;

/// Bytes of IP and TCP header counted against bandwidth per packet.
inline constexpr std::size_t header_bytes = 40;

struct segment {
    std::uint64_t seq = 0;
    std::shared_ptr<const std::vector<std::byte>> data; // shared by retransmissions and duplicates
    bool fin = false;
    std::uint64_t length() const { return (data ? data->size() : 0) + (fin ? 1 : 0); }
};

struct stream_end final : resource, std::enable_shared_from_this<stream_end> {
    explicit stream_end(incarnation& inc);
    ~stream_end() override;

    // -- the socket calls
    void connect(const tcp_endpoint& to, stream::connect_handler h);
    void read_some(asio::mutable_buffer b, stream::io_handler h);
    void write_some(std::span<const asio::const_buffer> b, stream::io_handler h);
    void shutdown_send();
    void cancel();
    void close();
    /// Resets the connection (RST) and closes.
    void abort();
    void on_crash() override;

    // -- packets arriving from the peer
    void on_syn_ack(std::weak_ptr<stream_end> server);
    void on_segment(const segment& s);
    void on_ack(std::uint64_t acked, std::uint64_t consumed);
    void on_probe();
    void on_rst();

    /// Sets up an end accepted by a listener.
    void accept_from(std::uint64_t connection, const tcp_endpoint& local, const tcp_endpoint& remote,
                     std::weak_ptr<stream_end> client);

    enum class phase { idle, connecting, established };

    world& w;
    phase state = phase::idle;
    std::uint64_t connection = 0;
    tcp_endpoint local, remote;
    node_index peer_node = 0;
    std::weak_ptr<stream_end> peer;
    bool peer_known = false;
    error_code error;    // sticky: reset, timed out, refused, aborted
    bool closed = false; // close() was called
    bool send_shut = false;

private:
    node_index here() const { return process.node; }
    bool accepts_data() const { return !closed && !error; }
    /// Sends a packet to the peer end; if that end is gone, its host answers
    /// with a reset, as a kernel does for an unknown connection.
    duration to_peer(std::size_t bytes, std::function<void(stream_end&)> at_peer);
    void send_syn();
    void transmit(std::uint64_t seq);
    void send_ack();
    void queue_segment(segment s);
    void try_read();
    void try_write();
    void schedule_probe();
    void fail(error_code ec);
    void abort_pending(error_code ec);

    // receiving
    std::vector<std::byte> _rx;
    std::size_t _rx_pos = 0;
    std::uint64_t _rcv_next = 0;
    std::map<std::uint64_t, segment> _out_of_order;
    bool _fin_received = false;
    std::uint64_t _consumed = 0;
    // sending
    std::uint64_t _snd_next = 0;
    std::uint64_t _peer_consumed = 0;
    struct in_flight {
        segment seg;
        int attempts = 0;
        duration rto;
        std::uint64_t generation = 0;
        time_point sent_at;
    };
    void sample_rtt(duration r);
    duration _srtt{};
    duration _rttvar{};
    duration _rto{};
    std::map<std::uint64_t, in_flight> _unacked;
    std::uint64_t _timer_generation = 0;
    bool _probing = false;
    duration _probe_interval{};
    int _syn_attempts = 0;
    std::uint64_t _syn_generation = 0;
    // parked operations
    pending_op<stream::connect_handler> _connect;
    pending_op<stream::io_handler> _read;
    asio::mutable_buffer _read_buffer;
    pending_op<stream::io_handler> _write;
    std::vector<asio::const_buffer> _write_buffers;
};

struct listener_state final : resource, std::enable_shared_from_this<listener_state> {
    listener_state(incarnation& inc, std::uint16_t port, std::size_t backlog);
    ~listener_state() override;

    void accept(listener::accept_handler h);
    void cancel();
    void close();
    void on_crash() override;
    /// A SYN for this port arrived.
    void on_syn(std::uint64_t connection, const tcp_endpoint& client_at, node_index client_node,
                std::weak_ptr<stream_end> client);

    world& w;
    std::uint16_t port;
    std::size_t backlog;
    bool open = true;

private:
    void try_accept();
    std::deque<std::shared_ptr<stream_end>> _ready;
    std::map<std::uint64_t, std::weak_ptr<stream_end>> _seen; // repeated SYNs get the same end
    pending_op<listener::accept_handler> _accept;
};

} // namespace coronet::sim::detail
