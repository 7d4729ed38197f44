// rpc_fuzz: libFuzzer over the Cap'n Proto RPC frame decoder and a whole
// rpc::connection (reader, dispatcher, writer), see docs/rpc-fuzzing.md.
//
// Input: one control byte, then the bytes a hostile peer sends.
//   control & 0x0f  0: one write; k: writes of 1..2^(k-1) bytes (at most 64)
//   control & 0x10  20 ms of virtual time between writes (a read per write,
//                   and calls run, are cancelled and answered in between)
//   control & 0x20  the peer starts reading only 500 ms (virtual) after it
//                   connected: replies pile up, the server stops reading
//   control & 0x40  incoming_calls_max = 2 (the reader's back-pressure)
//   control & 0x80  the peer closes abruptly after writing, without reading
//
// Each input runs on a fresh two-node sim:// network (virtual time, no fds,
// deterministic): node "srv" runs an rpc::server with the Echo of fuzz.capnp,
// node "cli" connects a raw stream and writes the bytes, then closes. It is a
// finding (abort) when
//   * parse_frame breaks its contract (see fuzz_parse_frame),
//   * the server sends bytes that are not well-formed frames of rpc.capnp
//     Messages, or more Returns for a question id than the peer asked,
//   * the hostile connection is still open a virtual day after its peer closed,
//     or, without back-pressure, took more than 2 s of virtual time to close
//     (closing cancels running calls; writing gives up after a second),
//   * the server no longer answers a well-formed client afterwards,
//   * and, as always, a crash, an ASan/UBSan report, a leak or a timeout.
#include "fuzz.capnp.coronet.hpp"

#include <coronet/clock.hpp>
#include <coronet/rpc/connection.hpp>
#include <coronet/rpc/error.hpp>
#include <coronet/rpc/frame.hpp>
#include <coronet/rpc/message.hpp>
#include <coronet/rpc/server.hpp>
#include <coronet/timer.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/sim/network.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <capnp/message.h>
#include <capnp/rpc.capnp.h>
#include <kj/exception.h>

#include <spdlog/logger.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace coronet;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace asio = boost::asio;
using Message = capnp::rpc::Message;
using bytes_view = std::span<const std::byte>;

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "\nrpc_fuzz finding: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

/// RPC_FUZZ_VERBOSE=1: one line per input on what the server answered.
bool verbose() {
    static const bool v = [] {
        auto e = std::getenv("RPC_FUZZ_VERBOSE");
        return e && *e && std::string(e) != "0";
    }();
    return v;
}

const logger_ptr& quiet() {
    static const logger_ptr log = [] {
        auto l = std::make_shared<spdlog::logger>("rpc_fuzz"); // no sinks
        l->set_level(spdlog::level::off);
        return l;
    }();
    return log;
}

// ---- the service -----------------------------------------------------------

class echo_service final : public fuzz::EchoService {
public:
    using Echo = fuzz::Echo;
    asio::awaitable<void> echo(Echo::EchoParams::Reader p, Echo::EchoResults::Builder r, rpc::call_context&) override {
        r.setReply(p.getText());
        co_return;
    }
    asio::awaitable<void> add(Echo::AddParams::Reader p, Echo::AddResults::Builder r, rpc::call_context&) override {
        // Wraps: hostile numbers must not be undefined behaviour here.
        r.setSum(static_cast<std::int64_t>(static_cast<std::uint64_t>(p.getA()) + static_cast<std::uint64_t>(p.getB())));
        co_return;
    }
    asio::awaitable<void> sleep(Echo::SleepParams::Reader p, Echo::SleepResults::Builder, rpc::call_context&) override {
        // Cancelled by Finish or close. A virtual-time timer (sim://) ignores
        // the cancellation slot of its wait (see rpc/fuzz/crashes/README.md),
        // so the method waits in steps of 50 ms: the co_await after the
        // connection cancelled it throws operation_aborted. What is tested is
        // that the connection cancels its running calls, not the sim's timers.
        auto ex = co_await asio::this_coro::executor;
        auto& clock = clock_of(ex);
        auto until = clock.now() + std::chrono::milliseconds(std::min<std::uint32_t>(p.getMs(), 10'000));
        coronet::timer t(ex, clock);
        while (clock.now() < until) {
            t.expires_at(std::min(until, clock.now() + 50ms));
            co_await t.async_wait(asio::use_awaitable);
        }
    }
    asio::awaitable<void> fail(Echo::FailParams::Reader p, Echo::FailResults::Builder, rpc::call_context&) override {
        if (p.getType() > 3) throw std::runtime_error(p.getReason().cStr());
        throw rpc::remote_error(static_cast<rpc::exception_type>(p.getType()), p.getReason().cStr());
        co_return;
    }
    asio::awaitable<void> blob(Echo::BlobParams::Reader p, Echo::BlobResults::Builder r, rpc::call_context&) override {
        r.setData(p.getData());
        co_return;
    }
    asio::awaitable<void> walk(Echo::WalkParams::Reader p, Echo::WalkResults::Builder r, rpc::call_context&) override {
        std::uint64_t count = 0, bytes = 0;
        visit(p.getItems(), count, bytes);
        r.setCount(count);
        r.setBytes(bytes);
        co_return;
    }

private:
    static void visit(capnp::List<fuzz::Item>::Reader items, std::uint64_t& count, std::uint64_t& bytes) {
        for (auto item : items) {
            ++count;
            bytes += item.getKey().size() + item.getValue().size();
            visit(item.getChildren(), count, bytes); // depth: the reader's nesting limit
        }
    }
};

// ---- frames ----------------------------------------------------------------

std::uint32_t load_u32(const std::byte* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

/// Word-aligned copy of a complete frame's segments, as capnp wants them.
struct aligned_frame {
    std::vector<capnp::word> words;
    std::vector<kj::ArrayPtr<const capnp::word>> segments;
    aligned_frame(bytes_view frame, const rpc::frame_layout& f) : words((f.total_bytes + 7) / 8), segments(f.segment_count) {
        std::memcpy(words.data(), frame.data(), f.total_bytes);
        rpc::frame_segments(reinterpret_cast<const std::byte*>(words.data()), f, segments.data());
    }
    kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> table() const {
        return kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>(segments.data(), segments.size());
    }
};

/// parse_frame's contract, on the raw input under two sets of limits.
void fuzz_parse_frame(bytes_view bytes) {
    static const rpc::limits defaults{};
    static const rpc::limits tight = [] {
        rpc::limits l;
        l.message_bytes_max = 512;
        l.segments_max = 3;
        l.traversal_words_max = 256;
        l.nesting_max = 4;
        return l;
    }();
    for (const rpc::limits* l : {&defaults, &tight}) {
        std::optional<rpc::frame_layout> f;
        try {
            f = rpc::parse_frame(bytes, *l);
        } catch (const rpc::protocol_error&) {
            continue;
        }
        if (!f) {
            // Only an incomplete segment table may be "not yet".
            if (bytes.size() >= 4) {
                std::uint64_t count = std::uint64_t(load_u32(bytes.data())) + 1;
                if (bytes.size() >= rpc::frame_header_bytes(count))
                    finding("parse_frame: nullopt although the segment table of " + std::to_string(count) +
                            " segments is complete");
            }
            continue;
        }
        if (f->segment_count == 0 || f->segment_count > l->segments_max)
            finding("parse_frame: segment count " + std::to_string(f->segment_count) + " outside [1, limit]");
        if (f->header_bytes != rpc::frame_header_bytes(f->segment_count) || f->header_bytes % 8 != 0)
            finding("parse_frame: header_bytes " + std::to_string(f->header_bytes) + " for " +
                    std::to_string(f->segment_count) + " segments");
        if (f->header_bytes > bytes.size()) finding("parse_frame: accepted a segment table it was not given");
        if (f->total_bytes < f->header_bytes + 8 || f->total_bytes % 8 != 0 || f->total_bytes > l->message_bytes_max)
            finding("parse_frame: total_bytes " + std::to_string(f->total_bytes) + " out of range");
        // The answer depends on the segment table alone.
        auto again = rpc::parse_frame(bytes.first(f->header_bytes), *l);
        if (!again || again->segment_count != f->segment_count || again->total_bytes != f->total_bytes)
            finding("parse_frame: a different answer for the segment table alone");
        if (f->total_bytes > bytes.size()) continue;

        // A complete frame: the segments tile the body exactly, the header
        // writes back the same, and it reads in place as the reader does.
        aligned_frame a(bytes, *f);
        auto base = reinterpret_cast<const std::byte*>(a.words.data());
        auto at = base + f->header_bytes;
        for (auto s : a.segments) {
            if (reinterpret_cast<const std::byte*>(s.begin()) != at) finding("frame_segments: segments do not tile");
            at += s.size() * sizeof(capnp::word);
        }
        if (at != base + f->total_bytes) finding("frame_segments: segments do not end where the frame does");
        std::vector<std::byte> header(rpc::frame_header_bytes(f->segment_count));
        if (rpc::write_frame_header(a.table(), header.data()) != f->header_bytes ||
            std::memcmp(header.data(), bytes.data(), 4 + 4 * std::size_t(f->segment_count)) != 0)
            finding("write_frame_header: does not write back the segment table parse_frame read");

        auto block = std::make_shared<rpc::receive_block>(f->total_bytes);
        std::memcpy(block->data(), bytes.data(), f->total_bytes);
        try {
            rpc::inbound_message m(block, block->data(), *f, *l);
            auto root = m.root<Message>();
            (void)root.which();
            (void)root.totalSize();
        } catch (const kj::Exception&) {
            // malformed: what the connection turns into Abort
        }
    }
}

/// Walks a byte stream frame by frame: calls `on_message` for each complete
/// frame; returns the bytes it consumed. Throws protocol_error as parse_frame.
template <class F>
std::size_t for_each_frame(bytes_view bytes, const rpc::limits& l, F&& on_message) {
    std::size_t at = 0;
    while (at < bytes.size()) {
        auto rest = bytes.subspan(at);
        auto f = rpc::parse_frame(rest, l);
        if (!f || f->total_bytes > rest.size()) break;
        aligned_frame a(rest, *f);
        capnp::ReaderOptions o;
        o.traversalLimitInWords = l.traversal_words_max;
        o.nestingLimit = l.nesting_max;
        capnp::SegmentArrayMessageReader reader(a.table(), o);
        if (!on_message(reader)) break;
        at += f->total_bytes;
    }
    return at;
}

/// Question ids of the Calls and Bootstraps in the input, as the server reads
/// them: it answers each at most once.
std::map<std::uint32_t, int> questions_asked(bytes_view input) {
    std::map<std::uint32_t, int> asked;
    try {
        for_each_frame(input, rpc::limits{}, [&](capnp::MessageReader& r) {
            try {
                auto m = r.getRoot<Message>();
                if (m.isCall()) ++asked[m.getCall().getQuestionId()];
                else if (m.isBootstrap()) ++asked[m.getBootstrap().getQuestionId()];
                return true;
            } catch (const kj::Exception&) {
                return false; // the server aborts here
            }
        });
    } catch (const rpc::protocol_error&) {
    }
    return asked;
}

/// What the server sent: well-formed frames of readable Messages, at most
/// one Return per question the peer asked.
std::string check_output(bytes_view out, bool complete, const std::map<std::uint32_t, int>& asked) {
    // Generous limits: an Unimplemented echoes a message back one level deeper.
    rpc::limits l;
    l.message_bytes_max = std::size_t(1) << 30;
    l.segments_max = std::size_t(1) << 16;
    l.traversal_words_max = std::uint64_t(1) << 40;
    l.nesting_max = 1024;
    std::map<std::uint32_t, int> returns;
    std::string summary;
    std::size_t used = 0;
    try {
        used = for_each_frame(out, l, [&](capnp::MessageReader& r) {
            try {
                auto m = r.getRoot<Message>();
                (void)r.getRoot<capnp::AnyPointer>().targetSize();
                if (verbose()) {
                    static const char* const names[] = {"Unimplemented", "Abort", "Call", "Return", "Finish",
                                                        "Resolve", "Release", "ObsoleteSave", "Bootstrap"};
                    auto w = static_cast<unsigned>(m.which());
                    summary += w < std::size(names) ? names[w] : std::to_string(w);
                    if (m.isReturn())
                        summary += "(" + std::to_string(m.getReturn().getAnswerId()) + ":" +
                                   (m.getReturn().isResults()     ? "results"
                                    : m.getReturn().isException() ? "exception"
                                    : m.getReturn().isCanceled()  ? "canceled"
                                                                  : "other") +
                                   ")";
                    if (m.isAbort()) summary += std::string("(") + m.getAbort().getReason().cStr() + ")";
                    summary += " ";
                }
                if (m.isReturn()) {
                    auto id = m.getReturn().getAnswerId();
                    auto it = asked.find(id);
                    if (++returns[id] > (it == asked.end() ? 0 : it->second))
                        finding("server sent Return #" + std::to_string(returns[id]) + " for question id " +
                                std::to_string(id) + ", which the peer asked " +
                                std::to_string(it == asked.end() ? 0 : it->second) + " time(s)");
                }
            } catch (const kj::Exception& e) {
                finding(std::string("server sent a malformed message: ") + e.getDescription().cStr());
            }
            return true;
        });
    } catch (const rpc::protocol_error& e) {
        finding(std::string("server sent a frame parse_frame rejects: ") + e.what());
    }
    if (complete && used != out.size())
        finding("server's output ends in the middle of a frame (" + std::to_string(out.size() - used) + " bytes left)");
    return summary;
}

// ---- the hostile peer ------------------------------------------------------

struct plan {
    std::vector<std::size_t> chunks; // sizes of the writes, summing to the input's
    bool pause = false;
    bool read_late = false;
    bool backpressure = false;
    bool abrupt = false;
};

plan make_plan(std::uint8_t control, std::size_t size) {
    plan p;
    p.pause = control & 0x10;
    p.read_late = control & 0x20;
    p.backpressure = control & 0x40;
    p.abrupt = control & 0x80;
    unsigned k = control & 0x0f;
    std::uint32_t x = 0x9e3779b9u ^ control;
    while (size > 0) {
        std::size_t n = size;
        if (k > 0 && p.chunks.size() < 63) {
            x = x * 1664525u + 1013904223u;
            n = std::min<std::size_t>(size, 1 + (x >> 8) % (std::size_t(1) << (k - 1)));
        }
        p.chunks.push_back(n);
        size -= n;
    }
    return p;
}

/// Writes the input as the plan says; `sent` is when it stopped (finished,
/// or the server closed).
asio::awaitable<void> feed(any_stream& s, bytes_view bytes, const plan& p, time_point& sent) {
    auto ex = co_await asio::this_coro::executor;
    struct stamp {
        time_point& at;
        asio::any_io_executor ex;
        ~stamp() { at = clock_of(ex).now(); }
    } stamp_on_exit{sent, ex};
    std::size_t at = 0;
    for (auto n : p.chunks) {
        auto [ec, written] =
            co_await asio::async_write(s, asio::buffer(bytes.data() + at, n), asio::as_tuple(asio::use_awaitable));
        if (ec) co_return; // the server closed (an Abort): the rest is not read
        at += n;
        if (p.pause) {
            coronet::timer t(ex, clock_of(ex));
            t.expires_at(clock_of(ex).now() + 20ms);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }
    if (!p.abrupt) s.shutdown(asio::socket_base::shutdown_send);
}

/// Reads until the server closes, from `after` on; true for a clean end of stream.
asio::awaitable<bool> drain(any_stream& s, std::vector<std::byte>& out, duration after = {}) {
    if (after > duration::zero()) {
        auto ex = co_await asio::this_coro::executor;
        coronet::timer t(ex, clock_of(ex));
        t.expires_at(clock_of(ex).now() + after);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    std::vector<std::byte> buf(64 * 1024);
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        if (ec) co_return ec == asio::error::eof;
    }
}

struct peer_result {
    std::vector<std::byte> received;
    bool clean_eof = false;
    /// Whether all of the server's output must be whole frames: when it
    /// closed cleanly, unless it may have given up on writing, which it does
    /// a second after it began closing. It cannot have begun before we
    /// connected, and we read from 500 ms after that at the latest, draining
    /// 64 MiB in well under the half second left (256 KiB window, 2 ms round
    /// trip: ~128 MB/s).
    bool complete = false;
    /// From the peer's last write (or shutdown) to the server's end of stream.
    duration close_took{};
};

asio::awaitable<void> hostile_peer(bytes_view bytes, plan p, peer_result& r) {
    auto s = co_await coronet::connect("sim://srv:7");
    auto& clock = clock_of(co_await asio::this_coro::executor);
    time_point sent{};
    if (p.abrupt) {
        co_await feed(s, bytes, p, sent);
    } else if (p.read_late) {
        // Not "after writing everything": a server that stops reading while
        // its replies are unsent would then wait for us as we wait for it.
        r.clean_eof = co_await (feed(s, bytes, p, sent) && drain(s, r.received, 500ms));
    } else {
        r.clean_eof = co_await (feed(s, bytes, p, sent) && drain(s, r.received));
    }
    r.complete = r.clean_eof && r.received.size() < (std::size_t(64) << 20);
    r.close_took = clock.now() - sent;
    s.close();
}

/// A well-formed client: bootstrap, one echo call, a clean close.
asio::awaitable<std::string> well_formed_call() {
    try {
        auto conn = co_await rpc::connect("sim://srv:7", {}, quiet());
        std::string reply;
        {
            auto echo = co_await conn.bootstrap_as<fuzz::EchoClient>();
            auto r = co_await echo.echo([](auto p) { p.setText("alive"); });
            reply = r->getReply().cStr();
        }
        conn.close();
        co_await conn.closed();
        co_return reply;
    } catch (const std::exception& e) {
        co_return std::string("exception: ") + e.what();
    }
}

void fuzz_connection(std::uint8_t control, bytes_view bytes) {
    auto p = make_plan(control, bytes.size());
    sim::network net;
    auto& srv = net.add_node("srv");
    auto& cli = net.add_node("cli");
    rpc::server_options o;
    // The least there is (the reader allows no less), so that frames larger
    // than a chunk, read into a block of their own, need only 16 KiB inputs.
    o.connection.receive_chunk_bytes = 16 * 1024;
    if (p.backpressure) o.connection.incoming_calls_max = 2;
    auto server = std::make_unique<rpc::server>(listen(srv.get_executor(), "sim://srv:7"),
                                                std::make_shared<echo_service>(), o, quiet());
    server->start();

    peer_result r;
    try {
        net.run_task(cli, hostile_peer(bytes, p, r), 24h);
    } catch (const std::exception& e) {
        finding(std::string("the hostile peer did not finish (the server never closed?): ") + e.what());
    }
    auto peer_gone = net.now();
    if (!net.run_until([&] { return server->connections() == 0; }, 24h))
        finding("the hostile connection is still open a virtual day after its peer closed (" +
                std::to_string(server->connections()) + " open)");
    std::string answered = p.abrupt ? "(not read)" : check_output(r.received, r.complete, questions_asked(bytes));
    auto took = r.close_took + (net.now() - peer_gone);
    auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    if (verbose())
        std::fprintf(stderr, "rpc_fuzz: %zu bytes in %zu writes%s%s%s%s -> %zu bytes: %s%s, closed %lld ms after the peer\n",
                     bytes.size(), p.chunks.size(), p.pause ? ", paused" : "", p.read_late ? ", reads late" : "",
                     p.backpressure ? ", 2 calls max" : "", p.abrupt ? ", abrupt close" : "", r.received.size(),
                     answered.c_str(), r.clean_eof ? "EOF" : "(no clean EOF)", static_cast<long long>(took_ms));
    // Once the peer has closed, the server cancels what runs (a sleep waits up
    // to 10 s) and gives up writing after a second. Only the back-pressure
    // mode may hold it up longer: the reader does not see the end of stream
    // until a call slot is free. (The default incoming_calls_max, 1024 calls,
    // is out of reach of an input of libFuzzer's size.)
    if (!p.backpressure && took > 2s)
        finding("the server took " + std::to_string(took_ms) + " ms of virtual time to close after its peer closed");

    std::string reply;
    try {
        reply = net.run_task(cli, well_formed_call(), 1min);
    } catch (const std::exception& e) {
        reply = std::string("no answer: ") + e.what();
    }
    if (reply != "alive") finding("the server no longer serves a well-formed client: " + reply);

    net.run_task(srv, server->stop());
    server.reset();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    bytes_view bytes(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    fuzz_parse_frame(bytes);
    fuzz_connection(data[0], bytes);
    return 0;
}
