#include "http_endpoint.hpp"

#include <stdexcept>

namespace coronet::cli {

boost::asio::ip::tcp::endpoint http_endpoint(const std::string& hostport) {
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("--http is HOST:PORT, not '" + hostport + "'");
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(hostport.substr(0, colon), ec);
    if (ec) throw std::invalid_argument("--http: '" + hostport.substr(0, colon) + "' is not an IP address");
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(hostport.substr(colon + 1), &used);
        if (used != hostport.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) throw std::invalid_argument("--http: bad port in '" + hostport + "'");
    return {address, static_cast<unsigned short>(port)};
}

} // namespace coronet::cli
