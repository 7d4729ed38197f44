#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace coronet::cli {

namespace {

// Names the parent's PID in a child's environment: posix_spawn cannot set
// PR_SET_PDEATHSIG, so the child sets it on itself (die_with_parent).
constexpr const char* parent_variable = "CORONET_SUPERVISOR_PID";

} // namespace

void die_with_parent() {
    const char* parent = std::getenv(parent_variable);
    if (!parent) return;
    auto expected = static_cast<pid_t>(std::strtol(parent, nullptr, 10));
    ::unsetenv(parent_variable); // not inherited by the child's own children
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != expected) std::_Exit(1); // it died before we could ask
}

pid_t spawn_self(const std::vector<std::string>& args, const std::filesystem::path& log) {
    char self[4096];
    auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "readlink /proc/self/exe");
    self[n] = '\0';
    std::vector<char*> argv{self};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    auto log_path = log.string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    // The parent may block SIGINT/SIGTERM to wait for them; the child must
    // not inherit that, or it could not be stopped gracefully.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<std::string> env_storage{fmt::format("{}={}", parent_variable, ::getpid())};
    for (char** e = environ; *e; ++e)
        if (!std::string_view(*e).starts_with(std::string(parent_variable) + "=")) env_storage.emplace_back(*e);
    std::vector<char*> env;
    for (auto& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, self, &actions, &attr, argv.data(), env.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), fmt::format("starting {}", self));
    return pid;
}

std::optional<int> exited(pid_t pid) {
    int status = 0;
    auto r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    return std::nullopt;
}

std::optional<int> stop_child(pid_t pid, std::chrono::milliseconds grace) {
    if (auto s = exited(pid)) return s;
    if (::kill(pid, SIGTERM) != 0 && errno == ESRCH) return std::nullopt;
    ::kill(pid, SIGCONT); // a paused child cannot act on SIGTERM
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto s = exited(pid)) return s;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    if (::waitpid(pid, &status, 0) == pid) return status;
    return std::nullopt;
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
    return fmt::format("ended with wait status {}", status);
}

sigset_t block_stop_signals() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    return stop;
}

void supervise(const sigset_t& stop, std::vector<pid_t>& pids, unsigned seconds,
               const std::function<void(std::size_t, int)>& on_exit) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        timespec tick{0, 200'000'000};
        if (sigtimedwait(&stop, nullptr, &tick) > 0) return;
        if (seconds && std::chrono::steady_clock::now() >= until) return;
        for (std::size_t i = 0; i < pids.size(); ++i)
            if (pids[i] > 0)
                if (auto s = exited(pids[i])) {
                    on_exit(i, *s);
                    pids[i] = 0;
                }
    }
}

} // namespace coronet::cli

