#pragma once
// What differs between the systems under test: how a member is started, what
// a put looks like on the wire, and how a member reports the leader. Both
// speak HTTP/1.1 with JSON, so one load generator drives both.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::bench::kv_bench {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// One member's loopback ports: where clients connect, where peers do.
struct member_ports {
    std::uint16_t client = 0;
    std::uint16_t peer = 0;
};

/// A member's own view of the cluster.
struct member_status {
    std::string id;          ///< the member's own id
    std::string leader;      ///< the leader's id; empty while none is known
    std::uint64_t applied = 0;
    std::uint64_t term = 0;  ///< Raft term: each election raises it
};

class kv_system {
public:
    virtual ~kv_system() = default;

    std::string name;        ///< "coronet-async", "coronet-sync", "etcd"
    std::string family;      ///< what --only selects: "coronet" or "etcd"
    std::string program;     ///< the executable
    std::string version;     ///< what it says about itself
    std::string not_runnable; ///< empty if it can run; else why not
    /// Set when the fsync setting asked for cannot be honoured (etcd 3.4
    /// has no --unsafe-no-fsync): what the system does instead.
    std::string fsync_note;

    /// Arguments for member `i` of `members`, keeping its data in `data_dir`
    /// (the same directory when it is restarted).
    virtual std::vector<std::string> member_args(std::size_t i, const std::vector<member_ports>& members,
                                                 const std::filesystem::path& data_dir, bool fsync) const = 0;
    /// A put of `value` at `key` sent to 127.0.0.1:port, keep-alive.
    virtual http_request put_request(std::string_view key, std::string_view value, std::uint16_t port) const = 0;
    /// Asks 127.0.0.1:port; throws if it does not answer within `timeout`.
    virtual member_status status(std::uint16_t port, std::chrono::milliseconds timeout) const = 0;
};

/// coronet's KV node (`coronet kv serve` of this executable); `sequential`
/// selects --replication sequential (sync), else concurrent (async).
std::unique_ptr<kv_system> coronet_system(bool sequential);
/// etcd, if installed, driven through its gRPC gateway (/v3/kv/put).
std::unique_ptr<kv_system> etcd_system(bool fsync);

} // namespace coronet::bench::kv_bench
