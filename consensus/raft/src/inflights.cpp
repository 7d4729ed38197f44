#include <coronet/consensus/raft/inflights.hpp>

#include <stdexcept>

namespace coronet::consensus::raft {

inflights::inflights(std::size_t messages_max) : _messages_max(messages_max) {
    if (messages_max == 0) throw std::invalid_argument("raft inflights: messages_max must be at least 1");
}

void inflights::add(index_t last) {
    if (full()) throw std::logic_error("raft inflights: window full"); // progress checks is_paused() first
    _last.push_back(last);
}

void inflights::free_to(index_t index) {
    while (!_last.empty() && _last.front() <= index) _last.pop_front();
}

void inflights::free_first() {
    if (!_last.empty()) _last.pop_front();
}

} // namespace coronet::consensus::raft
