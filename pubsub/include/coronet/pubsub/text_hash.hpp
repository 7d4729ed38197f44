#pragma once
// Hash and equality for string-keyed maps that are searched with a
// string_view: no std::string is built per lookup (topics, levels, names).

#include <functional>
#include <string_view>

namespace coronet::pubsub {

struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct text_equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

} // namespace coronet::pubsub
