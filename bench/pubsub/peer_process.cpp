#include "peer_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace coronet::bench::pubsub_bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string find_program(const std::string& name) {
    std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
    dirs += ":/usr/sbin:/usr/local/sbin:/sbin";
    std::istringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');) {
        if (dir.empty()) continue;
        auto p = fs::path(dir) / name;
        if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return {};
}

std::string program_output_line(const std::string& program, const std::string& args) {
    std::string cmd = fmt::format("'{}' {} 2>&1", program, args);
    std::FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) return {};
    char line[512] = {};
    bool got = std::fgets(line, sizeof line, f) != nullptr;
    while (std::fgetc(f) != EOF) {} // let it finish
    ::pclose(f);
    if (!got) return {};
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

temp_dir::temp_dir() {
    std::random_device rd;
    auto base = fs::temp_directory_path();
    for (int i = 0; i < 100; ++i) {
        auto p = base / fmt::format("coronet-bench-pubsub-{}", rd());
        if (fs::create_directory(p)) {
            _path = p;
            return;
        }
    }
    throw std::runtime_error(fmt::format("cannot create a temporary directory in {}", base.string()));
}

temp_dir::~temp_dir() {
    std::error_code ec;
    fs::remove_all(_path, ec);
}

namespace {

std::string tail_of(const fs::path& log) {
    std::ifstream f(log);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (all.size() > 600) all = fmt::format("…{}", all.substr(all.size() - 600));
    return all.empty() ? "(no output)" : all;
}

} // namespace

peer_process::child::~child() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    auto until = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < until) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
        std::this_thread::sleep_for(5ms);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

peer_process::peer_process(const std::string& program, const std::vector<std::string>& args, std::uint16_t p,
                           int cpu, std::unique_ptr<temp_dir> dir, std::chrono::milliseconds start_timeout)
    : _dir(dir ? std::move(dir) : std::make_unique<temp_dir>()) {
    port = p;
    auto log = _dir->path() / "output.log";
    // Everything the child needs is made before fork(): after it, only
    // async-signal-safe calls (this process has threads).
    std::vector<std::string> argv_s{program};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) throw std::runtime_error(fmt::format("cannot open {}", log.string()));
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu >= 0) CPU_SET(cpu, &set);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(126); // the parent died already
        if (cpu >= 0) ::sched_setaffinity(0, sizeof set, &set);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out);
    ::close(in);
    if (pid < 0) throw std::runtime_error("fork failed");
    _child.pid = pid;
    pids.push_back(pid);

    auto until = std::chrono::steady_clock::now() + start_timeout;
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            _child.pid = -1;
            throw std::runtime_error(fmt::format("{} exited at start (status {}): {}", fs::path(program).filename().string(),
                                                 status, tail_of(log)));
        }
        if (accepts(port)) return;
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error(fmt::format("{} did not accept on port {} within {} ms: {}",
                                                 fs::path(program).filename().string(), port, start_timeout.count(),
                                                 tail_of(log)));
        std::this_thread::sleep_for(10ms);
    }
}

peer_process::~peer_process() = default;

} // namespace coronet::bench::pubsub_bench
