#pragma once
// Names to addresses inside a simulated network, for sim:// URLs.

#include <coronet/transports/sim/node.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include <string_view>

namespace coronet::sim {

/// The node whose process runs `ex`; throws std::invalid_argument if `ex` is
/// not a sim node's executor.
node& node_of(const asio::any_io_executor& ex);

/// The address of the node named `host` (or with address `host`) in the
/// network that runs `ex`; throws system_error(host_not_found) naming it.
asio::ip::address resolve(const asio::any_io_executor& ex, std::string_view host);

} // namespace coronet::sim
