#pragma once
// Progress of long-running work (benchmarks, simulations) on stderr, so the
// tables on stdout stay clean: a bar redrawn in place on a terminal, one
// plain line per step otherwise (logs, CI).

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace coronet::bench::report {

class progress {
public:
    /// `total` steps of `what`; prints nothing until the first step is done.
    progress(std::string what, std::size_t total);
    /// Ends the bar's line on a terminal.
    ~progress();
    progress(const progress&) = delete;
    progress& operator=(const progress&) = delete;

    /// One step done; `label` says which (e.g. "N = 1024").
    void advance(std::string_view label = {});

    /// What a line says after `done` of `total` steps, `seconds` in; a bar
    /// of `width` cells when `bar` (exposed for tests).
    static std::string line(std::string_view what, std::size_t done, std::size_t total, std::string_view label,
                            double seconds, bool bar, std::size_t width = 24);

private:
    std::string _what;
    std::size_t _total;
    std::size_t _done = 0;
    bool _terminal;
    std::chrono::steady_clock::time_point _start = std::chrono::steady_clock::now();
};

} // namespace coronet::bench::report
