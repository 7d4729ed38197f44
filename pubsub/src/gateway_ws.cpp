// One WebSocket: its own broker connection, a reader of the browser's
// requests, a pump per subscription, and one writer draining a bounded
// outbox (a slow browser loses the oldest messages, and is told how many).
#include "gateway_state.hpp"

#include <coronet/waiters.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <cstring>
#include <deque>
#include <map>

namespace coronet::pubsub::detail {

namespace websocket = boost::beast::websocket;
namespace json = boost::json;

namespace {

struct outgoing {
    bool binary = false;
    std::string data;
};

std::string binary_frame(std::string_view topic, std::span<const std::byte> payload) {
    std::string out(2 + topic.size() + payload.size(), '\0');
    auto n = static_cast<std::uint16_t>(topic.size());
    std::memcpy(out.data(), &n, 2);
    std::memcpy(out.data() + 2, topic.data(), topic.size());
    if (!payload.empty()) std::memcpy(out.data() + 2 + topic.size(), payload.data(), payload.size());
    return out;
}

class ws_session final : public closable, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(gateway_state& g, beast::tcp_stream stream)
        : _g(g), _ws(std::move(stream)), _wake(_ws.get_executor()), _tasks(_ws.get_executor()) {}

    void close() override {
        if (_closing) return;
        _closing = true;
        _broker.close(); // ends every pump's next()
        _wake.notify_all();
        beast::error_code ignored;
        beast::get_lowest_layer(_ws).socket().close(ignored);
    }

    asio::awaitable<void> run(http::request<http::string_body> req) {
        auto self = shared_from_this();
        _ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        _ws.read_message_max(_g.options.ws_message_max);
        co_await _ws.async_accept(req, asio::use_awaitable);
        std::string unreachable;
        try {
            _broker = co_await client::connect(_g.options.broker_url, _g.options.client);
        } catch (const std::exception& e) {
            unreachable = fmt::format("broker {} unavailable: {}", _g.options.broker_url, e.what());
        }
        if (!unreachable.empty()) {
            co_await say_and_close(unreachable); // not inside the catch: no co_await there
            co_return;
        }
        _tasks.spawn(write_loop());
        try {
            co_await read_loop();
        } catch (const std::exception& e) {
            _g.log->debug("gateway: WebSocket ended: {}", e.what());
        }
        close();
        _tasks.cancel();
        co_await _tasks.join();
    }

private:
    asio::awaitable<void> say_and_close(std::string why) {
        ++_g.counts.refused;
        auto text = json::serialize(json::object{{"op", "error"}, {"error", why}});
        co_await _ws.async_write(asio::buffer(text), asio::as_tuple(asio::use_awaitable));
        co_await _ws.async_close(websocket::close_code::try_again_later, asio::as_tuple(asio::use_awaitable));
    }

    asio::awaitable<void> read_loop() {
        beast::flat_buffer buf;
        while (!_closing) {
            buf.clear();
            auto [ec, n] = co_await _ws.async_read(buf, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return; // closed by the browser, or broken
            if (_ws.got_binary()) co_await on_binary(buf);
            else co_await on_text(beast::buffers_to_string(buf.data()));
        }
    }

    asio::awaitable<void> on_binary(const beast::flat_buffer& buf) {
        auto bytes = std::span(static_cast<const std::byte*>(buf.data().data()), buf.size());
        std::uint16_t n = 0;
        if (bytes.size() < 2 || (std::memcpy(&n, bytes.data(), 2), bytes.size() < 2u + n))
            co_return refuse("binary frame: expected u16 topic length, topic, payload");
        auto topic = wire::as_text(bytes.subspan(2, n));
        co_await publish(topic, bytes.subspan(2 + n));
    }

    asio::awaitable<void> on_text(const std::string& text) {
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        if (ec || !v.is_object()) co_return refuse("expected a JSON object such as {\"op\":\"sub\",\"pattern\":\"a.>\"}");
        auto& o = v.as_object();
        auto str = [&](const char* key) -> std::string {
            auto* p = o.if_contains(key);
            return p && p->is_string() ? std::string(p->as_string()) : std::string();
        };
        auto op = str("op");
        if (op == "pub") {
            auto data = str("data");
            co_return co_await publish(str("topic"), wire::as_bytes(data));
        }
        if (op == "sub") {
            auto pattern = str("pattern");
            auto* bin = o.if_contains("binary");
            bool binary = bin && bin->is_bool() && bin->as_bool();
            if (_subs.contains(pattern)) co_return refuse(fmt::format("already subscribed to {}", pattern));
            std::optional<subscription> s;
            try {
                s = co_await _broker.subscribe(pattern, str("group"));
            } catch (const broker_error& e) {
                co_return refuse(e.what());
            }
            _subs.emplace(pattern, *s);
            _tasks.spawn(pump(std::move(*s), binary));
            co_return send({false, json::serialize(json::object{{"op", "ok"}, {"for", "sub"}, {"pattern", pattern}})});
        }
        if (op == "unsub") {
            auto pattern = str("pattern");
            auto it = _subs.find(pattern);
            if (it == _subs.end()) co_return refuse(fmt::format("not subscribed to {}", pattern));
            it->second.unsubscribe();
            _subs.erase(it);
            co_return send({false, json::serialize(json::object{{"op", "ok"}, {"for", "unsub"}, {"pattern", pattern}})});
        }
        refuse(fmt::format("unknown op \"{}\" (sub, unsub or pub)", op));
    }

    asio::awaitable<void> publish(std::string_view topic, std::span<const std::byte> payload) {
        try {
            co_await _broker.publish(topic, payload);
            ++_g.counts.published;
        } catch (const broker_error& e) {
            refuse(e.what());
        }
    }

    /// Moves a subscription's messages to the outbox until it ends.
    asio::awaitable<void> pump(subscription s, bool binary) {
        try {
            for (;;) {
                auto m = co_await s.next();
                if (binary) {
                    send({true, binary_frame(m.topic, m.payload)});
                    continue;
                }
                json::object j{{"op", "msg"}, {"topic", m.topic}, {"seq", m.seq}, {"data", m.text()}};
                if (m.retained) j["retained"] = true;
                if (_missed) j["missed"] = std::exchange(_missed, 0);
                send({false, json::serialize(j)});
            }
        } catch (const broker_error&) {
            // unsubscribed, or the session is closing
        }
    }

    void refuse(std::string why) {
        ++_g.counts.refused;
        send({false, json::serialize(json::object{{"op", "error"}, {"error", why}})});
    }

    void send(outgoing m) {
        if (_outbox.size() >= _g.options.outbox_messages) {
            _outbox.pop_front();
            ++_missed;
            ++_g.counts.dropped;
        }
        _outbox.push_back(std::move(m));
        _wake.notify_one();
    }

    asio::awaitable<void> write_loop() {
        auto self = shared_from_this();
        while (!_closing) {
            if (_outbox.empty()) {
                co_await _wake.async_wait();
                continue;
            }
            auto m = std::move(_outbox.front());
            _outbox.pop_front();
            _ws.binary(m.binary);
            auto [ec, n] = co_await _ws.async_write(asio::buffer(m.data), asio::as_tuple(asio::use_awaitable));
            if (ec) co_return close();
            ++_g.counts.delivered;
        }
    }

    gateway_state& _g;
    websocket::stream<beast::tcp_stream> _ws;
    client _broker;
    std::map<std::string, subscription> _subs;
    std::deque<outgoing> _outbox;
    std::uint64_t _missed = 0;
    waiters _wake;
    task_group _tasks;
    bool _closing = false;
};

} // namespace

asio::awaitable<void> gateway_state::websocket(beast::tcp_stream stream, http::request<http::string_body> req) {
    auto self = shared_from_this();
    auto s = std::make_shared<ws_session>(*this, std::move(stream));
    open.push_back(s);
    ++counts.websockets;
    try {
        co_await s->run(std::move(req));
    } catch (const std::exception& e) {
        log->info("gateway: WebSocket failed: {}", e.what());
    }
    s->close();
    --counts.websockets;
}

} // namespace coronet::pubsub::detail
