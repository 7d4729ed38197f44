#pragma once
// The protocol engine behind rpc::connection. Level 0 of Cap'n Proto RPC with
// the four tables in the shape Level 1 needs: questions (calls we made, by our
// id), answers (calls we answer, by the peer's id), exports (our objects the
// peer references, counted) and imports (the peer's objects we reference).

#include <coronet/waiters.hpp>

#include <coronet/rpc/connection.hpp>
#include <coronet/rpc/message.hpp>

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include <capnp/rpc.capnp.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace coronet::rpc::detail {

using boost::system::error_code;
struct return_outcome {
    error_code ec;
    inbound_ptr reply;
};
// The awaiting coroutine's own handler type, not a boxed one: no allocation.
using return_handler = asio::async_result<asio::use_awaitable_t<>, void(return_outcome)>::handler_type;

struct question {
    enum class kind { call, bootstrap };
    kind what = kind::call;
    bool in_use = false;
    bool awaiting_return = false;
    bool finish_sent = false;
    std::uint64_t generation = 0; // bumped each time the id is reused
    std::optional<return_handler> handler; // empty once the caller gave up (cancelled, timed out)
};

struct answer {
    asio::cancellation_signal cancel;
    bool returned = false;
    bool finished = false; // the caller sent Finish
    bool running = false;
    std::optional<std::uint32_t> result_export; // a Return whose content is one of our caps (bootstrap)
    std::chrono::steady_clock::time_point started; // set only when connection_options::call_latency is
};

struct export_entry {
    std::shared_ptr<service> object;
    std::uint32_t refcount = 0; // references the peer holds: one per time we sent it
};

struct import_entry {
    // Times the peer sent it and we have not released: one capability::import_ref each.
    std::uint32_t remote_refcount = 0;
};

class connection_state : public std::enable_shared_from_this<connection_state> {
public:
    /// rpc: the standard protocol (a server also accepts one-way peers, told
    /// apart by their preface); one_way_sender: a messenger.
    enum class mode { rpc, one_way_sender };
    connection_state(any_stream s, std::shared_ptr<service> bootstrap, connection_options o, logger_ptr log,
                     mode m = mode::rpc);
    ~connection_state();

    asio::any_io_executor executor() const { return _ex; }
    const connection_options& options() const { return _options; }

    /// Reads, dispatches and writes until closed; owns every coroutine the
    /// connection starts and returns once they have all ended.
    asio::awaitable<void> run();
    /// Fails every question, cancels every answer, sends `abort_reason` as an
    /// Abort if given, and closes the stream once the queue is written.
    void close(std::string reason, bool abort = false);
    bool is_open() const { return !_closing; }
    const std::string& close_reason() const { return _close_reason; }
    asio::awaitable<void> closed();
    const connection_counters& counters() const { return _counts; }

    asio::awaitable<capability> bootstrap();
    asio::awaitable<inbound_ptr> call(std::uint32_t import_id, std::uint64_t interface_id, std::uint16_t method_id,
                                      kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill, call_options o);
    void release_import(std::uint32_t id);
    /// messenger: queues one one-way message (waits while the queue is full).
    asio::awaitable<void> post_one_way(std::uint64_t interface_id, std::uint16_t method_id,
                                       kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill);
    /// Closes once everything queued has been written.
    void close_when_sent();

private:
    // reader.cpp
    asio::awaitable<void> read_loop();
    std::shared_ptr<receive_block> spare_block(std::size_t bytes);
    // writer.cpp
    asio::awaitable<void> write_loop();
    asio::awaitable<std::tuple<error_code, std::size_t>> write_all(std::vector<asio::const_buffer>& buffers);
    // dispatch.cpp
    void handle(inbound_ptr m);
    void on_call(const inbound_ptr& m, capnp::rpc::Call::Reader c);
    void on_return(const inbound_ptr& m, capnp::rpc::Return::Reader r);
    void on_finish(capnp::rpc::Finish::Reader f);
    void on_bootstrap(capnp::rpc::Bootstrap::Reader b);
    void on_release(capnp::rpc::Release::Reader r);
    void on_unimplemented(capnp::rpc::Message::Reader original);
    void on_one_way(const inbound_ptr& m);
    asio::awaitable<void> run_one_way(inbound_ptr m, std::shared_ptr<service> target);
    void send_unimplemented(const inbound_ptr& original);
    asio::awaitable<void> answer_call(inbound_ptr m, std::uint32_t answer_id, std::shared_ptr<service> target,
                                      std::unique_ptr<outbound_message> reply);
    void send_exception_return(std::uint32_t answer_id, exception_type type, std::string_view reason);
    using answer_map = boost::unordered_flat_map<std::uint32_t, std::unique_ptr<answer>>;
    void answer_done(std::uint32_t answer_id, answer* done);
    void settle_answer(answer_map::iterator it);
    std::uint32_t export_bootstrap();

    // questions
    std::uint32_t new_question(question::kind k);
    void free_question(std::uint32_t id);
    void fail_question(std::uint32_t id, error_code ec);
    void send_finish(std::uint32_t id, bool release_result_caps);
    asio::awaitable<inbound_ptr> await_return(std::uint32_t id, std::optional<duration> timeout);

    // messages out
    std::unique_ptr<outbound_message> new_message() { return std::make_unique<outbound_message>(_segments); }
    /// `now`: the writer runs at once if idle. Otherwise (Finish, Release:
    /// nobody waits for them) it runs after the current handler, so they ride
    /// along with whatever is sent next, as they do in a busy connection.
    void send(std::unique_ptr<outbound_message> m, bool now = true);

    any_stream _stream;
    asio::any_io_executor _ex;
    std::shared_ptr<service> _bootstrap;
    connection_options _options;
    logger_ptr _log;
    std::string _peer;

    segment_pool _segments;
    std::vector<std::shared_ptr<receive_block>> _spares;

    std::vector<question> _questions;
    std::vector<std::uint32_t> _free_questions;
    std::size_t _questions_out = 0; // awaiting a Return
    waiters _question_slot;         // calls waiting for outgoing_calls_max to allow them

    answer_map _answers;
    std::vector<std::unique_ptr<answer>> _settling; // returned and finished, coroutine still ending
    std::vector<std::unique_ptr<answer>> _spare_answers;
    std::size_t _answers_running = 0;
    waiters _answer_slot; // the reader, waiting for incoming_calls_max to allow more

    std::vector<export_entry> _exports;
    std::optional<std::uint32_t> _bootstrap_export;
    boost::unordered_flat_map<std::uint32_t, import_entry> _imports;

    std::vector<std::unique_ptr<outbound_message>> _queue, _sending;
    std::size_t _queued_bytes = 0;
    waiters _writer;
    waiters _send_room;  // senders waiting for send_queue_bytes_max to allow them
    waiters _drained;    // run(), closing: the last answer ended
    waiters _closed;     // closed() callers
    bool _writer_done = false;

    mode _mode;
    bool _preface_checked = false; // rpc mode: the first 8 bytes were looked at
    bool _one_way_peer = false;    // rpc mode: the peer is a messenger
    bool _preface_sent = false;    // one_way_sender
    bool _close_when_sent = false;
    std::uint64_t _one_way_next = 0;
    boost::unordered_flat_map<std::uint64_t, std::unique_ptr<answer>> _one_ways; // running one-way messages
    bool _reading = false; // the reader is waiting in a read
    bool _closing = false;
    bool _done = false;
    std::string _close_reason;
    connection_counters _counts;
};

} // namespace coronet::rpc::detail

namespace coronet::rpc {

/// One reference the peer sent us; Release(id, 1) when it goes.
struct capability::import_ref {
    import_ref(std::shared_ptr<detail::connection_state> s, std::uint32_t i) : state(std::move(s)), id(i) {}
    ~import_ref() { state->release_import(id); }
    import_ref(const import_ref&) = delete;
    import_ref& operator=(const import_ref&) = delete;
    std::shared_ptr<detail::connection_state> state;
    std::uint32_t id;
};

} // namespace coronet::rpc
