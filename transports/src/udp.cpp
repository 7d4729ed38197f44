#include <coronet/transports/udp.hpp>
#include <coronet/transports/url.hpp>

#include <boost/system/system_error.hpp>

#include <stdexcept>

namespace coronet::udp {

socket::socket(const executor_type& ex, const asio::ip::udp::endpoint& at, std::size_t datagram_bytes_max)
    : _socket(ex), _datagram_bytes_max(datagram_bytes_max) {
    auto where = make_url(scheme::udp, at.address(), at.port());
    if (datagram_bytes_max == 0 || datagram_bytes_max > datagram_bytes_limit)
        throw std::invalid_argument(where + ": datagram_bytes_max must be 1.." +
                                    std::to_string(datagram_bytes_limit));
    boost::system::error_code ec;
    _socket.open(at.protocol(), ec);
    if (!ec) _socket.bind(at, ec);
    if (ec) throw boost::system::system_error(ec, where + ": cannot bind");
}

} // namespace coronet::udp
