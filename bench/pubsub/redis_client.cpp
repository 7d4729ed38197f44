// Redis 7 (redis-server): PUBLISH / SUBSCRIBE over RESP2. The publisher
// pipelines `*3 $7 PUBLISH $n channel $64 payload` arrays and reads the
// integer replies as they come; the subscriber parses
// `*3\r\n$7\r\nmessage\r\n$n\r\nchannel\r\n$64\r\npayload\r\n` pushes.
#include "peer_process.hpp"
#include "peer.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace coronet::bench::pubsub_bench {

namespace {

using namespace std::chrono_literals;

std::string bulk(std::string_view s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }

/// Whole RESP lines in `buf` (each ends in \r\n).
std::size_t count_lines(std::string_view buf) {
    std::size_t n = 0;
    for (auto p = buf.find("\r\n"); p != std::string_view::npos; p = buf.find("\r\n", p + 2)) ++n;
    return n;
}

class redis_parser final : public message_parser {
public:
    std::size_t parse(std::string_view in, message_sink& sink) override {
        std::size_t done = 0;
        for (;;) {
            std::string_view rest = in.substr(done);
            if (rest.empty()) return done;
            if (rest[0] == '-') throw std::runtime_error(fmt::format("redis: {}", rest.substr(0, rest.find('\r'))));
            if (rest.size() < 4) return done;
            if (rest.substr(0, 4) != "*3\r\n") throw std::runtime_error("redis: unexpected reply to a subscriber");
            std::size_t at = 4;
            std::string_view kind, channel, payload;
            if (!bulk_at(rest, at, kind) || !bulk_at(rest, at, channel) || !bulk_at(rest, at, payload)) return done;
            if (kind != "message") throw std::runtime_error(fmt::format("redis: unexpected push '{}'", kind));
            sink.on_message({payload.data(), payload.size()});
            done += at;
        }
    }

private:
    /// Reads `$n\r\n<n bytes>\r\n` at `at`; false if it has not all arrived.
    static bool bulk_at(std::string_view s, std::size_t& at, std::string_view& out) {
        auto eol = s.find("\r\n", at);
        if (eol == std::string_view::npos) return false;
        if (s[at] != '$') throw std::runtime_error("redis: expected a bulk string");
        std::size_t n = 0;
        auto r = std::from_chars(s.data() + at + 1, s.data() + eol, n);
        if (r.ec != std::errc{}) throw std::runtime_error("redis: bad bulk length");
        if (s.size() < eol + 2 + n + 2) return false;
        out = s.substr(eol + 2, n);
        at = eol + 2 + n + 2;
        return true;
    }
};

class redis_protocol final : public protocol {
public:
    tcp_socket connect_publisher(std::uint16_t port) override {
        auto s = tcp_socket::connect(port);
        s.write_all("*1\r\n$4\r\nPING\r\n", after(5s), "redis PING");
        std::string got;
        s.read_until(got, [](std::string_view b) { return b.find("\r\n") != std::string_view::npos; }, after(5s),
                     "redis PING");
        if (got != "+PONG\r\n") throw std::runtime_error(fmt::format("redis: PING answered '{}'", got));
        return s;
    }
    tcp_socket connect_subscriber(std::uint16_t port, std::string_view topic) override {
        auto s = tcp_socket::connect(port);
        s.write_all(fmt::format("*2\r\n{}{}", bulk("SUBSCRIBE"), bulk(topic)), after(5s), "redis SUBSCRIBE");
        // *3 $9 subscribe $n channel :1 : six lines.
        std::string got;
        s.read_until(got, [](std::string_view b) { return b.starts_with("-") || count_lines(b) >= 6; }, after(5s),
                     "redis SUBSCRIBE");
        if (!got.starts_with("*3\r\n$9\r\nsubscribe\r\n"))
            throw std::runtime_error(fmt::format("redis: SUBSCRIBE answered '{}'", got));
        return s;
    }
    publish_frame encode_publish(std::string_view topic, std::size_t payload_bytes) override {
        return {fmt::format("*3\r\n{}{}${}\r\n", bulk("PUBLISH"), bulk(topic), payload_bytes), "\r\n"};
    }
    std::unique_ptr<message_parser> make_parser() override { return std::make_unique<redis_parser>(); }
    void publisher_input(std::string_view in) override {
        // Integer replies (`:10\r\n`); an error reply starts a line with '-'.
        if (in.starts_with("-") || in.find("\n-") != std::string_view::npos)
            throw std::runtime_error(fmt::format("redis refused a PUBLISH: {}", in.substr(0, 200)));
    }
};

} // namespace

peer redis_peer() {
    peer p;
    p.name = "redis";
    auto program = find_program("redis-server");
    if (program.empty()) {
        p.not_installed = "redis-server not found (apt-get install redis-server)";
        return p;
    }
    // "Redis server v=7.0.15 sha=… malloc=… bits=64 build=…": the name and version.
    auto line = program_output_line(program, "--version");
    p.version = line.substr(0, line.find(" sha="));
    p.start = [program](int cpu) -> std::unique_ptr<broker_instance> {
        auto port = free_port();
        // No persistence, everything else as shipped.
        return std::make_unique<peer_process>(
            program,
            std::vector<std::string>{"--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no"},
            port, cpu, nullptr);
    };
    p.client = [] { return std::make_unique<redis_protocol>(); };
    return p;
}

} // namespace coronet::bench::pubsub_bench
