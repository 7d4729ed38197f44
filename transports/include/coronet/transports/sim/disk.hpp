#pragma once
// A node's disk: writes land in a page cache and survive a crash only once
// fsynced, so durability bugs show up in simulation.

#include <coronet/clock.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace coronet::sim {

namespace detail {
struct world;
}

struct disk_options {
    /// Virtual time an fsync takes.
    duration fsync_latency = std::chrono::milliseconds(2);
    /// On crash, persist a random prefix of the unsynced writes, the last of
    /// them cut at a random byte (a torn write), instead of losing them all.
    bool tear_on_crash = false;
};

class disk {
    // Files are byte vectors named by strings. Reads see every write; a crash
    // keeps only what an fsync made durable (and, with tear_on_crash, a torn
    // prefix of the rest). Survives restarts: it belongs to the node, not to
    // its process.
public:
    disk(detail::world& w, std::uint32_t node);

    disk_options& options() { return _options; }

    void write(const std::string& file, std::uint64_t offset, std::span<const std::byte> data);
    void append(const std::string& file, std::span<const std::byte> data);
    void truncate(const std::string& file, std::uint64_t size);
    void remove(const std::string& file);
    /// Makes every write issued before the call durable, after fsync_latency
    /// of virtual time. Fails with operation_aborted if the node crashes first.
    asio::awaitable<void> fsync(const std::string& file);

    bool exists(const std::string& file) const;
    std::vector<std::byte> read(const std::string& file) const;
    std::uint64_t size(const std::string& file) const;
    std::vector<std::string> files() const;
    /// What a crash right now would leave (no torn writes).
    std::vector<std::byte> durable(const std::string& file) const;

    std::uint64_t fsyncs() const { return _fsyncs; }

    /// Called by the node when its process crashes.
    void crash();

private:
    struct pending_write {
        enum class kind { write, truncate, remove } what;
        std::uint64_t offset;
        std::vector<std::byte> data;
    };
    struct file_state {
        std::vector<std::byte> durable;
        bool durable_exists = false;
        std::vector<std::byte> current;
        bool exists = false;
        std::vector<pending_write> unsynced;
    };
    static void apply(std::vector<std::byte>& content, bool& exists, const pending_write& w);
    file_state& touch(const std::string& file);
    void check_up() const;

    detail::world& _world;
    std::uint32_t _node;
    disk_options _options;
    std::map<std::string, file_state> _files;
    std::uint64_t _fsyncs = 0;
};

} // namespace coronet::sim
