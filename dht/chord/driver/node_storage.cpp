// The node's key-value side: serving get/put/del as a key's owner, pushing
// copies to successors, handing keys over, and the client calls that find a
// key's owner and ask it.
#include <coronet/dht/chord/node.hpp>

#include <coronet/clock.hpp>
#include <coronet/wait_until.hpp>

#include <boost/asio/as_tuple.hpp>

#include <algorithm>

namespace coronet::dht::chord {

void node::on_store(const store_message& m, const std::string& from) {
    switch (m.op) {
    case store_op::successor_probe:
        send(from, encode(answer_probe(m)));
        return;
    case store_op::reply:
        if (_probes.erase(m.rpc_id)) {
            on_probe_reply(m);
            return;
        }
        if (auto it = _requests.find(m.rpc_id); it != _requests.end()) {
            it->second->reply = m;
            it->second->wake.notify_all();
            _requests.erase(it);
        }
        return;
    case store_op::replicate:
        for (const auto& e : m.entries) _store.merge(e, _ticks);
        return;
    case store_op::put:
    case store_op::get:
    case store_op::del: {
        auto r = serve(m);
        r.rpc_id = m.rpc_id;
        send(from, encode(r));
        return;
    }
    }
}

store_message node::serve(const store_message& req) {
    ++_counters.store_requests;
    store_message r;
    r.op = store_op::reply;
    if (req.entries.size() != 1 || req.entries[0].key.empty() || (req.op == store_op::put && !req.entries[0].value)) {
        r.status = store_status::invalid;
        return r;
    }
    const auto& key = req.entries[0].key;
    if (!owns(_store.key_id(key))) {
        ++_counters.not_owner;
        r.status = store_status::not_owner;
        return r;
    }
    std::vector<store_entry> changed;
    if (req.op == store_op::get) {
        auto e = _store.get(key);
        if (e) r.entries.push_back(std::move(*e));
        else r.status = store_status::not_found;
        return r;
    }
    if (req.op == store_op::put) {
        changed.push_back(_store.write(key, req.entries[0].value, _ticks));
    } else if (_store.get(key)) {
        changed.push_back(_store.write(key, std::nullopt, _ticks)); // a tombstone
    } else {
        r.status = store_status::not_found;
        return r;
    }
    // The reply carries the version, not the value back.
    r.entries.push_back(store_entry{key, std::nullopt, changed.front().version});
    std::size_t sent = 0;
    for (const auto& s : _core.table().successors()) {
        if (sent + 1 >= _options.replicas) break;
        if (s.id == self().id) continue;
        _counters.replicated_out += push(s.address, changed);
        ++sent;
    }
    return r;
}

std::size_t node::push(const std::string& to, const std::vector<store_entry>& entries) {
    const std::size_t budget = std::min<std::size_t>(_socket.datagram_bytes_max(), 60000) - store_header_bytes;
    store_message m;
    m.op = store_op::replicate;
    std::size_t bytes = 0;
    auto flush = [&] {
        if (m.entries.empty()) return;
        send(to, encode(m));
        m.entries.clear();
        bytes = 0;
    };
    for (const auto& e : entries) {
        auto size = encoded_size(e);
        if (bytes + size > budget || m.entries.size() == _options.limits.entries_max) flush();
        m.entries.push_back(e);
        bytes += size;
    }
    flush();
    return entries.size();
}

void node::replicate() {
    const auto& pred = _core.predecessor();
    auto owned = pred ? _store.range(pred->id, self().id) : _store.all();
    if (owned.empty()) return;
    std::size_t sent = 0;
    for (const auto& s : _core.table().successors()) {
        if (sent + 1 >= _options.replicas) break;
        if (s.id == self().id) continue;
        _counters.replicated_out += push(s.address, owned);
        ++sent;
    }
}

void node::on_neighbours(const neighbours& n) {
    auto old = std::exchange(_neighbours, n);
    remember(n.successor);
    if (n.predecessor) remember(*n.predecessor);
    // A node that came between our old predecessor and us owns part of what
    // we held: hand it over now rather than at the next replication round,
    // so that a get routed to it right after it joined finds the key.
    if (!n.predecessor || n.predecessor->id == self().id) return;
    const auto& now = *n.predecessor;
    std::optional<peer> before = old ? old->predecessor : std::nullopt;
    if (before && (before->id == now.id || !in_open(now.id, before->id, self().id))) return;
    auto moving = _store.range(before ? before->id : self().id, now.id);
    if (!moving.empty()) _counters.handed_over += push(now.address, moving);
}

void node::check_key(const std::string& key) const {
    if (key.empty() || key.size() > _options.limits.key_bytes_max)
        throw request_error(request_error::kind::invalid,
                            "a key is 1.." + std::to_string(_options.limits.key_bytes_max) + " bytes");
}

asio::awaitable<store_message> node::store_call(store_op op, const std::string& key,
                                                std::optional<std::string> value) {
    check_running();
    check_key(key);
    if (value && value->size() > _options.limits.value_bytes_max)
        throw request_error(request_error::kind::invalid,
                            "a value is at most " + std::to_string(_options.limits.value_bytes_max) + " bytes");
    store_message req;
    req.op = op;
    req.entries.push_back(store_entry{key, std::move(value), 0});
    const auto key_id = _store.key_id(key);
    std::string why = "no attempt made";
    for (std::uint32_t attempt = 0; attempt < _options.attempts; ++attempt) {
        if (attempt > 0) {
            // Give the ring a stabilization round (two, then three…) to
            // settle around whatever went wrong: right after joins, or after
            // a crash, lookups fail until successors are right again.
            coronet::timer pause(_ex, clock_of(_ex));
            pause.expires_at(clock_of(_ex).now() + _options.tick * _core.config().stabilize_ticks * attempt);
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            check_running();
        }
        std::optional<lookup_result> found;
        try {
            found = co_await lookup(key_id, _options.style, _options.request_timeout);
        } catch (const request_error& e) {
            if (e.why() == request_error::kind::stopped || e.why() == request_error::kind::invalid) throw;
            why = e.what();
        }
        if (!found) continue;
        if (found->owner.id == self().id) {
            auto r = serve(req);
            if (r.status != store_status::not_owner) co_return r;
            why = "this node was named owner but does not own the key yet";
            continue;
        }
        auto rpc = _next_id++;
        req.rpc_id = rpc;
        auto c = std::make_shared<call>(_ex);
        _requests[rpc] = c;
        send(found->owner.address, encode(req));
        auto done = [&] { return c->reply.has_value() || c->cancelled; };
        bool answered = co_await wait_until(c->wake, done, _options.request_timeout);
        _requests.erase(rpc);
        check_running();
        if (!answered) {
            why = "the owner " + found->owner.address + " did not answer within " +
                  std::to_string(_options.request_timeout.count()) + " ms";
            continue;
        }
        if (c->reply->status == store_status::not_owner) {
            why = found->owner.address + " does not own the key (the ring is changing)";
            continue;
        }
        if (c->reply->status == store_status::invalid) throw request_error(request_error::kind::invalid, "refused as invalid");
        co_return std::move(*c->reply);
    }
    throw request_error(request_error::kind::timeout, std::string(to_string(op)) + " '" + key + "' failed after " +
                                                          std::to_string(_options.attempts) + " attempts: " + why);
}

asio::awaitable<std::optional<store_entry>> node::get(const std::string& key) {
    auto r = co_await store_call(store_op::get, key, std::nullopt);
    if (r.status != store_status::ok || r.entries.empty()) co_return std::nullopt;
    co_return std::move(r.entries.front());
}

asio::awaitable<std::uint64_t> node::put(const std::string& key, std::string value) {
    auto r = co_await store_call(store_op::put, key, std::move(value));
    co_return r.entries.empty() ? 0 : r.entries.front().version;
}

asio::awaitable<bool> node::del(const std::string& key) {
    auto r = co_await store_call(store_op::del, key, std::nullopt);
    co_return r.status == store_status::ok;
}

} // namespace coronet::dht::chord
