#pragma once
// Topic names and subscription patterns, with NATS's semantics: levels are
// separated by '.', a pattern level `*` matches exactly one topic level, and a
// final pattern level `>` matches one or more trailing levels (so `a.>`
// matches `a.b` and `a.b.c` but not `a`). Everything here is pure: the
// broker validates once, at the edge, and the trie behind it trusts the
// result.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace coronet::pubsub {

struct topic_limits {
    std::size_t bytes_max = 256;
    std::size_t levels_max = 32;
};

/// Nothing if `topic` may be published to, else a message naming the problem
/// and where it is, e.g. `topic "a..b": level 2 is empty ("..")`. A topic is
/// 1 to bytes_max bytes in 1 to levels_max non-empty levels of printable
/// ASCII (0x21-0x7e) other than the wildcards '*' and '>'.
std::optional<std::string> topic_error(std::string_view topic, const topic_limits& limits = {});

/// As topic_error(), for a subscription pattern: a level may also be exactly
/// `*`, and the last level may be exactly `>`. A wildcard inside a longer
/// level (`a*`, `b>`) or a `>` before the last level is an error.
std::optional<std::string> pattern_error(std::string_view pattern, const topic_limits& limits = {});

/// Whether `pattern` matches `topic`; both must be valid. Deliberately the
/// plainest code that could be right (it allocates): tests use it as the
/// oracle for topic_tree, which is the matcher the broker runs.
bool topic_matches(std::string_view pattern, std::string_view topic);

/// Walks the '.'-separated levels of a string without allocating. A string
/// with n dots has n + 1 levels, some possibly empty; "" has one empty level.
class level_cursor {
public:
    explicit level_cursor(std::string_view s) : _rest(s) {}

    /// True once every level has been returned by next().
    bool done() const { return _done; }

    /// The next level. \pre !done()
    std::string_view next() {
        auto dot = _rest.find('.');
        if (dot == std::string_view::npos) {
            _done = true;
            return std::exchange(_rest, std::string_view{});
        }
        auto level = _rest.substr(0, dot);
        _rest.remove_prefix(dot + 1);
        return level;
    }

private:
    std::string_view _rest;
    bool _done = false;
};

} // namespace coronet::pubsub
