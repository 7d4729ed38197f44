#pragma once
// A node as other nodes know it: where it sits on the ring and where to send
// it messages. The core compares nodes by id and hands addresses to the
// driver untouched (any coronet endpoint: tcp://, uring://, udp://, sim://).

#include <coronet/dht/chord/id.hpp>

#include <string>

namespace coronet::dht::chord {

struct peer {
    chord::id id;
    std::string address;

    friend bool operator==(const peer&, const peer&) = default;
};

} // namespace coronet::dht::chord
