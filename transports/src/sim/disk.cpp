#include "world.hpp"

#include <coronet/timer.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace coronet::sim {

disk::disk(detail::world& w, std::uint32_t node) : _world(w), _node(node) {}

void disk::check_up() const {
    if (!_world.at(_node).up)
        throw boost::system::system_error(detail::process_gone(), "sim disk: node is down");
}

void disk::apply(std::vector<std::byte>& content, bool& exists, const pending_write& w) {
    switch (w.what) {
    case pending_write::kind::write:
        if (content.size() < w.offset + w.data.size()) content.resize(w.offset + w.data.size());
        std::copy(w.data.begin(), w.data.end(), content.begin() + static_cast<std::ptrdiff_t>(w.offset));
        exists = true;
        break;
    case pending_write::kind::truncate:
        content.resize(w.offset);
        exists = true;
        break;
    case pending_write::kind::remove:
        content.clear();
        exists = false;
        break;
    }
}

disk::file_state& disk::touch(const std::string& file) {
    if (file.empty()) throw std::invalid_argument("sim disk: empty file name");
    return _files[file];
}

void disk::write(const std::string& file, std::uint64_t offset, std::span<const std::byte> data) {
    check_up();
    auto& f = touch(file);
    pending_write w{pending_write::kind::write, offset, {data.begin(), data.end()}};
    apply(f.current, f.exists, w);
    f.unsynced.push_back(std::move(w));
}

void disk::append(const std::string& file, std::span<const std::byte> data) {
    write(file, size(file), data);
}

void disk::truncate(const std::string& file, std::uint64_t size) {
    check_up();
    auto& f = touch(file);
    pending_write w{pending_write::kind::truncate, size, {}};
    apply(f.current, f.exists, w);
    f.unsynced.push_back(std::move(w));
}

void disk::remove(const std::string& file) {
    check_up();
    auto it = _files.find(file);
    if (it == _files.end() || !it->second.exists) return;
    pending_write w{pending_write::kind::remove, 0, {}};
    apply(it->second.current, it->second.exists, w);
    it->second.unsynced.push_back(std::move(w));
}

asio::awaitable<void> disk::fsync(const std::string& file) {
    check_up();
    auto ex = co_await asio::this_coro::executor;
    auto* process = _world.process_of(ex);
    if (!process || process->node != _node)
        throw std::invalid_argument("sim disk: fsync must run on its own node's executor");
    auto count = _files.contains(file) ? _files[file].unsynced.size() : 0;
    coronet::timer t(ex, _world.clock);
    t.expires_after(_options.fsync_latency, _world.clock);
    co_await t.async_wait(); // a crash cancels it: nothing becomes durable
    if (!process->alive) throw boost::system::system_error(asio::error::operation_aborted, "sim disk: crashed in fsync");
    auto it = _files.find(file);
    if (it == _files.end()) co_return;
    auto& f = it->second;
    count = std::min(count, f.unsynced.size());
    for (std::size_t i = 0; i < count; ++i) apply(f.durable, f.durable_exists, f.unsynced[i]);
    f.unsynced.erase(f.unsynced.begin(), f.unsynced.begin() + static_cast<std::ptrdiff_t>(count));
    ++_fsyncs;
    _world.record("fsync", _node, _node, count);
}

bool disk::exists(const std::string& file) const {
    auto it = _files.find(file);
    return it != _files.end() && it->second.exists;
}

std::vector<std::byte> disk::read(const std::string& file) const {
    auto it = _files.find(file);
    if (it == _files.end() || !it->second.exists)
        throw boost::system::system_error(std::make_error_code(std::errc::no_such_file_or_directory),
                                          "sim disk: " + file);
    return it->second.current;
}

std::uint64_t disk::size(const std::string& file) const {
    auto it = _files.find(file);
    return it == _files.end() ? 0 : it->second.current.size();
}

std::vector<std::string> disk::files() const {
    std::vector<std::string> names;
    for (const auto& [name, f] : _files)
        if (f.exists) names.push_back(name);
    return names;
}

std::vector<std::byte> disk::durable(const std::string& file) const {
    auto it = _files.find(file);
    return it == _files.end() ? std::vector<std::byte>{} : it->second.durable;
}

void disk::crash() {
    for (auto& [name, f] : _files) {
        if (_options.tear_on_crash && !f.unsynced.empty()) {
            // A prefix of the unsynced writes reached the platter, the last of
            // them only in part.
            auto kept = _world.uniform(f.unsynced.size() + 1);
            for (std::size_t i = 0; i < kept; ++i) {
                auto w = f.unsynced[i];
                if (i + 1 == kept && w.what == pending_write::kind::write && !w.data.empty())
                    w.data.resize(_world.uniform(w.data.size() + 1));
                apply(f.durable, f.durable_exists, w);
            }
            _world.record("disk-torn", _node, _node, kept);
        }
        f.unsynced.clear();
        f.current = f.durable;
        f.exists = f.durable_exists;
    }
}

} // namespace coronet::sim
