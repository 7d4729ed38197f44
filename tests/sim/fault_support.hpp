#pragma once
// Helpers the fault-injection tests share.

#include <coronet/transports/fault/plan.hpp>

#include <boost/asio/error.hpp>

#include <memory>

namespace coronet::test {

inline std::shared_ptr<fault::plan> make_plan(fault::settings s) { return std::make_shared<fault::plan>(s); }

/// How a faulted connection ends: a reset or an orderly close, depending on
/// which side the kernel sees go first.
inline bool is_reset_or_eof(boost::system::error_code ec) {
    return ec == boost::asio::error::connection_reset || ec == boost::asio::error::eof;
}

} // namespace coronet::test
