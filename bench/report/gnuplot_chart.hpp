#pragma once
// A chart for a benchmark report, drawn by gnuplot (Debian's gnuplot-nox) as
// an SVG file: lines over a numeric x axis, or bars over named groups.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace coronet::bench::report {

struct series {
    std::string title;
    std::vector<std::pair<double, double>> points; ///< lines: (x, y)
    std::vector<double> bars;                     ///< bars: one value per chart::groups entry
    bool dashed = false;                           ///< a reference line (a model, a target)
};

struct chart {
    std::string title;
    std::string x_label;
    std::string y_label;
    bool log_x = false;
    bool log_y = false;
    std::vector<std::string> groups; ///< non-empty: a bar chart, one cluster per group
    std::vector<series> lines;
};

/// The gnuplot program, if one is on PATH.
std::string find_gnuplot();

/// Writes `svg` from `c` with `gnuplot`. Throws std::runtime_error (with
/// gnuplot's complaint) if it fails.
void render_svg(const chart& c, const std::filesystem::path& svg, const std::string& gnuplot);

} // namespace coronet::bench::report
