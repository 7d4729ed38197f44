#include <coronet/dht/chord/hash.hpp>

#include <boost/uuid/detail/sha1.hpp>

namespace coronet::dht::chord {

std::array<std::uint8_t, id::bytes> sha1(std::string_view data) {
    boost::uuids::detail::sha1 h;
    h.process_bytes(data.data(), data.size());
    // Boost 1.81 hands the digest out as five 32-bit words (h0..h4); later
    // Boost versions switched to bytes, which is why this stays in one place.
    boost::uuids::detail::sha1::digest_type words;
    h.get_digest(words);
    std::array<std::uint8_t, id::bytes> out{};
    for (std::size_t w = 0; w < 5; ++w)
        for (std::size_t b = 0; b < 4; ++b)
            out[w * 4 + b] = static_cast<std::uint8_t>((words[w] >> (24 - 8 * b)) & 0xff);
    return out;
}

id hash_id(std::string_view data, const ring& r) {
    auto digest = sha1(data);
    return id::from_bytes(digest).shifted_right(id::bits_max - r.bits());
}

} // namespace coronet::dht::chord
