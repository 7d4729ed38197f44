#pragma once
// One request to a node's HTTP API from the command line, retried while the
// node is unreachable or answers 503, and its body printed.

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <string>

namespace coronet::cli {

/// Exit status: 0 success (2xx), 1 answered with an error (4xx), 2 no answer
/// (or 5xx) within `timeout`.
int http_call(const std::string& url, std::chrono::milliseconds timeout, boost::beast::http::verb method,
              const std::string& target, const std::string& body = {});

} // namespace coronet::cli
