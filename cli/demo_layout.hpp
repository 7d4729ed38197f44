#pragma once
// Where the demo's processes are: their index in the process_fleet and the
// addresses they serve.

#include <cstddef>
#include <string>
#include <vector>

namespace coronet::cli {

struct kv_cluster_procs {
    std::vector<std::size_t> index; ///< in the fleet, per node id - 1
    std::vector<std::string> https; ///< host:port per node id - 1
};

struct dht_ring_procs {
    std::vector<std::size_t> index;
    std::vector<std::string> https;
    std::vector<std::string> udp; ///< ip:port of each node's Chord socket
};

struct broker_procs {
    std::size_t index = 0;
    std::string url;  ///< tcp://…
    std::string http; ///< the gateway, host:port
};

} // namespace coronet::cli
