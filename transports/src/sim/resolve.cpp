#include "world.hpp"

#include <coronet/transports/sim/resolve.hpp>

#include <boost/system/system_error.hpp>

namespace coronet::sim {

node& node_of(const asio::any_io_executor& ex) {
    auto* w = detail::world_of(ex);
    if (!w) throw std::invalid_argument("sim:// needs a sim node's executor (node.get_executor())");
    return *w->at(w->process_of_or_throw(ex, "sim://").node).facade;
}

asio::ip::address resolve(const asio::any_io_executor& ex, std::string_view host) {
    auto& w = node_of(ex).internals();
    if (auto it = w.by_name.find(host); it != w.by_name.end()) return w.at(it->second).address;
    boost::system::error_code bad;
    auto numeric = asio::ip::make_address(std::string(host), bad);
    if (!bad) {
        w.index_of(numeric); // throws host_unreachable for an address no node has
        return numeric;
    }
    throw boost::system::system_error(asio::error::host_not_found, "sim://" + std::string(host));
}

} // namespace coronet::sim
