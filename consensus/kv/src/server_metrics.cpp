// What a KV node's GET /metrics serves. Every series is observed: read from
// the state Raft, its transport, the store and the HTTP server keep anyway,
// at the moment of the scrape (which runs on the node's executor).
#include <coronet/consensus/kv/server.hpp>

#include <array>
#include <string>

namespace coronet::consensus::kv {

namespace {

std::int64_t gauge_of(std::uint64_t v) { return static_cast<std::int64_t>(v); }

} // namespace

void server::register_metrics() {
    auto& m = _metrics;
    const auto& core = _node.raft();

    m.observe_gauge("coronet_raft_term", "The current Raft term.", {}, [&core] { return gauge_of(core.term()); });
    m.observe_gauge("coronet_raft_commit_index", "The highest log index known to be committed.", {},
                    [&core] { return gauge_of(core.commit()); });
    m.observe_gauge("coronet_raft_applied_index", "The highest log index applied to the store.", {},
                    [this] { return gauge_of(_node.status().applied); });
    m.observe_gauge("coronet_raft_last_index", "The index of the last entry in this node's log.", {},
                    [&core] { return gauge_of(core.log().last_index()); });
    m.observe_gauge("coronet_raft_leader", "The leader this node knows of (its id; 0: none).", {},
                    [&core] { return gauge_of(core.leader()); });
    m.observe_gauge("coronet_raft_voters", "Voting members in the configuration this node uses.", {},
                    [&core] { return gauge_of(core.members().voters.size()); });
    for (auto r : {raft::role::follower, raft::role::pre_candidate, raft::role::candidate, raft::role::leader})
        m.observe_gauge("coronet_raft_role", "1 for the role this node has now, 0 for the others.",
                        {{"role", std::string(raft::to_string(r))}}, [&core, r] { return core.role() == r ? 1 : 0; });
    for (const auto& [id, member] : _options.members) {
        if (id == _options.id) continue;
        auto peer = id;
        m.observe_gauge("coronet_raft_match_index",
                        "On the leader: the highest index known replicated on each follower (0 elsewhere).",
                        {{"peer", std::to_string(peer)}}, [&core, peer] {
                            auto it = core.progresses().find(peer);
                            return it == core.progresses().end() ? 0 : gauge_of(it->second.match());
                        });
    }
    m.observe_counter("coronet_raft_dropped_messages", "Raft messages the node dropped as stale or malformed.", {},
                      [this] { return _node.dropped(); });

    const auto& t = _transport.stats();
    auto transport_counter = [&](const char* name, const char* help, const std::uint64_t& field) {
        m.observe_counter(name, help, {}, [&field] { return field; });
    };
    transport_counter("coronet_raft_transport_sent_frames", "Raft frames written to a connection.", t.sent);
    transport_counter("coronet_raft_transport_received_messages", "Raft messages decoded and delivered.",
                      t.received);
    transport_counter("coronet_raft_transport_dropped_frames",
                      "Raft frames dropped: queue full, unknown peer, too large, lost in a failed write.", t.dropped);
    transport_counter("coronet_raft_transport_malformed_connections", "Inbound connections closed for a bad frame.",
                      t.malformed);
    transport_counter("coronet_raft_transport_reconnects", "Outbound connections made again after a loss.",
                      t.reconnects);
    transport_counter("coronet_raft_transport_connect_failures", "Outbound connection attempts that failed.",
                      t.connect_failures);

    m.observe_gauge("coronet_kv_keys", "Keys in this node's copy of the store.", {},
                    [this] { return gauge_of(_store.user_keys()); });
    m.observe_gauge("coronet_kv_client_sessions", "Client sessions remembered for exactly-once retries.", {},
                    [this] { return gauge_of(_store.sessions()); });

    m.observe_counter("coronet_http_requests", "HTTP requests answered.", {},
                      [this] { return _http.counters().requests; });
    m.observe_counter("coronet_http_refused", "HTTP requests refused as unparsable or too large.", {},
                      [this] { return _http.counters().refused; });
    m.observe_counter("coronet_http_failed", "HTTP requests whose handler failed (500).", {},
                      [this] { return _http.counters().failed; });
    m.observe_gauge("coronet_http_connections", "HTTP connections open now.", {},
                    [this] { return gauge_of(_http.counters().connections); });
}

} // namespace coronet::consensus::kv
