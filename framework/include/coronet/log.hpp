#pragma once
// Loggers are objects handed to components, not a global registry.

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

namespace coronet {

using logger_ptr = std::shared_ptr<spdlog::logger>;

/// A logger writing to stderr, named for the component (`[coronet.tcp]`).
logger_ptr make_logger(std::string name, spdlog::level::level_enum level = spdlog::level::info);

/// Parses trace|debug|info|warn|error|critical|off; throws std::invalid_argument
/// naming the accepted values otherwise.
spdlog::level::level_enum parse_log_level(std::string_view text);

} // namespace coronet
