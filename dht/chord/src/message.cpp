#include <coronet/dht/chord/message.hpp>

namespace coronet::dht::chord {
namespace {

std::string describe(const peer& p) { return p.id.to_hex() + "@" + p.address; }

} // namespace

std::string_view to_string(message_type t) {
    switch (t) {
    case message_type::find_next: return "find_next";
    case message_type::find_next_reply: return "find_next_reply";
    case message_type::find_successor: return "find_successor";
    case message_type::find_successor_ack: return "find_successor_ack";
    case message_type::lookup_result: return "lookup_result";
    case message_type::get_predecessor: return "get_predecessor";
    case message_type::predecessor_reply: return "predecessor_reply";
    case message_type::notify: return "notify";
    case message_type::ping: return "ping";
    case message_type::pong: return "pong";
    }
    return "unknown";
}

std::string describe(const message& m) {
    std::string out(to_string(m.type));
    out += " " + describe(m.from) + " -> " + m.to;
    if (m.rpc_id != 0) out += " rpc " + std::to_string(m.rpc_id);
    if (m.request_id != 0) out += " request " + std::to_string(m.request_id);
    switch (m.type) {
    case message_type::find_next:
    case message_type::find_successor:
    case message_type::lookup_result: out += " key " + m.key.to_hex() + " hops " + std::to_string(m.hops); break;
    default: break;
    }
    if (m.done) out += " done";
    if (m.final) out += " final";
    if (m.failure != errc{}) out += " failure " + make_error_code(m.failure).message();
    if (m.origin) out += " origin " + describe(*m.origin);
    if (m.node) out += " node " + describe(*m.node);
    auto list = [&](const char* name, const std::vector<peer>& peers) {
        if (peers.empty()) return;
        out += std::string(" ") + name + " [";
        for (std::size_t i = 0; i < peers.size(); ++i) out += (i ? " " : "") + describe(peers[i]);
        out += "]";
    };
    list("candidates", m.candidates);
    list("successors", m.successors);
    return out;
}

} // namespace coronet::dht::chord
