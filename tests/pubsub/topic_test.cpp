// Topic and pattern validation, and the reference matcher's semantics (NATS:
// `*` is one level, a final `>` is one or more levels).
#include <coronet/pubsub/topic.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using coronet::pubsub::level_cursor;
using coronet::pubsub::pattern_error;
using coronet::pubsub::topic_error;
using coronet::pubsub::topic_limits;
using coronet::pubsub::topic_matches;

namespace {

struct validity_case {
    std::string name;
    const char* fragment; ///< of the expected error; null: valid
};

const std::string long_name(257, 'a');          // one byte over the default limit
const std::string deep_name = [] {              // 33 levels, one over the default limit
    std::string s = "a";
    for (int i = 1; i < 33; ++i) s += ".a";
    return s;
}();

} // namespace

TEST_CASE("topic_error accepts ordinary topics and names what is wrong with bad ones", "[pubsub]") {
    const validity_case cases[] = {
        {"a", nullptr},
        {"orders.eu.created", nullptr},
        {"A-b_c.0~9!#$%&()+,/:;<=?@[]^{|}", nullptr},
        {std::string(256, 'a'), nullptr},
        {"", "is empty"},
        {".a", "level 1 is empty (leading '.')"},
        {"a.", "level 2 is empty (trailing '.')"},
        {".", "level 1 is empty (leading '.')"},
        {"a..b", "topic \"a..b\": level 2 is empty (\"..\")"},
        {"a b", "level 1 \"a b\" has a space at byte 2"},
        {"a.b\tc", "has the control byte 0x09 at byte 4"},
        {"a\x7f", "has the control byte 0x7f at byte 2"},
        {"caf\xc3\xa9", "has the non-ASCII byte 0xc3 at byte 4"},
        {long_name, "257 bytes is more than the limit of 256"},
        {deep_name, "33 levels is more than the limit of 32"},
        {"a.*", "level 2 \"*\" has the wildcard '*' at byte 3 (only subscriptions may use wildcards)"},
        {">", "has the wildcard '>'"},
        {"a.b>", "has the wildcard '>'"},
    };
    for (const auto& c : cases) {
        INFO("topic: " << c.name);
        auto error = topic_error(c.name);
        if (!c.fragment) {
            CHECK_FALSE(error);
        } else {
            REQUIRE(error);
            CHECK_THAT(*error, Catch::Contains(c.fragment));
            CHECK_THAT(*error, Catch::StartsWith("topic \""));
        }
    }
}

TEST_CASE("pattern_error allows whole-level wildcards and a final '>' but nothing else", "[pubsub]") {
    const validity_case cases[] = {
        {"a.b", nullptr},
        {"*", nullptr},
        {">", nullptr},
        {"*.*", nullptr},
        {"a.*.c", nullptr},
        {"a.>", nullptr},
        {"*.>", nullptr},
        {"", "is empty"},
        {"a..>", "level 2 is empty (\"..\")"},
        {"a.>.", "level 2 is '>', which may only be the last level"}, // the first problem is reported
        {"a.*.", "level 3 is empty (trailing '.')"},
        {"a*", "pattern \"a*\": level 1 \"a*\" mixes '*' with other characters at byte 2 (a wildcard must be a whole level)"},
        {"*b", "mixes '*' with other characters"},
        {"a.b>", "level 2 \"b>\" mixes '>' with other characters"},
        {">.a", "level 1 is '>', which may only be the last level"},
        {"a.>.b", "level 2 is '>', which may only be the last level"},
        {"a.**", "mixes '*'"},
        {"a.b c", "level 2 \"b c\" has a space at byte 4"},
        {"\x01", "control byte 0x01"},
        {"\xff.>", "non-ASCII byte 0xff at byte 1"},
        {long_name, "257 bytes is more than the limit of 256"},
        {deep_name, "33 levels is more than the limit of 32"},
    };
    for (const auto& c : cases) {
        INFO("pattern: " << c.name);
        auto error = pattern_error(c.name);
        if (!c.fragment) {
            CHECK_FALSE(error);
        } else {
            REQUIRE(error);
            CHECK_THAT(*error, Catch::Contains(c.fragment));
            CHECK_THAT(*error, Catch::StartsWith("pattern \""));
        }
    }
}

TEST_CASE("errors quote hostile names escaped and cut short", "[pubsub]") {
    auto error = topic_error("a\"\x01\\" + std::string(1000, 'x'));
    REQUIRE(error);
    CHECK_THAT(*error, Catch::StartsWith("topic \"a\\\"\\x01\\\\xxx"));
    CHECK_THAT(*error, Catch::Contains("xxx...\": 1004 bytes"));
    CHECK(error->size() < 200);
}

TEST_CASE("limits on topic bytes and levels are configurable", "[pubsub]") {
    topic_limits tight{8, 2};
    CHECK_FALSE(topic_error("abc.defg", tight));
    CHECK_THAT(*topic_error("abc.defgh", tight), Catch::Contains("9 bytes is more than the limit of 8"));
    CHECK_THAT(*pattern_error("a.b.>", tight), Catch::Contains("3 levels is more than the limit of 2"));
}

TEST_CASE("level_cursor yields every level, empty ones included", "[pubsub]") {
    auto levels = [](std::string_view s) {
        std::vector<std::string> out;
        for (level_cursor c(s); !c.done();) out.emplace_back(c.next());
        return out;
    };
    CHECK(levels("a.bc.d") == std::vector<std::string>{"a", "bc", "d"});
    CHECK(levels("a..") == std::vector<std::string>{"a", "", ""});
    CHECK(levels("") == std::vector<std::string>{""});
}

TEST_CASE("topic_matches follows NATS semantics for '*' and '>'", "[pubsub]") {
    struct match_case {
        const char* pattern;
        const char* topic;
        bool expected;
    };
    const match_case cases[] = {
        {"a", "a", true},
        {"a.b", "a.b", true},
        {"a.b", "a.c", false},
        {"a.b", "a", false},
        {"a", "a.b", false},
        {"A.b", "a.b", false}, // case sensitive
        {"a.B", "a.b", false},
        {"*", "a", true},
        {"*", "a.b", false},
        {"*.*", "a", false},
        {"*.*", "a.b", true},
        {"*.*", "a.b.c", false},
        {"a.*", "a.b", true},
        {"a.*", "a", false},
        {"a.*", "b.a", false},
        {"*.b", "a.b", true},
        {"a.*.c", "a.x.c", true},
        {"a.*.c", "a.x.d", false},
        {">", "a", true},
        {">", "a.b.c", true},
        {"a.>", "a", false},
        {"a.>", "a.b", true},
        {"a.>", "a.b.c", true},
        {"a.>", "b.c", false},
        {"*.>", "a", false},
        {"*.>", "a.b", true},
        {"a.*.>", "a.b", false},
        {"a.*.>", "a.b.c.d", true},
        {"ab", "a", false},
        {"a", "ab", false},
    };
    for (const auto& c : cases) {
        INFO(c.pattern << " vs " << c.topic);
        CHECK(topic_matches(c.pattern, c.topic) == c.expected);
    }
}
