#include "file_io.hpp"

#include <cerrno>
#include <cstdint>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace coronet::consensus::raft::detail {

void unique_fd::reset() noexcept {
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
}

int mapped_file::map(int fd, std::uint64_t size) noexcept {
    reset();
    if (size == 0) return 0;
    if (size > SIZE_MAX) return EFBIG;
    void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return errno;
    _data = p;
    _size = static_cast<std::size_t>(size);
    return 0;
}

void mapped_file::reset() noexcept {
    if (_data) ::munmap(_data, _size);
    _data = nullptr;
    _size = 0;
}

int open_file(const std::filesystem::path& path, int flags, unique_fd& out) noexcept {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return errno;
    out = unique_fd(fd);
    return 0;
}

int file_size(int fd, std::uint64_t& out) noexcept {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno;
    out = static_cast<std::uint64_t>(st.st_size);
    return 0;
}

int write_all_at(int fd, std::string_view data, std::uint64_t offset) noexcept {
    while (!data.empty()) {
        auto n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO; // no progress on a regular file: treat as an I/O error, never spin
        data.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return 0;
}

int sync_file(int fd, sync_mode mode) noexcept {
    if (mode == sync_mode::none) return 0;
    // Deliberately not retried on EINTR or anything else: after a failed
    // fsync the kernel may have dropped the dirty pages, so a second call
    // could "succeed" without the data on disk. The caller gives up instead.
    if (::fdatasync(fd) != 0) return errno;
    return 0;
}

int sync_dir(const std::filesystem::path& dir, sync_mode mode) noexcept {
    if (mode == sync_mode::none) return 0;
    unique_fd fd;
    if (int e = open_file(dir, O_RDONLY | O_DIRECTORY, fd)) return e;
    if (::fsync(fd.get()) != 0) return errno;
    return 0;
}

int ensure_dir(const std::filesystem::path& dir, sync_mode mode) noexcept {
    // Create one level at a time, syncing each new directory's parent, so
    // the whole chain survives a power failure.
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return 0;
    auto parent = dir.parent_path();
    if (!parent.empty() && parent != dir) {
        if (int e = ensure_dir(parent, mode)) return e;
    }
    if (!std::filesystem::create_directory(dir, ec)) return ec ? ec.value() : 0;
    return sync_dir(parent.empty() ? std::filesystem::path(".") : parent, mode);
}

std::string describe(std::string_view what, const std::filesystem::path& path, int errno_value) {
    std::string s(what);
    s += ' ';
    s += path.string();
    s += ": ";
    s += std::system_category().message(errno_value);
    return s;
}

} // namespace coronet::consensus::raft::detail
