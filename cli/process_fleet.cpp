#include "process_fleet.hpp"

#include "child_process.hpp"

#include <fmt/core.h>

#include <sys/wait.h>

#include <csignal>
#include <stdexcept>

namespace coronet::cli {

std::size_t process_fleet::start(std::string name, std::vector<std::string> args) {
    _procs.push_back({std::move(name), std::move(args), 0});
    restart(_procs.size() - 1);
    return _procs.size() - 1;
}

void process_fleet::restart(std::size_t i) {
    auto& p = _procs.at(i);
    if (p.pid > 0) throw std::logic_error(p.name + " is running");
    p.pid = spawn_self(p.args, log(i));
}

void process_fleet::kill(std::size_t i) {
    auto& p = _procs.at(i);
    if (p.pid <= 0) return;
    ::kill(p.pid, SIGKILL);
    int status = 0;
    ::waitpid(p.pid, &status, 0);
    p.pid = 0;
}

void process_fleet::stop(std::size_t i) {
    auto& p = _procs.at(i);
    if (p.pid <= 0) return;
    stop_child(p.pid);
    p.pid = 0;
}

void process_fleet::check_running() {
    for (std::size_t i = 0; i < _procs.size(); ++i) {
        auto& p = _procs[i];
        if (p.pid <= 0) continue;
        if (auto status = exited(p.pid)) {
            p.pid = 0;
            throw std::runtime_error(
                fmt::format("{} {}; see {}", p.name, describe_wait_status(*status), log(i).string()));
        }
    }
}

void process_fleet::stop_all() {
    for (std::size_t i = 0; i < _procs.size(); ++i) stop(i);
}

std::vector<std::pair<std::size_t, int>> process_fleet::reap_exited() {
    std::vector<std::pair<std::size_t, int>> out;
    for (std::size_t i = 0; i < _procs.size(); ++i)
        if (_procs[i].pid > 0)
            if (auto status = exited(_procs[i].pid)) {
                _procs[i].pid = 0;
                out.emplace_back(i, *status);
            }
    return out;
}

std::size_t process_fleet::running_count() const {
    std::size_t n = 0;
    for (const auto& p : _procs) n += p.pid > 0;
    return n;
}

} // namespace coronet::cli
