#pragma once
// How calls fail: the remote's exception, typed as Cap'n Proto types it, and
// the local reasons (connection lost, deadline, cancellation).

#include <boost/system/system_error.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::rpc {

/// rpc.capnp Exception.Type, the same numbers on the wire.
enum class exception_type : std::uint16_t { failed = 0, overloaded = 1, disconnected = 2, unimplemented = 3 };

std::string_view to_string(exception_type t);

class remote_error : public std::runtime_error {
    // Thrown by a call whose Return carried an exception, and by every call
    // pending on a connection that broke (type disconnected). A service
    // throws one to choose the type the caller sees; any other exception
    // reaches the caller as `failed` with its what().
public:
    remote_error(exception_type type, std::string reason)
        : std::runtime_error(std::string(to_string(type)) + ": " + reason), _type(type), _reason(std::move(reason)) {}
    exception_type type() const { return _type; }
    const std::string& reason() const { return _reason; }

private:
    exception_type _type;
    std::string _reason;
};

/// A malformed or over-limit frame or message: the connection that sent it is
/// aborted (Abort message, then close) with this as the reason.
class protocol_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace coronet::rpc
