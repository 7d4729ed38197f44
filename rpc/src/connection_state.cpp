#include "connection_state.hpp"

#include <coronet/timer.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

namespace coronet::rpc::detail {

connection_state::connection_state(any_stream s, std::shared_ptr<service> bootstrap, connection_options o,
                                   logger_ptr log, mode m)
    : _stream(std::move(s)), _ex(_stream.get_executor()), _bootstrap(std::move(bootstrap)), _options(o),
      _log(log ? std::move(log) : make_logger("rpc")), _question_slot(_ex), _answer_slot(_ex), _writer(_ex),
      _send_room(_ex), _drained(_ex), _closed(_ex), _mode(m) {
    try {
        auto ep = _stream.remote_endpoint();
        _peer = ep.address().to_string() + ":" + std::to_string(ep.port());
    } catch (const std::exception&) {
        _peer = "peer";
    }
}

connection_state::~connection_state() = default;

asio::awaitable<void> connection_state::run() {
    auto self = shared_from_this();
    asio::co_spawn(_ex, write_loop(), [self](std::exception_ptr e) {
        if (e) self->close("writer failed");
        self->_writer_done = true;
        self->_drained.notify_all();
    });
    try {
        co_await read_loop();
        close("");
    } catch (const protocol_error& e) {
        _log->warn("rpc {}: {}; aborting the connection", _peer, e.what());
        close(e.what(), true);
    } catch (const boost::system::system_error& e) {
        close(e.code() == asio::error::operation_aborted ? "" : e.what());
    }
    // Every answer was cancelled by close(); wait for them and for the writer,
    // which sends what is queued (an Abort) before it stops, for at most a
    // second: a peer that does not read cannot hold the close up.
    coronet::timer give_up(_ex, clock_of(_ex));
    give_up.expires_at(clock_of(_ex).now() + std::chrono::seconds(1));
    give_up.async_wait([self](error_code ec) {
        if (!ec) self->_stream.cancel();
    });
    while (_answers_running > 0 || !_writer_done) co_await _drained.async_wait();
    give_up.cancel();
    _stream.close();
    _done = true;
    _closed.notify_all();
}

void connection_state::close(std::string reason, bool abort) {
    if (_closing) return;
    _closing = true;
    _close_reason = std::move(reason);
    if (abort) {
        auto m = new_message();
        auto a = m->init_root<capnp::rpc::Message>().initAbort();
        a.setReason(_close_reason);
        a.setType(capnp::rpc::Exception::Type::FAILED);
        _queue.push_back(std::move(m));
    }
    for (std::uint32_t id = 0; id < _questions.size(); ++id)
        if (_questions[id].handler) fail_question(id, asio::error::connection_aborted);
    for (auto& [id, a] : _answers)
        if (a->running) a->cancel.emit(asio::cancellation_type::terminal);
    for (auto& [id, a] : _one_ways) a->cancel.emit(asio::cancellation_type::terminal);
    _question_slot.notify_all();
    _answer_slot.notify_all();
    _send_room.notify_all();
    _writer.notify_all(); // sends what is queued, then stops
    // A reader blocked in a read is stopped; one that called close() itself
    // (a protocol error) just returns, and the writer can still send the Abort.
    if (_reading) _stream.cancel();
}

asio::awaitable<void> connection_state::closed() {
    auto self = shared_from_this();
    while (!_done) co_await _closed.async_wait();
}

// ---- questions -------------------------------------------------------------

std::uint32_t connection_state::new_question(question::kind k) {
    std::uint32_t id;
    if (!_free_questions.empty()) {
        id = _free_questions.back();
        _free_questions.pop_back();
    } else {
        id = static_cast<std::uint32_t>(_questions.size());
        _questions.emplace_back();
    }
    auto& q = _questions[id];
    q.what = k;
    q.in_use = true;
    q.awaiting_return = true;
    q.finish_sent = false;
    ++q.generation;
    ++_questions_out;
    return id;
}

void connection_state::free_question(std::uint32_t id) {
    auto& q = _questions[id];
    q.in_use = false;
    q.handler.reset();
    _free_questions.push_back(id);
}

void connection_state::fail_question(std::uint32_t id, error_code ec) {
    auto& slot = _questions[id].handler;
    if (!slot) return;
    auto h = std::move(*slot);
    slot.reset();
    asio::post(_ex, asio::append(std::move(h), return_outcome{ec, {}}));
}

void connection_state::send_finish(std::uint32_t id, bool release_result_caps) {
    auto& q = _questions[id];
    if (q.finish_sent) return;
    q.finish_sent = true;
    if (_closing) return;
    auto m = new_message();
    auto f = m->init_root<capnp::rpc::Message>().initFinish();
    f.setQuestionId(id);
    f.setReleaseResultCaps(release_result_caps);
    send(std::move(m), false);
}

asio::awaitable<inbound_ptr> connection_state::await_return(std::uint32_t id, std::optional<duration> timeout) {
    auto self = shared_from_this();
    std::optional<coronet::timer> deadline;
    if (timeout) {
        deadline.emplace(_ex, clock_of(_ex));
        deadline->expires_at(clock_of(_ex).now() + *timeout);
        // The generation tells a stale expiry (its question already answered
        // and the id reused) from a live one.
        deadline->async_wait([self, id, generation = _questions[id].generation](error_code ec) {
            auto& q = self->_questions[id];
            if (ec || q.generation != generation || !q.handler) return;
            self->send_finish(id, true); // the callee may stop working on it
            self->fail_question(id, asio::error::timed_out);
        });
    }
    // Named, not a temporary of the co_await expression: GCC 12 destroys such
    // temporaries twice, which would release `self` once too often.
    auto initiate = [self, id](return_handler h) {
        if (auto slot = asio::get_associated_cancellation_slot(h); slot.is_connected())
            slot.assign([self, id](asio::cancellation_type) {
                if (!self->_questions[id].in_use || !self->_questions[id].handler) return;
                self->send_finish(id, true); // Finish before Return: the callee cancels
                self->fail_question(id, asio::error::operation_aborted);
            });
        self->_questions[id].handler.emplace(std::move(h));
    };
    auto [ec, reply] =
        co_await asio::async_initiate<const asio::use_awaitable_t<>, void(return_outcome)>(initiate, asio::use_awaitable);
    if (deadline) deadline->cancel();
    if (ec == asio::error::connection_aborted)
        throw remote_error(exception_type::disconnected,
                           "connection to " + _peer + " lost" + (_close_reason.empty() ? "" : ": " + _close_reason));
    if (ec) throw boost::system::system_error(ec, "rpc call to " + _peer);
    co_return reply;
}

// ---- sending ---------------------------------------------------------------

void connection_state::close_when_sent() {
    if (_queue.empty() && _sending.empty()) return close("");
    _close_when_sent = true;
}

asio::awaitable<void> connection_state::post_one_way(std::uint64_t interface_id, std::uint16_t method_id,
                                                     kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill) {
    auto self = shared_from_this();
    while (!_closing && _queued_bytes > _options.send_queue_bytes_max) co_await _send_room.async_wait();
    if (_closing)
        throw remote_error(exception_type::disconnected,
                           "messenger to " + _peer + " is closed" + (_close_reason.empty() ? "" : ": " + _close_reason));
    auto m = new_message();
    auto c = m->init_root<capnp::rpc::Call>();
    c.setInterfaceId(interface_id);
    c.setMethodId(method_id);
    fill(c.initParams().getContent());
    send(std::move(m));
    ++_counts.calls_out;
}

void connection_state::send(std::unique_ptr<outbound_message> m, bool now) {
    if (_closing) return;
    _queued_bytes += m->frame().total_bytes;
    _queue.push_back(std::move(m));
    if (now) _writer.notify_one_now();
    else _writer.notify_one();
}

} // namespace coronet::rpc::detail
