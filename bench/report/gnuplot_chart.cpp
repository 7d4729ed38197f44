#include "gnuplot_chart.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace coronet::bench::report {

namespace {

/// A string inside a gnuplot double-quoted literal.
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string script(const chart& c, const std::filesystem::path& svg) {
    std::string s;
    s += fmt::format("set terminal svg size 720,420 dynamic font 'sans,11' background '#ffffff'\n");
    s += fmt::format("set output {}\n", quoted(svg.filename().string())); // gnuplot runs in the SVG's directory
    s += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", quoted(c.title), quoted(c.x_label),
                     quoted(c.y_label));
    s += "set grid ytics lc rgb '#dddddd'\nset key outside right top\nset border 3\nset tics nomirror\n";
    if (c.log_x) s += "set logscale x 2\n";
    if (c.log_y) s += "set logscale y 10\n";
    if (!c.groups.empty()) {
        // Clustered bars: one row per group, one column per series.
        s += "set style data histograms\nset style histogram clustered gap 1\n"
             "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset xtics rotate by -30\n";
        if (!c.log_y) s += "set yrange [0:*]\n";
        s += "$data << EOD\n";
        for (std::size_t g = 0; g < c.groups.size(); ++g) {
            s += quoted(c.groups[g]);
            for (const auto& l : c.lines) s += fmt::format(" {}", g < l.bars.size() ? l.bars[g] : 0.0);
            s += "\n";
        }
        s += "EOD\nplot ";
        for (std::size_t i = 0; i < c.lines.size(); ++i)
            s += fmt::format("{}$data using {}:xtic(1) title {}", i ? ", " : "", i + 2, quoted(c.lines[i].title));
        return s + "\n";
    }
    for (std::size_t i = 0; i < c.lines.size(); ++i) {
        s += fmt::format("$s{} << EOD\n", i);
        for (auto [x, y] : c.lines[i].points) s += fmt::format("{} {}\n", x, y);
        s += "EOD\n";
    }
    s += "plot ";
    for (std::size_t i = 0; i < c.lines.size(); ++i)
        s += fmt::format("{}$s{} using 1:2 with linespoints {} lw 2 title {}", i ? ", " : "", i,
                         c.lines[i].dashed ? "dt 2 pt -1" : "pt 7 ps 0.6", quoted(c.lines[i].title));
    return s + "\n";
}

} // namespace

std::string find_gnuplot() {
    for (const char* dir : {"/usr/bin", "/usr/local/bin"}) {
        auto p = std::filesystem::path(dir) / "gnuplot";
        if (std::filesystem::exists(p)) return p.string();
    }
    return {};
}

void render_svg(const chart& c, const std::filesystem::path& svg, const std::string& gnuplot) {
    auto script_path = std::filesystem::path(svg).replace_extension(".gp");
    {
        std::ofstream out(script_path);
        out << script(c, svg);
        if (!out) throw std::runtime_error("cannot write " + script_path.string());
    }
    // The script is kept beside the SVG: a reader can re-plot or restyle it.
    // gnuplot runs without a shell, its complaints going to a file beside it.
    auto errors = std::filesystem::absolute(svg).replace_extension(".gnuplot.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    auto where = std::filesystem::absolute(svg).parent_path().string();
    posix_spawn_file_actions_addchdir_np(&actions, where.c_str());
    std::string program = gnuplot, arg = std::filesystem::absolute(script_path).string();
    char* argv[] = {program.data(), arg.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot run " + gnuplot);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::ifstream in(errors);
    std::string complaint((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(svg))
        throw std::runtime_error(fmt::format("gnuplot failed on {}: {}", script_path.string(), complaint));
    std::filesystem::remove(errors);
}

} // namespace coronet::bench::report
