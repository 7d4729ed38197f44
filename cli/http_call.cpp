#include "http_call.hpp"

#include <coronet/transports/http_client.hpp>

#include <iostream>
#include <thread>

namespace coronet::cli {

int http_call(const std::string& url, std::chrono::milliseconds timeout, boost::beast::http::verb method,
              const std::string& target, const std::string& body) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // A fresh client each time: the node we were redirected to may be
        // the one that died since.
        http::blocking_client c(url, timeout);
        http::reply r;
        try {
            r = c.request(method, target, body);
        } catch (const std::exception& e) {
            if (std::chrono::steady_clock::now() >= deadline) {
                std::cerr << "coronet: no answer: " << e.what() << "\n";
                return 2;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        if (r.status == 503 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        std::cout << r.body;
        if (!r.body.empty() && r.body.back() != '\n') std::cout << '\n';
        if (r.status >= 200 && r.status < 300) return 0;
        return r.status >= 500 ? 2 : 1;
    }
}

} // namespace coronet::cli
