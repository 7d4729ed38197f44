#include <coronet/consensus/kv/server.hpp>

#include <coronet/consensus/kv/member_book.hpp>
#include <coronet/consensus/raft/disk_stable_store.hpp>

#include <coronet/transports/url.hpp>

#include <charconv>
#include <random>

namespace coronet::consensus::kv {

namespace {

/// host:port, as the --peer flag and `member::http` write it.
asio::ip::tcp::endpoint tcp_endpoint(const std::string& hostport) {
    return parse_url("tcp://" + hostport).tcp_endpoint();
}

std::string http_url_of(const std::string& hostport) { return "http://" + hostport; }

std::map<node_id, std::string> raft_peers(const server_options& o) {
    std::map<node_id, std::string> peers;
    for (const auto& [id, m] : o.members)
        if (id != o.id) peers[id] = m.raft_url;
    return peers;
}

http_api_options api_options(const server_options& o) {
    auto a = o.api;
    for (const auto& [id, m] : o.members) {
        a.http_urls.emplace(id, http_url_of(m.http));
        a.raft_urls.emplace(id, m.raft_url);
    }
    return a;
}

http::server_options http_options(const server_options& o, const metrics_registry& m) {
    auto h = o.http;
    h.metrics = &m;
    return h;
}

const member& self(const server_options& o) {
    auto it = o.members.find(o.id);
    if (o.id == 0 || it == o.members.end())
        throw std::invalid_argument("node id " + std::to_string(o.id) + " is not among the members");
    return it->second;
}

} // namespace

std::pair<node_id, member> parse_member(std::string_view spec) {
    auto first = spec.find('=');
    auto second = first == std::string_view::npos ? first : spec.find('=', first + 1);
    if (second == std::string_view::npos)
        throw std::invalid_argument("a member is ID=RAFT_URL=HOST:PORT, not '" + std::string(spec) + "'");
    node_id id = 0;
    auto digits = spec.substr(0, first);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc{} || end != digits.data() + digits.size() || id == 0)
        throw std::invalid_argument("a member id is a number above 0, not '" + std::string(digits) + "'");
    auto [raft_url, http] = parse_member_address(id, std::string(spec.substr(first + 1, second - first - 1)),
                                                 std::string(spec.substr(second + 1)));
    return {id, member{std::move(raft_url), std::move(http)}};
}

std::unique_ptr<raft::stable_store> server::open_storage(const server_options& o, const logger_ptr& log) {
    if (o.data_dir.empty()) return std::make_unique<raft::memory_stable_store>();
    raft::disk_stable_store_options d;
    d.wal.sync = o.sync;
    d.snapshots.sync = o.sync;
    return std::make_unique<raft::disk_stable_store>(o.data_dir, d, log);
}

raft::node_options server::node_options_for(const server_options& o) {
    auto n = o.node;
    n.raft.id = o.id;
    // A joining node starts knowing nobody as a voter: it follows whoever
    // leads, and the leader's log tells it the membership once it is added.
    if (n.raft.voters.empty() && n.raft.learners.empty() && !o.join)
        for (const auto& [id, m] : o.members) n.raft.voters.push_back(id);
    // Every process draws its own election timeouts, so restarted nodes do
    // not tie again with the same draws.
    if (n.raft.seed == 0) n.raft.seed = std::random_device{}();
    return n;
}

server::server(asio::any_io_executor ex, server_options o, logger_ptr log)
    : _options(std::move(o)), _log(log ? std::move(log) : make_logger("kv")), _store(_options.store),
      _stable(open_storage(_options, _log)),
      _transport(ex, _options.id, raft_peers(_options), _options.transport, _log),
      _node(ex, node_options_for(_options), _store, _transport, *_stable),
      _api(_node, _store, (std::uint64_t{std::random_device{}()} << 32 | std::random_device{}()) | 1,
           api_options(_options)),
      _http(ex, tcp_endpoint(self(_options).http),
            [this](const http::request& r) { return route(r); }, http_options(_options, _metrics), _log) {
    register_metrics();
    // Member addresses the log carries: those restored already, then each as
    // it applies. Nothing applies before this: the executor has not run yet.
    _store.watch_reserved([this](std::string_view key, const item* now) { learn_member(key, now); });
    for (const auto& [key, it] : _store.list(member_key_prefix(), 100'000)) learn_member(key, &it);
}

void server::learn_member(std::string_view key, const item* now) {
    // A deletion has no value: the id is in the key alone.
    auto [id, raft_url, http] = parse_member_entry(key, now ? std::string_view(now->value) : std::string_view("\n"));
    if (id == 0 || id == _options.id) return;
    if (now) {
        set_member(id, {raft_url, http});
        _log->info("kv node {}: member {} is at {} (HTTP {})", _options.id, id, raft_url, http);
    } else {
        _options.members.erase(id);
        _transport.remove_peer(id);
        _api.forget_urls(id);
        _log->info("kv node {}: forgot member {}'s addresses", _options.id, id);
    }
}

server::~server() = default;

asio::awaitable<http::response> server::route(const http::request& req) {
    if (_options.fault_injection && std::string_view(req.target()) == "/v1/faults/partition") co_return faults(req);
    co_return co_await _api.handle(req);
}

http::response server::faults(const http::request& req) {
    if (req.method() == http::verb::put) {
        std::string_view list = req.body();
        std::vector<node_id> ids;
        while (!list.empty()) {
            auto comma = list.find(',');
            auto item = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            node_id id = 0;
            auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
            if (ec != std::errc{} || end != item.data() + item.size() || id == 0)
                return http::json_error(http::status::bad_request, "the body is a comma-separated list of node ids");
            ids.push_back(id);
        }
        for (auto id : ids) _transport.block(id);
        _log->warn("fault injection: partitioned from {} node(s)", ids.size());
    } else if (req.method() == http::verb::delete_) {
        for (auto id : std::vector<node_id>(_transport.blocked().begin(), _transport.blocked().end()))
            _transport.block(id, false);
        _log->warn("fault injection: partition healed");
    } else if (req.method() != http::verb::get) {
        return http::json_error(http::status::method_not_allowed, "use GET, PUT or DELETE");
    }
    std::string body = "{\"blocked\":[";
    for (auto id : _transport.blocked()) body += (body.back() == '[' ? "" : ",") + std::to_string(id);
    return http::make_response(http::status::ok, body + "]}\n");
}

void server::start() {
    auto* n = &_node;
    _transport.start(self(_options).raft_url, [n](const raft::message& m) { n->receive(m); });
    _node.start();
    _http.start();
    _log->info("kv node {}: raft on {}, HTTP API on {}", _options.id, _transport.url(), _http.url());
}

asio::awaitable<void> server::stop() {
    co_await _http.stop();
    _node.stop();
    co_await _transport.stop();
}

void server::set_member(node_id id, const member& m) {
    if (id == _options.id) return;
    _options.members[id] = m;
    _transport.add_peer(id, m.raft_url);
    _api.set_urls(id, http_url_of(m.http), m.raft_url);
}

} // namespace coronet::consensus::kv
