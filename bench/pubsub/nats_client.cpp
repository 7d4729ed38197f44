// NATS 2.9 (nats-server): the text protocol. Both roles send
// `CONNECT {"verbose":false,"pedantic":false}` and end their handshake with a
// PING/PONG round trip (after SUB, that round trip confirms the
// subscription). The publisher writes `PUB subject 64\r\n<payload>\r\n`; the
// subscriber parses `MSG subject sid 64\r\n<payload>\r\n` and answers PING.
#include "peer_process.hpp"
#include "peer.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace coronet::bench::pubsub_bench {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view connect_line = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

bool has_pong(std::string_view b) {
    if (b.find("-ERR") != std::string_view::npos) return true;
    return b.find("PONG\r\n") != std::string_view::npos;
}

void check_handshake(const std::string& got) {
    if (auto e = got.find("-ERR"); e != std::string::npos)
        throw std::runtime_error(fmt::format("nats: {}", got.substr(e, got.find('\r', e) - e)));
}

class nats_parser final : public message_parser {
public:
    std::size_t parse(std::string_view in, message_sink& sink) override {
        std::size_t done = 0;
        for (;;) {
            std::string_view rest = in.substr(done);
            auto eol = rest.find("\r\n");
            if (eol == std::string_view::npos) return done;
            std::string_view line = rest.substr(0, eol);
            if (line.starts_with("MSG ")) {
                auto sp = line.rfind(' ');
                std::size_t n = 0;
                if (std::from_chars(line.data() + sp + 1, line.data() + line.size(), n).ec != std::errc{})
                    throw std::runtime_error(fmt::format("nats: bad MSG line '{}'", line));
                if (rest.size() < eol + 2 + n + 2) return done;
                sink.on_message({rest.data() + eol + 2, n});
                done += eol + 2 + n + 2;
                continue;
            }
            if (line == "PING") sink.reply += "PONG\r\n";
            else if (line.starts_with("-ERR")) throw std::runtime_error(fmt::format("nats: {}", line));
            // PONG, +OK and INFO need nothing.
            done += eol + 2;
        }
    }
};

class nats_protocol final : public protocol {
public:
    tcp_socket connect_publisher(std::uint16_t port) override {
        auto s = tcp_socket::connect(port);
        s.write_all(fmt::format("{}PING\r\n", connect_line), after(5s), "nats CONNECT");
        std::string got;
        s.read_until(got, has_pong, after(5s), "nats CONNECT");
        check_handshake(got);
        return s;
    }
    tcp_socket connect_subscriber(std::uint16_t port, std::string_view topic) override {
        auto s = tcp_socket::connect(port);
        s.write_all(fmt::format("{}SUB {} 1\r\nPING\r\n", connect_line, topic), after(5s), "nats SUB");
        std::string got;
        s.read_until(got, has_pong, after(5s), "nats SUB");
        check_handshake(got);
        return s;
    }
    publish_frame encode_publish(std::string_view topic, std::size_t payload_bytes) override {
        return {fmt::format("PUB {} {}\r\n", topic, payload_bytes), "\r\n"};
    }
    std::unique_ptr<message_parser> make_parser() override { return std::make_unique<nats_parser>(); }
    void publisher_input(std::string_view in) override {
        if (auto e = in.find("-ERR"); e != std::string_view::npos)
            throw std::runtime_error(fmt::format("nats: {}", in.substr(e, in.find('\r', e) - e)));
    }
};

} // namespace

peer nats_peer() {
    peer p;
    p.name = "nats";
    auto program = find_program("nats-server");
    if (program.empty()) {
        p.not_installed = "nats-server not found (apt-get install nats-server)";
        return p;
    }
    p.version = program_output_line(program, "--version");
    p.start = [program](int cpu) -> std::unique_ptr<broker_instance> {
        auto port = free_port();
        return std::make_unique<peer_process>(program, std::vector<std::string>{"-a", "127.0.0.1", "-p", std::to_string(port)},
                                              port, cpu, nullptr);
    };
    p.client = [] { return std::make_unique<nats_protocol>(); };
    return p;
}

} // namespace coronet::bench::pubsub_bench
