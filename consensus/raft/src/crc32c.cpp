// CRC-32C: a byte-at-a-time table (generated at compile time) and, on x86-64
// CPUs with SSE4.2, the crc32 instruction, 8 bytes at a time.

#include <coronet/consensus/raft/storage.hpp>

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define CORONET_CRC32C_HW 1
#endif

namespace coronet::consensus::raft {
namespace {

constexpr std::uint32_t castagnoli_reflected = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ castagnoli_reflected : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr auto table = make_table();

std::uint32_t update_portable(std::uint32_t state, const unsigned char* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) state = table[(state ^ p[i]) & 0xFFu] ^ (state >> 8);
    return state;
}

#ifdef CORONET_CRC32C_HW
__attribute__((target("sse4.2"))) std::uint32_t update_hw(std::uint32_t state, const unsigned char* p,
                                                           std::size_t n) noexcept {
    std::uint64_t s = state;
    for (; n >= 8; n -= 8, p += 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8); // unaligned input; the compiler turns this into one load
        s = _mm_crc32_u64(s, word);
    }
    auto s32 = static_cast<std::uint32_t>(s);
    for (; n > 0; --n, ++p) s32 = _mm_crc32_u8(s32, *p);
    return s32;
}

const bool have_sse42 = __builtin_cpu_supports("sse4.2");
#endif

} // namespace

std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(data.data());
    return ~update_portable(~crc, p, data.size());
}

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(data.data());
#ifdef CORONET_CRC32C_HW
    if (have_sse42) return ~update_hw(~crc, p, data.size());
#endif
    return ~update_portable(~crc, p, data.size());
}

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) noexcept {
    return crc32c(std::as_bytes(std::span(data.data(), data.size())), crc);
}

} // namespace coronet::consensus::raft
