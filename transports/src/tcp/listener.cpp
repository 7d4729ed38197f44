#include <coronet/transports/tcp/listener.hpp>
#include <coronet/transports/url.hpp>

#include <boost/system/system_error.hpp>

namespace coronet::tcp {

listener::listener(const executor_type& ex, const asio::ip::tcp::endpoint& at, int backlog) : _acceptor(ex) {
    auto where = make_url(scheme::tcp, at.address(), at.port());
    auto check = [&](boost::system::error_code ec, const char* what) {
        if (ec) throw boost::system::system_error(ec, where + ": " + what);
    };
    boost::system::error_code ec;
    _acceptor.open(at.protocol(), ec);
    check(ec, "cannot open socket");
    _acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    check(ec, "cannot set SO_REUSEADDR");
    _acceptor.bind(at, ec);
    check(ec, "cannot listen");
    _acceptor.listen(backlog, ec);
    check(ec, "cannot listen");
}

} // namespace coronet::tcp
