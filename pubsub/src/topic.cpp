#include <coronet/pubsub/topic.hpp>

#include <algorithm>
#include <vector>

namespace coronet::pubsub {

namespace {

// Errors quote at most this much of the name: a hostile megabyte topic must
// not become a megabyte log line.
constexpr std::size_t quoted_bytes_max = 64;

std::string hex_byte(unsigned char c) {
    static constexpr char digits[] = "0123456789abcdef";
    return {'0', 'x', digits[c >> 4], digits[c & 15]};
}

// Quoted with control and non-ASCII bytes escaped, so the message itself is
// printable whatever the client sent.
std::string quote(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < quoted_bytes_max; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x" + hex_byte(c).substr(2);
        } else {
            out += char(c);
        }
    }
    if (s.size() > quoted_bytes_max) out += "...";
    return out + '"';
}

// What is wrong with one byte of an ordinary (non-wildcard) level: what it
// is, and why that is not allowed where it helps. Empty if nothing.
struct byte_problem {
    std::string what;
    std::string why;
};

byte_problem problem_with(unsigned char c, bool wildcards) {
    if (c == '*' || c == '>') {
        if (!wildcards) return {std::string("has the wildcard '") + char(c) + "'", " (only subscriptions may use wildcards)"};
        return {std::string("mixes '") + char(c) + "' with other characters", " (a wildcard must be a whole level)"};
    }
    if (c == ' ') return {"has a space", ""};
    if (c < 0x20 || c == 0x7f) return {"has the control byte " + hex_byte(c), ""};
    if (c > 0x7f) return {"has the non-ASCII byte " + hex_byte(c), " (topics are printable ASCII)"};
    return {};
}

std::optional<std::string> check(std::string_view s, const topic_limits& limits, bool wildcards) {
    auto fail = [&](const std::string& what) {
        return std::string(wildcards ? "pattern " : "topic ") + quote(s) + ": " + what;
    };
    if (s.empty()) return fail("is empty");
    if (s.size() > limits.bytes_max)
        return fail(std::to_string(s.size()) + " bytes is more than the limit of " + std::to_string(limits.bytes_max));
    auto levels = static_cast<std::size_t>(std::count(s.begin(), s.end(), '.')) + 1;
    if (levels > limits.levels_max)
        return fail(std::to_string(levels) + " levels is more than the limit of " + std::to_string(limits.levels_max));

    level_cursor cursor(s);
    std::size_t index = 0;  // 1-based, as the messages count
    std::size_t offset = 0; // of the level's first byte
    while (!cursor.done()) {
        auto level = cursor.next();
        auto where = "level " + std::to_string(++index);
        if (level.empty()) {
            auto hint = index == 1 ? " (leading '.')" : cursor.done() ? " (trailing '.')" : " (\"..\")";
            return fail(where + " is empty" + hint);
        }
        if (wildcards && level == ">" && !cursor.done())
            return fail(where + " is '>', which may only be the last level");
        if (wildcards && (level == "*" || level == ">")) {
            offset += 2;
            continue;
        }
        for (std::size_t i = 0; i < level.size(); ++i) {
            auto p = problem_with(static_cast<unsigned char>(level[i]), wildcards);
            if (!p.what.empty())
                return fail(where + " " + quote(level) + " " + p.what + " at byte " + std::to_string(offset + i + 1) +
                            p.why);
        }
        offset += level.size() + 1;
    }
    return std::nullopt;
}

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> levels;
    for (level_cursor c(s); !c.done();) levels.push_back(c.next());
    return levels;
}

} // namespace

std::optional<std::string> topic_error(std::string_view topic, const topic_limits& limits) {
    return check(topic, limits, false);
}

std::optional<std::string> pattern_error(std::string_view pattern, const topic_limits& limits) {
    return check(pattern, limits, true);
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
    auto p = split(pattern);
    auto t = split(topic);
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == ">") return t.size() > i; // one or more levels left
        if (i == t.size()) return false;
        if (p[i] != "*" && p[i] != t[i]) return false;
    }
    return p.size() == t.size();
}

} // namespace coronet::pubsub
