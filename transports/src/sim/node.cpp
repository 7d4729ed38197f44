#include "world.hpp"

namespace coronet::sim {

node::node(detail::world& w, node_index index, std::string name)
    : _world(w), _index(index), _name(std::move(name)), _disk(w, index) {}

asio::ip::address node::address() const { return _world.at(_index).address; }

asio::any_io_executor node::get_executor() { return _world.at(_index).current().ctx.get_executor(); }

coronet::clock& node::clock() { return _world.clock; }

void node::spawn(asio::awaitable<void> task) { _world.spawn(_world.at(_index).current(), std::move(task)); }

void node::on_start(std::function<asio::awaitable<void>(node&)> boot) {
    auto& ns = _world.at(_index);
    ns.boot = std::move(boot);
    if (ns.up && ns.boot) spawn(ns.boot(*this));
}

bool node::up() const { return _world.at(_index).up; }
bool node::paused() const { return _world.at(_index).paused; }
std::uint32_t node::incarnation() const { return _world.at(_index).current().number; }

void node::pause() {
    auto& ns = _world.at(_index);
    if (ns.paused) return;
    ns.paused = true;
    ++ns.pause_generation;
    _world.record("pause", _index, _index);
}

void node::resume() {
    auto& ns = _world.at(_index);
    if (!ns.paused) return;
    ns.paused = false;
    ++ns.pause_generation;
    _world.record("resume", _index, _index);
    for (auto& p : ns.processes) _world.wake(*p); // whatever arrived meanwhile
}

void node::pause_for(duration d) {
    pause();
    auto generation = _world.at(_index).pause_generation;
    _world.schedule_after(d, [this, generation] {
        if (_world.at(_index).pause_generation == generation) resume();
    });
}

void node::crash() {
    auto& ns = _world.at(_index);
    if (ns.paused) resume(); // a dead process is not paused; its unwinding must run
    _world.crash(_index);
}

void node::restart() {
    if (up()) throw std::logic_error("sim: node " + _name + " is up; crash() it before restart()");
    if (_world.closing) throw std::logic_error("sim: the network is shutting down");
    _world.start_process(_index);
}

} // namespace coronet::sim
