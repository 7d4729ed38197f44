#include "progress.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace coronet::bench::report {

progress::progress(std::string what, std::size_t total)
    : _what(std::move(what)), _total(total), _terminal(::isatty(STDERR_FILENO) == 1) {}

progress::~progress() {
    if (_terminal && _done > 0) std::cerr << "\n" << std::flush;
}

void progress::advance(std::string_view label) {
    ++_done;
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - _start).count();
    auto text = line(_what, _done, _total, label, seconds, _terminal);
    // On a terminal the line is redrawn in place ("\r", then erase to its end).
    if (_terminal) std::cerr << "\r" << text << "\x1b[K" << std::flush;
    else std::cerr << text << "\n" << std::flush;
}

std::string progress::line(std::string_view what, std::size_t done, std::size_t total, std::string_view label,
                           double seconds, bool bar, std::size_t width) {
    std::string counts = fmt::format("{}/{}", done, total);
    std::string tail = label.empty() ? fmt::format("{:.0f} s", seconds) : fmt::format("{}, {:.0f} s", label, seconds);
    if (!bar) return fmt::format("{}: {} ({})", what, counts, tail);
    std::size_t filled = total == 0 ? width : std::min(width, done * width / total);
    return fmt::format("{} [{}{}] {} ({})", what, std::string(filled, '#'), std::string(width - filled, '.'), counts,
                       tail);
}

} // namespace coronet::bench::report
