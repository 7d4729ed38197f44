#pragma once
// `coronet bench dht`, second part: the same key-value work through each
// DHT's own HTTP front on a loopback ring of the same size — coronet's
// `dht serve` API (PUT/GET /v1/kv/KEY) against OpenDHT's `dhtnode` REST proxy
// (Debian's dhtnode: POST/GET /<SHA-1 of KEY>). Puts go through the first
// node and gets through the last, so both are routed across the ring.

#include <cstddef>
#include <string>
#include <vector>

namespace coronet::bench::dht_ring {

struct http_kv_result {
    std::string system;
    std::string skipped; ///< why it did not run (not installed), else empty
    std::size_t keys = 0;
    std::size_t failed = 0; ///< puts or gets without a 200
    std::size_t wrong = 0;  ///< gets that returned another value
    std::vector<double> put_us, get_us;
    double put_seconds = 0, get_seconds = 0;
};

/// Puts `keys` keys through `https.front()` and reads them back through
/// `https.back()` (host:port each), one at a time.
http_kv_result measure_coronet_http(const std::vector<std::string>& https, std::size_t keys);

/// Starts `nodes` dhtnode processes (each with its REST proxy), does the same
/// work through the first and the last, and stops them by PID. Skipped (with
/// the reason) when /usr/bin/dhtnode is not there.
http_kv_result measure_opendht(unsigned nodes, std::size_t keys, double settle_seconds);

} // namespace coronet::bench::dht_ring
