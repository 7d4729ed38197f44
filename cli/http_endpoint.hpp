#pragma once
// --http HOST:PORT, as every node program takes it.

#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace coronet::cli {

/// Throws std::invalid_argument naming what is wrong (no colon, not an IP
/// address, a port outside 0..65535).
boost::asio::ip::tcp::endpoint http_endpoint(const std::string& hostport);

} // namespace coronet::cli
