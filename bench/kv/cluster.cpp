#include "cluster.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace coronet::bench::kv_bench {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

bool bindable(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string describe(const std::vector<std::string>& answers) {
    std::string out;
    for (std::size_t i = 0; i < answers.size(); ++i)
        out += fmt::format("{}member {}: {}", i ? "; " : "", i + 1, answers[i]);
    return out;
}

} // namespace

std::vector<std::uint16_t> pick_ports(std::size_t n) {
    constexpr std::uint16_t low = 12000, high = 32000; // below the ephemeral range
    std::random_device rd;
    std::uint16_t next = static_cast<std::uint16_t>(low + rd() % (high - low));
    std::vector<std::uint16_t> ports;
    for (unsigned tried = 0; ports.size() < n && tried < high - low; ++tried) {
        if (bindable(next)) ports.push_back(next);
        next = next + 1 >= high ? low : static_cast<std::uint16_t>(next + 1);
    }
    if (ports.size() < n) throw std::runtime_error(fmt::format("no {} free loopback ports in {}..{}", n, low, high));
    return ports;
}

cluster::cluster(const kv_system& system, bool fsync, std::size_t size)
    : _system(system), _fsync(fsync), _data(std::make_unique<pubsub_bench::temp_dir>()) {
    auto ports = pick_ports(2 * size);
    for (std::size_t i = 0; i < size; ++i) _ports.push_back({ports[2 * i], ports[2 * i + 1]});
    _members.resize(size);
    for (std::size_t i = 0; i < size; ++i) start(i); // a throw destroys the members started so far
}

cluster::~cluster() {
    // Reverse order, so a follower is not left electing while the rest stop.
    for (auto it = _members.rbegin(); it != _members.rend(); ++it) it->reset();
}

void cluster::start(std::size_t i) {
    auto dir = data_root() / fmt::format("m{}", i + 1);
    auto args = _system.member_args(i, _ports, dir, _fsync);
    _members[i] = std::make_unique<pubsub_bench::peer_process>(_system.program, args, _ports[i].client, -1, nullptr,
                                                               std::chrono::seconds(10));
}

std::uint64_t cluster::term() const {
    std::optional<std::uint64_t> highest;
    std::string why = "no member running";
    for (std::size_t i = 0; i < size(); ++i) {
        if (!running(i)) continue;
        try {
            auto t = _system.status(client_port(i), 2s).term;
            highest = std::max(highest.value_or(0), t);
        } catch (const std::exception& e) {
            why = e.what();
        }
    }
    if (!highest) throw std::runtime_error(fmt::format("{}: no member told its term ({})", _system.name, why));
    return *highest;
}

std::vector<pid_t> cluster::pids() const {
    std::vector<pid_t> out;
    for (const auto& m : _members)
        if (m) out.insert(out.end(), m->pids.begin(), m->pids.end());
    return out;
}

void cluster::kill(std::size_t i) {
    if (!_members[i]) throw std::logic_error(fmt::format("member {} is not running", i + 1));
    ::kill(_members[i]->pids.at(0), SIGKILL);
    _members[i].reset(); // reaps it (the SIGTERM that follows finds it dead)
}

void cluster::restart(std::size_t i) {
    if (_members[i]) throw std::logic_error(fmt::format("member {} is still running", i + 1));
    start(i);
}

std::size_t cluster::wait_healthy(std::chrono::milliseconds max) {
    auto deadline = clock::now() + max;
    std::vector<std::string> answers(size(), "not asked");
    for (;;) {
        std::vector<member_status> statuses;
        bool all_answered = true;
        for (std::size_t i = 0; i < size(); ++i) {
            if (!running(i)) {
                answers[i] = "not running";
                continue;
            }
            try {
                statuses.push_back(_system.status(client_port(i), 500ms));
                auto& s = statuses.back();
                answers[i] = fmt::format("id {}, leader {}, applied {}", s.id, s.leader.empty() ? "none" : s.leader,
                                         s.applied);
            } catch (const std::exception& e) {
                answers[i] = e.what();
                all_answered = false;
            }
        }
        if (all_answered && !statuses.empty()) {
            const auto& leader = statuses.front().leader;
            bool agreed = !leader.empty();
            std::optional<std::size_t> leader_index;
            for (std::size_t i = 0, s = 0; i < size(); ++i) {
                if (!running(i)) continue;
                const auto& st = statuses[s++];
                agreed = agreed && st.leader == leader && st.applied == statuses.front().applied;
                if (st.id == leader) leader_index = i;
            }
            if (agreed && leader_index) return *leader_index;
        }
        if (clock::now() >= deadline)
            throw std::runtime_error(fmt::format("{} cluster not healthy within {} ms ({})", _system.name, max.count(),
                                                 describe(answers)));
        std::this_thread::sleep_for(50ms);
    }
}

} // namespace coronet::bench::kv_bench
