#include <coronet/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

#include <stdexcept>

namespace coronet {

logger_ptr make_logger(std::string name, spdlog::level::level_enum level) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto log = std::make_shared<spdlog::logger>(std::move(name), std::move(sink));
    log->set_level(level);
    log->set_pattern("%H:%M:%S.%e %^%-5l%$ [%n] %v");
    return log;
}

spdlog::level::level_enum parse_log_level(std::string_view text) {
    for (int i = spdlog::level::trace; i < spdlog::level::n_levels; ++i) {
        auto lvl = static_cast<spdlog::level::level_enum>(i);
        auto name = spdlog::level::to_string_view(lvl);
        if (text == std::string_view(name.data(), name.size())) return lvl;
    }
    if (text == "warn") return spdlog::level::warn;
    throw std::invalid_argument("unknown log level '" + std::string(text) +
                                "' (expected trace, debug, info, warn, error, critical or off)");
}

} // namespace coronet
