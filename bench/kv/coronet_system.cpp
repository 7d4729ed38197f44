// coronet's KV node as a system under test: this same executable run as
// `coronet kv serve`, its HTTP API (PUT /v1/kv/KEY, GET /v1/status).
#include "kv_system.hpp"

#include <coronet/transports/http_client.hpp>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace coronet::bench::kv_bench {

namespace {

namespace bhttp = boost::beast::http;

std::string self_executable() {
    char path[4096];
    auto n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "readlink /proc/self/exe");
    return std::string(path, static_cast<std::size_t>(n));
}

class coronet_kv final : public kv_system {
public:
    explicit coronet_kv(bool sequential) : _sequential(sequential) {
        name = sequential ? "coronet-sync" : "coronet-async";
        family = "coronet";
        program = self_executable();
        version = fmt::format("coronet kv serve (this build), --replication {}",
                              sequential ? "sequential" : "concurrent");
    }

    std::vector<std::string> member_args(std::size_t i, const std::vector<member_ports>& members,
                                         const std::filesystem::path& data_dir, bool fsync) const override {
        std::vector<std::string> args{"--log-level", "warn", "kv", "serve", "--id", std::to_string(i + 1),
                                      "--data-dir", data_dir.string(), "--replication",
                                      _sequential ? "sequential" : "concurrent"};
        if (!fsync) args.push_back("--no-fsync");
        for (std::size_t m = 0; m < members.size(); ++m) {
            args.push_back("--peer");
            args.push_back(fmt::format("{}=tcp://127.0.0.1:{}=127.0.0.1:{}", m + 1, members[m].peer,
                                       members[m].client));
        }
        return args;
    }

    http_request put_request(std::string_view key, std::string_view value, std::uint16_t port) const override {
        http_request req{bhttp::verb::put, fmt::format("/v1/kv/{}", key), 11};
        req.set(bhttp::field::host, fmt::format("127.0.0.1:{}", port));
        req.set(bhttp::field::content_type, "application/octet-stream");
        req.body() = value;
        req.prepare_payload();
        return req;
    }

    member_status status(std::uint16_t port, std::chrono::milliseconds timeout) const override {
        http::blocking_client c(fmt::format("http://127.0.0.1:{}", port), timeout);
        auto r = c.request(bhttp::verb::get, "/v1/status");
        if (r.status != 200) throw std::runtime_error(fmt::format("GET /v1/status: {} {}", r.status, r.body));
        auto doc = boost::json::parse(r.body);
        const auto& o = doc.as_object();
        auto leader = o.at("leader").to_number<std::uint64_t>();
        return {std::to_string(o.at("id").to_number<std::uint64_t>()), leader ? std::to_string(leader) : "",
                o.at("applied").to_number<std::uint64_t>(), o.at("term").to_number<std::uint64_t>()};
    }

private:
    bool _sequential;
};

} // namespace

std::unique_ptr<kv_system> coronet_system(bool sequential) { return std::make_unique<coronet_kv>(sequential); }

} // namespace coronet::bench::kv_bench
