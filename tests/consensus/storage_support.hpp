#pragma once
// Helpers for the durable-storage tests: a fresh directory per test, a logger
// whose output the test can read, and raw file surgery.

#include <coronet/log.hpp>

#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace coronet::test {

/// A directory of its own under the system temp directory, removed (with
/// everything in it) when the object goes.
class temp_dir {
public:
    explicit temp_dir(const std::string& tag = "storage") {
        static std::atomic<unsigned> counter{0};
        _path = std::filesystem::temp_directory_path() /
                ("coronet-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(_path);
        std::filesystem::create_directories(_path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return _path; }
    std::filesystem::path operator/(const std::string& name) const { return _path / name; }

private:
    std::filesystem::path _path;
};

/// A logger that writes into a string the test can inspect.
struct captured_log {
    std::ostringstream text;
    logger_ptr log;

    captured_log() {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(text);
        log = std::make_shared<spdlog::logger>("test", std::move(sink));
        log->set_level(spdlog::level::warn);
        log->set_pattern("%l %v");
    }
    std::string str() const { return text.str(); }
    std::size_t warnings() const {
        std::size_t n = 0;
        auto s = text.str();
        for (auto pos = s.find("warning "); pos != std::string::npos; pos = s.find("warning ", pos + 1)) ++n;
        return n;
    }
};

inline std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// The files in `dir` whose names end with `suffix`, sorted by name.
inline std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir, const std::string& suffix) {
    std::vector<std::filesystem::path> out;
    for (const auto& de : std::filesystem::directory_iterator(dir)) {
        if (de.path().filename().string().ends_with(suffix)) out.push_back(de.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace coronet::test
