// etcd as a system under test: Debian's etcd-server binary, driven through
// its gRPC gateway (POST /v3/kv/put, POST /v3/maintenance/status), the
// HTTP/JSON face of its API, so that both systems are measured over the
// same protocol.
#include "kv_system.hpp"

#include "peer_process.hpp" // find_program, program_output_line (bench/pubsub)

#include <coronet/transports/http_client.hpp>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cstdio>

namespace coronet::bench::kv_bench {

namespace {

namespace bhttp = boost::beast::http;

std::string base64(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                     static_cast<unsigned char>(in[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// Whether `program --help` mentions `flag` (etcd prints its help on stderr).
bool help_mentions(const std::string& program, std::string_view flag) {
    auto cmd = fmt::format("'{}' --help 2>&1", program);
    std::FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) return false;
    std::string all;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0 && all.size() < (1u << 20);) all.append(buf, n);
    ::pclose(f);
    return all.find(flag) != std::string::npos;
}

std::uint64_t number_of(const boost::json::value& v) {
    // The gateway writes uint64 fields as JSON strings.
    if (v.is_string()) return std::stoull(std::string(v.as_string()));
    return v.to_number<std::uint64_t>();
}

class etcd final : public kv_system {
public:
    explicit etcd(bool fsync) {
        name = "etcd";
        family = "etcd";
        program = pubsub_bench::find_program("etcd");
        if (program.empty()) {
            not_runnable = "no etcd on PATH (Debian: apt-get install etcd-server)";
            return;
        }
        version = pubsub_bench::program_output_line(program, "--version");
        _no_fsync_flag = help_mentions(program, "--unsafe-no-fsync");
        if (!fsync && !_no_fsync_flag)
            fsync_note = fmt::format("{} has no --unsafe-no-fsync: etcd fsyncs in every cell", version);
    }

    std::vector<std::string> member_args(std::size_t i, const std::vector<member_ports>& members,
                                         const std::filesystem::path& data_dir, bool fsync) const override {
        std::string initial;
        for (std::size_t m = 0; m < members.size(); ++m)
            initial += fmt::format("{}m{}=http://127.0.0.1:{}", m ? "," : "", m + 1, members[m].peer);
        auto client = fmt::format("http://127.0.0.1:{}", members[i].client);
        auto peer = fmt::format("http://127.0.0.1:{}", members[i].peer);
        // 15 ms heartbeats and a 150 ms election timeout (randomised by etcd
        // to 150-300 ms): coronet's 15 ms tick with its 10-20-tick elections.
        std::vector<std::string> args{"--name", fmt::format("m{}", i + 1), "--data-dir", data_dir.string(),
                                      "--listen-client-urls", client, "--advertise-client-urls", client,
                                      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                                      "--initial-cluster", initial, "--initial-cluster-state", "new",
                                      "--initial-cluster-token", "coronet-bench-kv", "--heartbeat-interval", "15",
                                      "--election-timeout", "150", "--logger", "zap", "--log-level", "warn"};
        if (!fsync && _no_fsync_flag) args.push_back("--unsafe-no-fsync");
        return args;
    }

    http_request put_request(std::string_view key, std::string_view value, std::uint16_t port) const override {
        http_request req{bhttp::verb::post, "/v3/kv/put", 11};
        req.set(bhttp::field::host, fmt::format("127.0.0.1:{}", port));
        req.set(bhttp::field::content_type, "application/json");
        req.body() = fmt::format(R"({{"key":"{}","value":"{}"}})", base64(key), base64(value));
        req.prepare_payload();
        return req;
    }

    member_status status(std::uint16_t port, std::chrono::milliseconds timeout) const override {
        http::blocking_client c(fmt::format("http://127.0.0.1:{}", port), timeout);
        auto r = c.request(bhttp::verb::post, "/v3/maintenance/status", "{}");
        if (r.status != 200)
            throw std::runtime_error(fmt::format("POST /v3/maintenance/status: {} {}", r.status, r.body));
        auto doc = boost::json::parse(r.body);
        const auto& o = doc.as_object();
        member_status s;
        s.id = std::to_string(number_of(o.at("header").at("member_id")));
        if (auto* l = o.if_contains("leader"); l && number_of(*l) != 0) s.leader = std::to_string(number_of(*l));
        if (auto* a = o.if_contains("raftAppliedIndex")) s.applied = number_of(*a);
        if (auto* t = o.if_contains("raftTerm")) s.term = number_of(*t);
        return s;
    }

private:
    bool _no_fsync_flag = false;
};

} // namespace

std::unique_ptr<kv_system> etcd_system(bool fsync) { return std::make_unique<etcd>(fsync); }

} // namespace coronet::bench::kv_bench
