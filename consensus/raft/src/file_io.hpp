#pragma once
// Internal: the POSIX file handling under wal.cpp and snapshot_file.cpp.
// Functions return 0 or an errno value and never throw, so each caller
// raises its own error type with its own context.

#include <coronet/consensus/raft/storage.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace coronet::consensus::raft::detail {

/// An owned file descriptor.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : _fd(fd) {}
    unique_fd(unique_fd&& o) noexcept : _fd(std::exchange(o._fd, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            _fd = std::exchange(o._fd, -1);
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return _fd; }
    explicit operator bool() const noexcept { return _fd >= 0; }
    /// Closes now; the error of close(2) is ignored (the data was synced
    /// before, where it mattered).
    void reset() noexcept;

private:
    int _fd = -1;
};

/// A read-only view of a whole file, mapped into memory (nothing is copied
/// or allocated for its contents, whatever its size).
class mapped_file {
public:
    mapped_file() = default;
    mapped_file(mapped_file&& o) noexcept
        : _data(std::exchange(o._data, nullptr)), _size(std::exchange(o._size, 0)) {}
    mapped_file& operator=(mapped_file&&) = delete;
    mapped_file(const mapped_file&) = delete;
    ~mapped_file() { reset(); }

    /// Maps the first `size` bytes of `fd` (nothing if size is 0).
    int map(int fd, std::uint64_t size) noexcept;
    void reset() noexcept;
    std::string_view bytes() const noexcept { return {static_cast<const char*>(_data), _size}; }

private:
    void* _data = nullptr;
    std::size_t _size = 0;
};

int open_file(const std::filesystem::path& path, int flags, unique_fd& out) noexcept;
int file_size(int fd, std::uint64_t& out) noexcept;
/// pwrite(2) until everything is written (short writes and EINTR retried).
int write_all_at(int fd, std::string_view data, std::uint64_t offset) noexcept;
/// fdatasync(2), or nothing under sync_mode::none.
int sync_file(int fd, sync_mode mode) noexcept;
/// fsync(2) on the directory itself: makes a created, renamed or removed
/// entry durable. Nothing under sync_mode::none.
int sync_dir(const std::filesystem::path& dir, sync_mode mode) noexcept;
/// Creates `dir` (and its parents) if needed; a new directory is made
/// durable by syncing its parent.
int ensure_dir(const std::filesystem::path& dir, sync_mode mode) noexcept;

/// "<what> <path>: <errno text>"
std::string describe(std::string_view what, const std::filesystem::path& path, int errno_value);

// Little-endian fixed-width integers.
inline void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
inline void store_u32(char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
/// \pre p points at 4 (load_u32) or 8 (load_u64) readable bytes
inline std::uint32_t load_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
inline std::uint64_t load_u64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

/// Reads little-endian fields from a byte range, never past its end: each
/// read checks the bytes left first and, once one fails, all fail.
class reader {
public:
    explicit reader(std::string_view bytes) : _bytes(bytes) {}

    bool u8(std::uint8_t& v) {
        if (!take(1)) return false;
        v = static_cast<std::uint8_t>(_bytes[_pos - 1]);
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (!take(4)) return false;
        v = load_u32(_bytes.data() + _pos - 4);
        return true;
    }
    bool u64(std::uint64_t& v) {
        if (!take(8)) return false;
        v = load_u64(_bytes.data() + _pos - 8);
        return true;
    }
    bool bytes(std::size_t n, std::string_view& v) {
        if (!take(n)) return false;
        v = _bytes.substr(_pos - n, n);
        return true;
    }
    std::size_t left() const { return _ok ? _bytes.size() - _pos : 0; }
    bool ok() const { return _ok; }

private:
    bool take(std::size_t n) {
        if (!_ok || n > _bytes.size() - _pos) return _ok = false;
        _pos += n;
        return true;
    }

    std::string_view _bytes;
    std::size_t _pos = 0;
    bool _ok = true;
};

} // namespace coronet::consensus::raft::detail
