// Writes rpc_fuzz's seed corpus: `rpc_fuzz_seeds <dir>` (rpc/fuzz/corpus).
// Each file is rpc_fuzz's control byte (see rpc_fuzz.cpp) and then valid
// frames, as a well-behaved peer would send them.
#include "fuzz.capnp.coronet.hpp"

#include <coronet/rpc/messenger.hpp>

#include <capnp/message.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using Message = capnp::rpc::Message;
using Echo = coronet::fuzz::Echo;
constexpr std::uint64_t echo_id = coronet::fuzz::EchoClient::interface_id;

struct seed {
    std::vector<std::uint8_t> bytes;
    explicit seed(std::uint8_t control) : bytes{control} {}

    seed& raw(const void* p, std::size_t n) {
        auto b = static_cast<const std::uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
        return *this;
    }
    seed& frame(capnp::MessageBuilder& m) {
        auto flat = capnp::messageToFlatArray(m);
        return raw(flat.asBytes().begin(), flat.asBytes().size());
    }
    seed& message(const std::function<void(Message::Builder)>& fill, unsigned first_segment_words = 0) {
        if (first_segment_words) {
            // Small fixed-size segments: a message of several segments, with far pointers.
            capnp::MallocMessageBuilder m(first_segment_words, capnp::AllocationStrategy::FIXED_SIZE);
            fill(m.initRoot<Message>());
            return frame(m);
        }
        capnp::MallocMessageBuilder m;
        fill(m.initRoot<Message>());
        return frame(m);
    }
    seed& bootstrap(std::uint32_t q) {
        return message([&](Message::Builder m) { m.initBootstrap().setQuestionId(q); });
    }
    /// A Call on the bootstrap's answer `on` (pipelined, as the reference
    /// client does), or on import `on` when `imported`.
    template <class Params>
    seed& call(std::uint32_t q, std::uint32_t on, std::uint16_t method, const std::function<void(typename Params::Builder)>& fill,
               bool imported = false, std::uint64_t interface_id = echo_id, unsigned first_segment_words = 0) {
        return message(
            [&](Message::Builder m) {
                auto c = m.initCall();
                c.setQuestionId(q);
                if (imported) c.initTarget().setImportedCap(on);
                else c.initTarget().initPromisedAnswer().setQuestionId(on);
                c.setInterfaceId(interface_id);
                c.setMethodId(method);
                fill(c.initParams().getContent().initAs<Params>());
            },
            first_segment_words);
    }
    /// A one-way message (rpc::messenger): the frame's root is a Call struct.
    template <class Params>
    seed& one_way(std::uint16_t method, const std::function<void(typename Params::Builder)>& fill,
                  std::uint64_t interface_id = echo_id) {
        capnp::MallocMessageBuilder m;
        auto c = m.initRoot<capnp::rpc::Call>();
        c.setInterfaceId(interface_id);
        c.setMethodId(method);
        fill(c.initParams().getContent().initAs<Params>());
        return frame(m);
    }
    seed& finish(std::uint32_t q, bool release = true) {
        return message([&](Message::Builder m) {
            auto f = m.initFinish();
            f.setQuestionId(q);
            f.setReleaseResultCaps(release);
        });
    }
    seed& release(std::uint32_t id, std::uint32_t count) {
        return message([&](Message::Builder m) {
            auto r = m.initRelease();
            r.setId(id);
            r.setReferenceCount(count);
        });
    }
};

void write(const std::filesystem::path& dir, const std::string& name, const seed& s) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(s.bytes.data()), static_cast<std::streamsize>(s.bytes.size()));
    std::printf("%-28s %6zu bytes\n", name.c_str(), s.bytes.size());
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: rpc_fuzz_seeds <corpus dir>\n");
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    auto text = [](const char* t) { return [t](Echo::EchoParams::Builder p) { p.setText(t); }; };

    write(dir, "bootstrap", seed(0x00).bootstrap(0));

    write(dir, "call-pipelined", seed(0x00)
                                     .bootstrap(0)
                                     .call<Echo::EchoParams>(1, 0, 0, text("hello"))
                                     .finish(1)
                                     .finish(0));

    // Bootstrap, keep the capability, call it as an import, release it.
    write(dir, "call-import-release", seed(0x13)
                                          .bootstrap(0)
                                          .finish(0, false)
                                          .call<Echo::AddParams>(1, 0, 1,
                                                                 [](Echo::AddParams::Builder p) {
                                                                     p.setA(40);
                                                                     p.setB(2);
                                                                 },
                                                                 true)
                                          .finish(1)
                                          .release(0, 1));

    // Read late, and at most 2 calls at once: the reader waits for a slot.
    write(dir, "every-method", seed(0x65)
                                   .bootstrap(0)
                                   .call<Echo::EchoParams>(1, 0, 0, text("echo"))
                                   .call<Echo::AddParams>(2, 0, 1,
                                                          [](Echo::AddParams::Builder p) {
                                                              p.setA(-1);
                                                              p.setB(INT64_MIN);
                                                          })
                                   .call<Echo::SleepParams>(3, 0, 2, [](Echo::SleepParams::Builder p) { p.setMs(5); })
                                   .call<Echo::FailParams>(4, 0, 3,
                                                           [](Echo::FailParams::Builder p) {
                                                               p.setType(1);
                                                               p.setReason("overloaded");
                                                           })
                                   .call<Echo::FailParams>(5, 0, 3,
                                                           [](Echo::FailParams::Builder p) {
                                                               p.setType(9);
                                                               p.setReason("plain exception");
                                                           })
                                   .call<Echo::BlobParams>(6, 0, 4,
                                                           [](Echo::BlobParams::Builder p) {
                                                               std::uint8_t b[24] = {1, 2, 3, 4, 5, 6, 7, 8};
                                                               p.setData(kj::arrayPtr(b, sizeof b));
                                                           })
                                   .call<Echo::WalkParams>(7, 0, 5,
                                                           [](Echo::WalkParams::Builder p) {
                                                               auto items = p.initItems(2);
                                                               items[0].setKey("a");
                                                               auto kids = items[0].initChildren(1);
                                                               kids[0].setKey("b");
                                                               kids[0].initChildren(1)[0].setKey("c");
                                                               items[1].setKey("d");
                                                           })
                                   .finish(1)
                                   .finish(2)
                                   .finish(3)
                                   .finish(4)
                                   .finish(5)
                                   .finish(6)
                                   .finish(7)
                                   .finish(0));

    // A method the interface does not have, an interface the service does not
    // implement, and a call to an export that does not exist.
    write(dir, "call-unknown", seed(0x04)
                                   .bootstrap(0)
                                   .call<Echo::EchoParams>(1, 0, 77, text("x"))
                                   .call<Echo::EchoParams>(2, 0, 0, text("x"), false, 0x1234567890abcdefull)
                                   .call<Echo::EchoParams>(3, 99, 0, text("x"), true)
                                   .finish(1)
                                   .finish(2)
                                   .finish(3));

    // Finish before the Return: the running call is cancelled (and answered
    // canceled) while the peer is still writing, 20 ms between writes.
    write(dir, "call-cancelled", seed(0x18)
                                     .bootstrap(0)
                                     .call<Echo::SleepParams>(1, 0, 2, [](Echo::SleepParams::Builder p) { p.setMs(1000); })
                                     .call<Echo::SleepParams>(2, 0, 2, [](Echo::SleepParams::Builder p) { p.setMs(1000); })
                                     .call<Echo::SleepParams>(3, 0, 2, [](Echo::SleepParams::Builder p) { p.setMs(3); })
                                     .finish(1)
                                     .call<Echo::EchoParams>(4, 0, 0, text("while call 1 is being cancelled"))
                                     .call<Echo::EchoParams>(5, 0, 0, text("and call 2 still sleeps"))
                                     .finish(3)
                                     .finish(4)
                                     .finish(5)
                                     .finish(0));

    // A message of several 8-word segments linked by far pointers.
    write(dir, "multi-segment", seed(0x07)
                                    .bootstrap(0)
                                    .call<Echo::EchoParams>(1, 0, 0, text("spread over several small segments"), false,
                                                            echo_id, 8));

    write(dir, "abort", seed(0x00).bootstrap(0).message([](Message::Builder m) {
        auto a = m.initAbort();
        a.setReason("going away");
        a.setType(capnp::rpc::Exception::Type::DISCONNECTED);
    }));

    // Message discriminant 50 (no such message yet): answered Unimplemented.
    {
        // Root: a struct pointer (one data word, one pointer), data word = the discriminant.
        const std::uint64_t words[] = {(1ull << 32) | (1ull << 48), 50, 0};
        const std::uint32_t table[2] = {0, 3};
        write(dir, "unknown-message", seed(0x00).raw(table, sizeof table).raw(words, sizeof words).bootstrap(0));
    }

    // The peer says it did not understand our Bootstrap; and a Return for a
    // question never asked (the protocol's answer: Abort).
    write(dir, "unimplemented-and-return", seed(0x00)
                                               .message([](Message::Builder m) {
                                                   m.initUnimplemented().initBootstrap().setQuestionId(0);
                                               })
                                               .message([](Message::Builder m) {
                                                   auto r = m.initReturn();
                                                   r.setAnswerId(5);
                                                   r.initResults();
                                               }));

    // coronet's one-way extension: the preface, then Call structs (a sleep
    // that the peer's close must cancel, a failing one, one for an interface
    // not served here).
    write(dir, "one-way", seed(0x03)
                              .raw(coronet::rpc::one_way_preface.data(), coronet::rpc::one_way_preface.size())
                              .one_way<Echo::SleepParams>(2, [](Echo::SleepParams::Builder p) { p.setMs(5000); })
                              .one_way<Echo::EchoParams>(0, text("fire and forget"))
                              .one_way<Echo::FailParams>(3,
                                                         [](Echo::FailParams::Builder p) {
                                                             p.setType(2);
                                                             p.setReason("one-way failure");
                                                         })
                              .one_way<Echo::EchoParams>(0, text("nobody"), 0x1234567890abcdefull));

    // A frame larger than a receive chunk (rpc_fuzz sets 16 KiB, the least
    // there is): read into a block of its own.
    write(dir, "large-blob", seed(0x0c)
                                 .bootstrap(0)
                                 .call<Echo::BlobParams>(1, 0, 4,
                                                         [](Echo::BlobParams::Builder p) {
                                                             std::vector<std::uint8_t> b(17 * 1024, 0x5a);
                                                             p.setData(kj::arrayPtr(b.data(), b.size()));
                                                         })
                                 .finish(1));
    return 0;
}
