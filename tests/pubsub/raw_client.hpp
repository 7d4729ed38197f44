#pragma once
// A client that speaks the wire protocol by hand, blocking, on its own
// thread's terms: it can send garbage, and it can stop reading (a slow
// consumer) in ways the real client never would.

#include <coronet/pubsub/frame_reader.hpp>
#include <coronet/pubsub/wire.hpp>
#include <coronet/transports/url.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <optional>
#include <vector>

namespace coronet::test {

class raw_client {
public:
    /// `receive_buffer`: SO_RCVBUF, small for a consumer that fills up fast.
    explicit raw_client(const std::string& url, int receive_buffer = 0) : _socket(_io) {
        if (receive_buffer > 0) {
            _socket.open(boost::asio::ip::tcp::v4());
            _socket.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
        }
        _socket.connect(parse_url(url).tcp_endpoint());
    }
    void send(const pubsub::wire::frame& f) {
        std::vector<std::byte> out;
        pubsub::wire::encode(out, f);
        send_bytes(out);
    }
    void send_bytes(const std::vector<std::byte>& bytes) { boost::asio::write(_socket, boost::asio::buffer(bytes)); }
    /// The next frame (its fields copied out), or nothing once the broker closed.
    struct received {
        pubsub::wire::op op{};
        std::uint32_t sid = 0;
        std::uint64_t seq = 0;
        pubsub::wire::error_code code{};
        std::string text; // error text, or payload
        bool retained = false; // a msg sent as retained_msg (op 19)
    };
    /// Ends the connection both ways: a thread blocked writing it returns.
    void shutdown() {
        boost::system::error_code ec;
        _socket.shutdown(boost::asio::socket_base::shutdown_both, ec);
    }
    std::optional<received> next() {
        for (;;) {
            if (auto f = _frames.next()) return copy(*f);
            boost::system::error_code ec;
            auto n = _socket.read_some(pubsub::wire::to_buffer(_frames.space()), ec);
            if (ec) return std::nullopt;
            _frames.commit(n);
        }
    }
    /// Round trip: everything sent before has been handled by the broker.
    /// Returns false if the connection ended first; skips other frames.
    bool ping() {
        send(pubsub::wire::ping{});
        while (auto f = next())
            if (f->op == pubsub::wire::op::pong) return true;
        return false;
    }

private:
    static received copy(const pubsub::wire::frame& f) {
        received r;
        if (auto* m = std::get_if<pubsub::wire::msg>(&f)) {
            r.op = pubsub::wire::op::msg;
            r.sid = m->sid;
            r.seq = m->seq;
            r.retained = m->retained;
            r.text = std::string(pubsub::wire::as_text(m->payload));
        } else if (auto* e = std::get_if<pubsub::wire::error>(&f)) {
            r.op = pubsub::wire::op::error;
            r.code = e->code;
            r.text = std::string(e->text);
        } else if (std::holds_alternative<pubsub::wire::pong>(f)) {
            r.op = pubsub::wire::op::pong;
        }
        return r;
    }
    boost::asio::io_context _io;
    boost::asio::ip::tcp::socket _socket;
    pubsub::wire::frame_reader _frames{pubsub::wire::limits{}};
};

} // namespace coronet::test
