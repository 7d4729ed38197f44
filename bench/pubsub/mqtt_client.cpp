// mosquitto 2.0: MQTT 3.1.1, QoS 0 throughout. Both roles send CONNECT
// (clean session, keep-alive off) and wait for CONNACK; the subscriber sends
// SUBSCRIBE (QoS 0) and waits for SUBACK. The publisher writes PUBLISH
// packets (0x30, remaining length, topic, payload); the subscriber parses
// them back.
#include "peer_process.hpp"
#include "peer.hpp"

#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

namespace coronet::bench::pubsub_bench {

namespace {

using namespace std::chrono_literals;

void put_u16(std::string& out, std::size_t v) {
    out += static_cast<char>((v >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
}

void put_string(std::string& out, std::string_view s) {
    put_u16(out, s.size());
    out += s;
}

/// MQTT's remaining length: 7 bits per byte, high bit "more follows".
void put_length(std::string& out, std::size_t n) {
    do {
        auto b = static_cast<unsigned char>(n % 128);
        n /= 128;
        if (n > 0) b |= 0x80;
        out += static_cast<char>(b);
    } while (n > 0);
}

std::string packet(unsigned char type_and_flags, const std::string& body) {
    std::string out(1, static_cast<char>(type_and_flags));
    put_length(out, body.size());
    return out + body;
}

/// Decodes a fixed header at the front of `in`: the packet's type byte, the
/// header's size and the remaining length; false until it has all arrived.
bool fixed_header(std::string_view in, unsigned char& type, std::size_t& header, std::size_t& remaining) {
    if (in.size() < 2) return false;
    type = static_cast<unsigned char>(in[0]);
    remaining = 0;
    for (std::size_t i = 1, shift = 0; i < 5; ++i, shift += 7) {
        if (i >= in.size()) return false;
        auto b = static_cast<unsigned char>(in[i]);
        remaining |= static_cast<std::size_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            header = i + 1;
            return true;
        }
    }
    throw std::runtime_error("mqtt: remaining length longer than 4 bytes");
}

bool whole_packet(std::string_view in) {
    unsigned char type = 0;
    std::size_t header = 0, remaining = 0;
    return fixed_header(in, type, header, remaining) && in.size() >= header + remaining;
}

std::string client_id(const char* role) {
    static std::atomic<int> next{0};
    return fmt::format("coronet-bench-{}-{}", role, next++);
}

tcp_socket connect_mqtt(std::uint16_t port, const char* role) {
    auto s = tcp_socket::connect(port);
    std::string body;
    put_string(body, "MQTT");
    body += '\x04'; // protocol level: 3.1.1
    body += '\x02'; // clean session
    put_u16(body, 0); // keep-alive off: no PINGREQ needed during a cell
    put_string(body, client_id(role));
    s.write_all(packet(0x10, body), after(5s), "mqtt CONNECT");
    std::string got;
    s.read_until(got, whole_packet, after(5s), "mqtt CONNECT");
    if (got.size() != 4 || static_cast<unsigned char>(got[0]) != 0x20 || got[3] != 0)
        throw std::runtime_error(fmt::format("mqtt: CONNECT refused (CONNACK return code {})",
                                             got.size() >= 4 ? static_cast<int>(got[3]) : -1));
    return s;
}

class mqtt_parser final : public message_parser {
public:
    std::size_t parse(std::string_view in, message_sink& sink) override {
        std::size_t done = 0;
        for (;;) {
            std::string_view rest = in.substr(done);
            unsigned char type = 0;
            std::size_t header = 0, remaining = 0;
            if (!fixed_header(rest, type, header, remaining) || rest.size() < header + remaining) return done;
            if ((type >> 4) == 3) { // PUBLISH
                if (type & 0x06) throw std::runtime_error("mqtt: a QoS > 0 delivery to a QoS 0 subscription");
                auto body = rest.substr(header, remaining);
                if (body.size() < 2) throw std::runtime_error("mqtt: PUBLISH without a topic");
                std::size_t topic = (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]);
                if (body.size() < 2 + topic) throw std::runtime_error("mqtt: PUBLISH topic runs past the packet");
                auto payload = body.substr(2 + topic);
                sink.on_message({payload.data(), payload.size()});
            }
            done += header + remaining;
        }
    }
};

class mqtt_protocol final : public protocol {
public:
    tcp_socket connect_publisher(std::uint16_t port) override { return connect_mqtt(port, "pub"); }
    tcp_socket connect_subscriber(std::uint16_t port, std::string_view topic) override {
        auto s = connect_mqtt(port, "sub");
        std::string body;
        put_u16(body, 1); // packet identifier
        put_string(body, topic);
        body += '\x00'; // requested QoS
        s.write_all(packet(0x82, body), after(5s), "mqtt SUBSCRIBE");
        std::string got;
        s.read_until(got, whole_packet, after(5s), "mqtt SUBSCRIBE");
        if (got.size() != 5 || static_cast<unsigned char>(got[0]) != 0x90 || got[4] != 0)
            throw std::runtime_error("mqtt: SUBSCRIBE refused");
        return s;
    }
    publish_frame encode_publish(std::string_view topic, std::size_t payload_bytes) override {
        std::string head(1, '\x30');
        put_length(head, 2 + topic.size() + payload_bytes);
        put_string(head, topic);
        return {head, ""};
    }
    std::unique_ptr<message_parser> make_parser() override { return std::make_unique<mqtt_parser>(); }
};

} // namespace

peer mosquitto_peer() {
    peer p;
    p.name = "mosquitto";
    auto program = find_program("mosquitto");
    if (program.empty()) {
        p.not_installed = "mosquitto not found (apt-get install mosquitto)";
        return p;
    }
    p.version = program_output_line(program, "-h");
    p.start = [program](int cpu) -> std::unique_ptr<broker_instance> {
        auto port = free_port();
        auto dir = std::make_unique<temp_dir>();
        auto conf = dir->path() / "mosquitto.conf";
        {
            // No persistence (the default), one loopback listener, anyone may connect.
            std::ofstream f(conf);
            f << "listener " << port << " 127.0.0.1\nallow_anonymous true\n";
            if (!f) throw std::runtime_error(fmt::format("cannot write {}", conf.string()));
        }
        return std::make_unique<peer_process>(program, std::vector<std::string>{"-c", conf.string()}, port, cpu,
                                              std::move(dir));
    };
    p.client = [] { return std::make_unique<mqtt_protocol>(); };
    return p;
}

} // namespace coronet::bench::pubsub_bench
