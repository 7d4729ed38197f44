#include <coronet/dht/chord/node_metrics.hpp>

namespace coronet::dht::chord {

namespace {

std::int64_t gauge_of(std::uint64_t v) { return static_cast<std::int64_t>(v); }

} // namespace

void register_metrics(metrics_registry& m, const node& n) {
    const auto& core = n.routing();
    const auto& mine = n.counters();
    const auto& seen = core.stats();
    auto counter = [&m](const char* name, const char* help, const std::uint64_t& field) {
        m.observe_counter(name, help, {}, [&field] { return field; });
    };

    counter("coronet_chord_lookups_succeeded", "Lookups started here that found the owner.",
            seen.lookups_succeeded);
    counter("coronet_chord_lookups_failed", "Lookups started here that failed (timeout, no route, hop limit).",
            seen.lookups_failed);
    counter("coronet_chord_lookups_answered", "Lookups answered to this node's callers (get/put/del included).",
            mine.lookups_answered);
    counter("coronet_chord_lookup_hops",
            "Routing hops of those lookups together; divided by lookups_answered, the mean path length.",
            mine.lookup_hops);
    counter("coronet_chord_messages_received", "Chord messages handed to the routing core.", seen.messages_received);
    counter("coronet_chord_messages_sent", "Chord messages the routing core sent.", seen.messages_sent);
    counter("coronet_chord_rpc_timeouts", "Requests a peer did not answer in time.", seen.rpc_timeouts);
    counter("coronet_chord_peers_failed", "Peers taken for dead (or for liars) and removed from the table.",
            seen.peers_failed);
    m.observe_counter("coronet_chord_messages_rejected", "Messages the core ignored (malformed, bogus, stale).", {},
                      [&seen] { return seen.rejected_total(); });
    counter("coronet_chord_datagrams_malformed", "Datagrams that failed to decode.", mine.malformed);
    counter("coronet_chord_datagrams_in", "Datagrams received.", mine.datagrams_in);
    counter("coronet_chord_datagrams_out", "Datagrams sent.", mine.datagrams_out);
    counter("coronet_chord_store_requests", "get/put/del served as the key's owner.", mine.store_requests);
    counter("coronet_chord_replicated_entries", "Entries pushed to successors as replicas.", mine.replicated_out);
    counter("coronet_chord_handed_over_entries", "Entries handed to a new predecessor or, on leave, the successor.",
            mine.handed_over);

    m.observe_gauge("coronet_chord_keys", "Entries this node holds, owned and replicated, tombstones included.", {},
                    [&n] { return gauge_of(n.data().size()); });
    m.observe_gauge("coronet_chord_successors", "Entries in the successor list.", {},
                    [&core] { return gauge_of(core.table().successors().size()); });
    m.observe_gauge("coronet_chord_has_predecessor", "1 if the node knows its predecessor.", {},
                    [&core] { return std::int64_t{core.predecessor().has_value()}; });
    m.observe_gauge("coronet_chord_joined", "1 while the node is in a ring.", {},
                    [&core] { return std::int64_t{core.state() == node_state::joined}; });
    m.observe_gauge("coronet_chord_pending_lookups", "Lookups in flight at this node.", {},
                    [&core] { return gauge_of(core.pending_lookups()); });
}

} // namespace coronet::dht::chord
