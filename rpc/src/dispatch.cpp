// Messages in: what each rpc.capnp message does to the four tables.
#include "connection_state.hpp"

#include <algorithm>

#include <boost/asio/append.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>

#include <coronet/metrics.hpp>

#include <capnp/capability.h>
#include <kj/exception.h>

namespace coronet::rpc::detail {

using Message = capnp::rpc::Message;

namespace {

std::string describe(const kj::Exception& e) { return std::string(e.getDescription().cStr()); }

} // namespace

void connection_state::handle(inbound_ptr m) {
    ++_counts.messages_in;
    try {
        if (_one_way_peer) return on_one_way(m);
        auto msg = m->root<Message>();
        switch (msg.which()) {
        case Message::CALL: return on_call(m, msg.getCall());
        case Message::RETURN: return on_return(m, msg.getReturn());
        case Message::FINISH: return on_finish(msg.getFinish());
        case Message::BOOTSTRAP: return on_bootstrap(msg.getBootstrap());
        case Message::RELEASE: return on_release(msg.getRelease());
        case Message::ABORT: {
            auto reason = std::string(msg.getAbort().getReason().cStr());
            _log->info("rpc {}: peer aborted: {}", _peer, reason);
            return close("peer aborted: " + reason);
        }
        case Message::UNIMPLEMENTED: return on_unimplemented(msg.getUnimplemented());
        default:
            // Level 1+ (Resolve, Disembargo, Provide, Accept, Join) and
            // anything newer: the protocol's answer is to echo it back.
            ++_counts.unimplemented_in;
            return send_unimplemented(m);
        }
    } catch (const kj::Exception& e) {
        // Out-of-bounds pointers, traversal or nesting limits: the message
        // cannot be trusted, and neither can the connection.
        throw protocol_error("malformed message: " + describe(e));
    }
}

void connection_state::send_unimplemented(const inbound_ptr& original) {
    // The echo is a deep copy, and pointers may share their targets: a small
    // message whose pointers all reach one big list would copy into one up to
    // the traversal limit (the fuzzer found 72 KB becoming 64 MB). Copying
    // through a reader that may visit no more words than the frame holds
    // keeps the echo no larger than what was received.
    capnp::ReaderOptions o;
    o.traversalLimitInWords = original->bytes() / sizeof(capnp::word);
    o.nestingLimit = _options.limits.nesting_max;
    capnp::SegmentArrayMessageReader bounded(original->segments(), o);
    auto m = new_message();
    m->init_root<Message>().setUnimplemented(bounded.getRoot<Message>());
    send(std::move(m));
}

void connection_state::on_unimplemented(Message::Reader original) {
    // The peer does not know something we sent. A Call or Bootstrap it could
    // not handle fails that question; anything else we sent is optional.
    std::optional<std::uint32_t> id;
    if (original.isCall()) id = original.getCall().getQuestionId();
    else if (original.isBootstrap()) id = original.getBootstrap().getQuestionId();
    if (!id || *id >= _questions.size() || !_questions[*id].in_use) return;
    auto& q = _questions[*id];
    q.awaiting_return = false;
    --_questions_out;
    _question_slot.notify_one();
    q.finish_sent = true; // there is no answer to finish
    fail_question(*id, asio::error::operation_not_supported);
    free_question(*id);
}

// ---- calls we answer -------------------------------------------------------

void connection_state::on_call(const inbound_ptr& m, capnp::rpc::Call::Reader c) {
    auto id = c.getQuestionId();
    if (_answers.contains(id)) throw protocol_error("Call reuses question id " + std::to_string(id) + " still in use");
    ++_counts.calls_in;
    auto& a = _answers[id];
    if (!_spare_answers.empty()) {
        a = std::move(_spare_answers.back());
        _spare_answers.pop_back();
    } else {
        a = std::make_unique<answer>();
    }
    a->returned = a->finished = a->running = false;
    a->result_export.reset();
    if (_options.call_latency) a->started = std::chrono::steady_clock::now();

    // Level 0 targets: an export, or the answer to a Bootstrap (which is
    // how the reference client pipelines its first call).
    std::shared_ptr<service> target;
    auto t = c.getTarget();
    if (t.isImportedCap()) {
        auto e = t.getImportedCap();
        if (e < _exports.size() && _exports[e].object) target = _exports[e].object;
        else return send_exception_return(id, exception_type::failed, "Call to unknown export id " + std::to_string(e));
    } else if (t.isPromisedAnswer()) {
        auto p = t.getPromisedAnswer();
        auto it = _answers.find(p.getQuestionId());
        if (it == _answers.end() || !it->second->result_export)
            return send_exception_return(id, exception_type::failed,
                                         "Call pipelined on question " + std::to_string(p.getQuestionId()) +
                                             ", which has no capability to call");
        for (auto op : p.getTransform())
            if (!op.isNoop())
                return send_exception_return(id, exception_type::unimplemented,
                                             "promise pipelining into call results is not supported (Level 0)");
        target = _exports[*it->second->result_export].object;
    } else {
        return send_unimplemented(m);
    }
    if (!target->implements(c.getInterfaceId())) {
        ++_counts.unimplemented_in;
        return send_exception_return(id, exception_type::unimplemented,
                                     "interface " + std::string(target->interface_name()) +
                                         " does not implement interface id " + std::to_string(c.getInterfaceId()));
    }
    // Results are built straight into the Return that carries them.
    auto reply = new_message();
    auto ret = reply->init_root<Message>().initReturn();
    ret.setAnswerId(id);
    a->running = true;
    ++_answers_running;
    auto slot = a->cancel.slot();
    asio::co_spawn(_ex, answer_call(m, id, std::move(target), std::move(reply)),
                   asio::bind_cancellation_slot(slot, [self = shared_from_this(), id, a = a.get()](std::exception_ptr) {
                       // answer_call handles every exception itself.
                       self->answer_done(id, a);
                   }));
}

asio::awaitable<void> connection_state::answer_call(inbound_ptr m, std::uint32_t id, std::shared_ptr<service> target,
                                                    std::unique_ptr<outbound_message> reply) {
    auto c = m->root<Message>().getCall();
    auto results = reply->builder().getRoot<Message>().getReturn().initResults();
    incoming_call call(call_context(c.getInterfaceId(), c.getMethodId(), false), c.getParams().getContent(),
                       results.getContent());
    std::optional<std::pair<exception_type, std::string>> failure;
    try {
        co_await target->dispatch(c.getInterfaceId(), c.getMethodId(), call);
    } catch (const remote_error& e) {
        failure.emplace(e.type(), e.reason());
    } catch (const boost::system::system_error& e) {
        failure.emplace(exception_type::failed, e.what());
    } catch (const kj::Exception& e) {
        failure.emplace(exception_type::failed, describe(e));
    } catch (const std::exception& e) {
        failure.emplace(exception_type::failed, e.what());
    }
    auto it = _answers.find(id);
    if (it == _answers.end() || _closing) co_return;
    auto& a = *it->second;
    if (a.finished) {
        // The caller cancelled: the protocol still wants a Return.
        ++_counts.cancelled_in;
        auto r = new_message();
        auto ret = r->init_root<Message>().initReturn();
        ret.setAnswerId(id);
        ret.setCanceled();
        send(std::move(r));
    } else if (failure) {
        if (failure->first == exception_type::unimplemented) ++_counts.unimplemented_in;
        send_exception_return(id, failure->first, failure->second);
    } else {
        send(std::move(reply));
    }
    if (_options.call_latency)
        _options.call_latency->record(
            static_cast<std::uint64_t>((std::chrono::steady_clock::now() - a.started).count()));
    a.returned = true;
    // Found again: sending may have run the writer, and the table with it.
    if (auto again = _answers.find(id); a.finished && again != _answers.end()) settle_answer(again);
}

void connection_state::settle_answer(answer_map::iterator it) {
    // Returned and finished: the peer may reuse the id at once, even while
    // the coroutine that answered is still winding down.
    if (it->second->running) _settling.push_back(std::move(it->second));
    else _spare_answers.push_back(std::move(it->second));
    _answers.erase(it);
}

void connection_state::answer_done(std::uint32_t id, answer* done) {
    --_answers_running;
    _answer_slot.notify_one();
    if (_closing) _drained.notify_all();
    done->running = false;
    auto it = _answers.find(id);
    if (it == _answers.end() || it->second.get() != done) {
        // Settled already, and the id perhaps reused by a new call.
        auto s = std::find_if(_settling.begin(), _settling.end(), [done](auto& p) { return p.get() == done; });
        if (s == _settling.end()) return;
        _spare_answers.push_back(std::move(*s));
        _settling.erase(s);
        return;
    }
    if (!done->returned && !_closing) {
        // Only reachable if answer_call could not even start: answer anyway.
        send_exception_return(id, exception_type::failed, "call was not run");
        return;
    }
    if (done->finished) settle_answer(it);
}

void connection_state::send_exception_return(std::uint32_t id, exception_type type, std::string_view reason) {
    ++_counts.failed_in;
    auto m = new_message();
    auto ret = m->init_root<Message>().initReturn();
    ret.setAnswerId(id);
    auto e = ret.initException();
    e.setReason(std::string(reason));
    e.setType(static_cast<capnp::rpc::Exception::Type>(type));
    send(std::move(m));
    if (auto it = _answers.find(id); it != _answers.end()) it->second->returned = true;
}

void connection_state::on_finish(capnp::rpc::Finish::Reader f) {
    auto it = _answers.find(f.getQuestionId());
    if (it == _answers.end())
        throw protocol_error("Finish for unknown question id " + std::to_string(f.getQuestionId()));
    auto& a = *it->second;
    if (a.finished) throw protocol_error("Finish sent twice for question id " + std::to_string(f.getQuestionId()));
    a.finished = true;
    if (a.result_export && f.getReleaseResultCaps()) {
        auto& e = _exports[*a.result_export];
        if (e.refcount > 0 && --e.refcount == 0) e.object = nullptr;
    }
    if (a.running && !a.returned) {
        a.cancel.emit(asio::cancellation_type::terminal); // its Return says canceled
        return;
    }
    settle_answer(it);
}

// ---- one-way messages (coronet's extension) ---------------------------------

void connection_state::on_one_way(const inbound_ptr& m) {
    auto c = m->root<capnp::rpc::Call>();
    ++_counts.calls_in;
    if (!_bootstrap || !_bootstrap->implements(c.getInterfaceId())) {
        // Nobody to tell: count it, and say so once in a while in the log.
        if (++_counts.unimplemented_in == 1)
            _log->warn("rpc {}: one-way message for interface {} that is not served here", _peer,
                       c.getInterfaceId());
        return;
    }
    auto id = _one_way_next++;
    auto& a = _one_ways[id];
    a = std::make_unique<answer>();
    a->running = true;
    ++_answers_running;
    auto slot = a->cancel.slot();
    asio::co_spawn(_ex, run_one_way(m, _bootstrap),
                   asio::bind_cancellation_slot(slot, [self = shared_from_this(), id](std::exception_ptr) {
                       self->_one_ways.erase(id);
                       --self->_answers_running;
                       self->_answer_slot.notify_one();
                       if (self->_closing) self->_drained.notify_all();
                   }));
}

asio::awaitable<void> connection_state::run_one_way(inbound_ptr m, std::shared_ptr<service> target) {
    auto c = m->root<capnp::rpc::Call>();
    // Results go nowhere, but the method still gets a builder to fill.
    auto scratch = new_message();
    incoming_call call(call_context(c.getInterfaceId(), c.getMethodId(), true), c.getParams().getContent(),
                       scratch->builder().getRoot<capnp::AnyPointer>());
    try {
        co_await target->dispatch(c.getInterfaceId(), c.getMethodId(), call);
    } catch (const std::exception& e) {
        _log->debug("rpc {}: one-way message failed: {}", _peer, e.what());
    } catch (const kj::Exception& e) {
        _log->debug("rpc {}: one-way message failed: {}", _peer, describe(e));
    }
}

// ---- bootstrap and exports --------------------------------------------------

std::uint32_t connection_state::export_bootstrap() {
    if (!_bootstrap_export || !_exports[*_bootstrap_export].object) {
        _bootstrap_export = static_cast<std::uint32_t>(_exports.size());
        for (std::uint32_t i = 0; i < _exports.size(); ++i)
            if (!_exports[i].object) {
                _bootstrap_export = i;
                break;
            }
        if (*_bootstrap_export == _exports.size()) _exports.emplace_back();
        _exports[*_bootstrap_export] = {_bootstrap, 0};
    }
    ++_exports[*_bootstrap_export].refcount;
    return *_bootstrap_export;
}

void connection_state::on_bootstrap(capnp::rpc::Bootstrap::Reader b) {
    auto id = b.getQuestionId();
    if (_answers.contains(id))
        throw protocol_error("Bootstrap reuses question id " + std::to_string(id) + " still in use");
    auto& a = _answers[id];
    a = std::make_unique<answer>();
    if (!_bootstrap) return send_exception_return(id, exception_type::failed, "this peer offers no bootstrap capability");
    auto e = export_bootstrap();
    a->result_export = e;
    a->returned = true;
    auto m = new_message();
    auto ret = m->init_root<Message>().initReturn();
    ret.setAnswerId(id);
    auto results = ret.initResults();
    // A capability pointer to entry 0 of the cap table. capnp writes one only
    // through a cap table, so one is lent for the call.
    capnp::BuilderCapabilityTable table;
    table.imbue(results.getContent()).setAs<capnp::Capability>(capnp::Capability::Client(capnp::newBrokenCap("export")));
    results.initCapTable(1)[0].setSenderHosted(e);
    send(std::move(m));
}

void connection_state::release_import(std::uint32_t id) {
    auto it = _imports.find(id);
    if (it == _imports.end()) return;
    if (--it->second.remote_refcount == 0) _imports.erase(it);
    if (_closing) return;
    auto m = new_message();
    auto r = m->init_root<Message>().initRelease();
    r.setId(id);
    r.setReferenceCount(1);
    send(std::move(m), false);
}

void connection_state::on_release(capnp::rpc::Release::Reader r) {
    auto id = r.getId();
    if (id >= _exports.size() || !_exports[id].object)
        throw protocol_error("Release of unknown export id " + std::to_string(id));
    auto& e = _exports[id];
    if (r.getReferenceCount() > e.refcount)
        throw protocol_error("Release of " + std::to_string(r.getReferenceCount()) + " references to export " +
                             std::to_string(id) + ", which has " + std::to_string(e.refcount));
    e.refcount -= r.getReferenceCount();
    if (e.refcount == 0) e.object = nullptr;
}

// ---- calls we make ---------------------------------------------------------

void connection_state::on_return(const inbound_ptr& m, capnp::rpc::Return::Reader r) {
    auto id = r.getAnswerId();
    if (id >= _questions.size() || !_questions[id].in_use || !_questions[id].awaiting_return)
        throw protocol_error("Return for unknown question id " + std::to_string(id));
    auto& q = _questions[id];
    q.awaiting_return = false;
    --_questions_out;
    _question_slot.notify_one();
    bool import_result = false;
    if (q.handler && q.what == question::kind::bootstrap && r.isResults()) {
        auto table = r.getResults().getCapTable();
        if (table.size() == 1 && table[0].isSenderHosted()) {
            ++_imports[table[0].getSenderHosted()].remote_refcount;
            import_result = true;
        }
    }
    std::optional<return_handler> h;
    if (q.handler) {
        h.emplace(std::move(*q.handler));
        q.handler.reset();
    }
    // Level 0 never pipelines on results, so it is done with them at once.
    send_finish(id, !import_result);
    free_question(id);
    // The caller resumes here and now, not after a trip through the
    // scheduler: the question is settled, and the reader re-checks its state
    // when this returns.
    if (h) asio::dispatch(_ex, asio::append(std::move(*h), return_outcome{{}, m}));
}

asio::awaitable<capability> connection_state::bootstrap() {
    auto self = shared_from_this();
    if (_closing) throw remote_error(exception_type::disconnected, "connection to " + _peer + " is closed");
    auto id = new_question(question::kind::bootstrap);
    auto m = new_message();
    m->init_root<Message>().initBootstrap().setQuestionId(id);
    send(std::move(m));
    auto reply = co_await await_return(id, _options.call_timeout);
    auto ret = reply->root<Message>().getReturn();
    if (ret.isException()) {
        auto e = ret.getException();
        throw remote_error(static_cast<exception_type>(e.getType()), e.getReason().cStr());
    }
    if (!ret.isResults()) throw remote_error(exception_type::failed, "Bootstrap was not answered with results");
    auto table = ret.getResults().getCapTable();
    if (table.size() != 1 || !table[0].isSenderHosted())
        throw remote_error(exception_type::unimplemented,
                           "the bootstrap capability is not a plain export (promises need Level 1)");
    co_return capability(std::make_shared<capability::import_ref>(self, table[0].getSenderHosted()));
}

asio::awaitable<inbound_ptr> connection_state::call(std::uint32_t import_id, std::uint64_t interface_id,
                                                    std::uint16_t method_id,
                                                    kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill,
                                                    call_options o) {
    auto self = shared_from_this();
    while (!_closing && (_questions_out >= _options.outgoing_calls_max || _queued_bytes > _options.send_queue_bytes_max)) {
        if (_questions_out >= _options.outgoing_calls_max) co_await _question_slot.async_wait();
        else co_await _send_room.async_wait();
    }
    if (_closing)
        throw remote_error(exception_type::disconnected,
                           "connection to " + _peer + " is closed" + (_close_reason.empty() ? "" : ": " + _close_reason));
    auto m = new_message();
    auto c = m->init_root<Message>().initCall();
    c.initTarget().setImportedCap(import_id);
    c.setInterfaceId(interface_id);
    c.setMethodId(method_id);
    fill(c.initParams().getContent());
    auto id = new_question(question::kind::call);
    c.setQuestionId(id);
    send(std::move(m));
    ++_counts.calls_out;
    auto reply = co_await await_return(id, o.timeout ? o.timeout : _options.call_timeout);
    auto ret = reply->root<Message>().getReturn();
    switch (ret.which()) {
    case capnp::rpc::Return::RESULTS: co_return reply;
    case capnp::rpc::Return::EXCEPTION: {
        auto e = ret.getException();
        auto type = static_cast<std::uint16_t>(e.getType());
        throw remote_error(type <= 3 ? static_cast<exception_type>(type) : exception_type::failed,
                           e.getReason().cStr());
    }
    case capnp::rpc::Return::CANCELED:
        throw boost::system::system_error(asio::error::operation_aborted, "rpc call cancelled by the callee");
    default: throw remote_error(exception_type::unimplemented, "Return kind needs Level 1+ (not supported)");
    }
}

} // namespace coronet::rpc::detail

