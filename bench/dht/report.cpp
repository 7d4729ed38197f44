#include "report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cmath>

namespace coronet::bench::chord_bench {

namespace {

// The paper's figures (Stoica et al., IEEE/ACM ToN 11(1), 2003, section V),
// as docs/dht-experiment.md quotes them: approximate, read off the figures.
// Table III: mean path length after a fraction p of 1000 nodes failed
// (successor lists of 20, stabilization stopped).
constexpr double paper_table3_path[] = {3.84, 4.03, 4.22, 4.44, 4.69, 5.09};

double pct(std::size_t part, std::size_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0;
}

boost::json::object to_json(const summary& s) {
    return {{"count", s.count}, {"mean", s.mean}, {"p1", s.p1}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

boost::json::object to_json(const lookup_batch& b) {
    boost::json::array hist;
    for (auto h : b.histogram) hist.push_back(h);
    return {{"style", b.style},
            {"lookups", b.lookups},
            {"failed", b.failed},
            {"wrong_owner", b.wrong_owner},
            {"path_length", to_json(b.path)},
            {"hops", to_json(b.hops)},
            {"latency_ms", to_json(b.latency_ms)},
            {"path_histogram", std::move(hist)}};
}

boost::json::object to_json(const build_result& b) {
    return {{"nodes", b.nodes},
            {"waves", b.waves},
            {"join_retries", b.join_retries},
            {"converge_ticks", b.converge_ticks},
            {"converged", b.converged},
            {"live", b.health.live},
            {"wrong_successors", b.health.wrong_successors},
            {"wrong_predecessors", b.health.wrong_predecessors},
            {"wrong_successor_lists", b.health.wrong_lists},
            {"fingers", b.health.fingers},
            {"wrong_fingers", b.health.wrong_fingers}};
}

std::string build_note(const build_result& b) {
    if (b.converged) return {};
    return fmt::format("  (ring NOT settled: {} wrong successors, {} wrong fingers of {})", b.health.wrong_successors,
                       b.health.wrong_fingers, b.health.fingers);
}

/// The batch at 2^12 nodes, or the largest below it.
const path_point* histogram_point(const path_result& r) {
    const path_point* best = nullptr;
    for (const auto& p : r.points)
        if (p.nodes <= 4096) best = &p;
    return best;
}

} // namespace

void print_paths(const path_result& r, std::ostream& out) {
    out << fmt::format("\n1. lookup path length vs N (iterative lookups, {} per N, random origins and keys; "
                       "{:.1f} s)\n",
                       r.lookups_per_point, r.seconds);
    out << "   path length = nodes on the path, the owner included, the origin not (the core's hops + 1)\n";
    out << fmt::format("   {:>6} {:>8} {:>9} {:>9} {:>7} {:>5} {:>5} {:>9} {:>7} {:>6}\n", "N", "paper", "mean",
                       "mean/lgN", "p1", "p99", "max", "core hops", "failed", "wrong");
    for (const auto& p : r.points) {
        auto lg = std::log2(static_cast<double>(p.nodes));
        const auto& b = p.iterative;
        out << fmt::format("   {:>6} {:>8.2f} {:>9.3f} {:>9.3f} {:>7.0f} {:>5.0f} {:>5.0f} {:>9.3f} {:>7} {:>6}{}\n",
                           p.nodes, lg / 2, b.path.mean, b.path.mean / lg, b.path.p1, b.path.p99, b.path.max,
                           b.hops.mean, b.failed, b.wrong_owner, build_note(p.build));
    }
    out << "   paper (ToN Fig. 10a, approximate): mean ≈ ½·log2 N, 1st and 99th percentiles a few hops either side\n";
    if (const auto* p = histogram_point(r)) {
        const auto& b = p->iterative;
        out << fmt::format("\n   path length distribution (PDF) at N = {} (paper Fig. 10b: N = 2^12, peak at 6)\n",
                           p->nodes);
        for (std::size_t k = 0; k < b.histogram.size(); ++k) {
            double f = pct(b.histogram[k], b.lookups) / 100;
            out << fmt::format("   {:>3} {:>7.4f} {}\n", k, f, std::string(static_cast<std::size_t>(f * 100), '#'));
        }
    }
}

void print_load(const load_result& r, std::ostream& out) {
    out << fmt::format("\n2. keys per node, consistent hashing with SHA-1 ids ({:.1f} s)\n", r.seconds);
    out << fmt::format("   {:>6} {:>8} {:>8} {:>8} {:>6} {:>7} {:>6} {:>8} {:>8}\n", "nodes", "virtual", "keys",
                       "mean", "p1", "p99", "max", "p1/mean", "p99/mean");
    for (const auto& row : r.rows) {
        const auto& s = row.per_node;
        out << fmt::format("   {:>6} {:>8} {:>8} {:>8.1f} {:>6.0f} {:>7.0f} {:>6.0f} {:>8.2f} {:>8.2f}\n", row.nodes,
                           row.virtual_per_node, row.keys, s.mean, s.p1, s.p99, s.max, s.p1 / s.mean, s.p99 / s.mean);
    }
    out << "   paper (ToN Figs. 8, 9; 10^4 nodes): one id per node, 99th percentile ≈ 4.8× the mean and 1st ≈ 0;\n"
           "   with 20 virtual nodes per node ≈ 1.6× and ≈ 0.5× the mean (approximate)\n";
}

void print_failures(const failure_result& r, std::ostream& out) {
    out << fmt::format("\n3. lookups right after a fraction p of {} nodes fails at once (successor lists of {}; "
                       "{:.1f} s){}\n",
                       r.nodes, r.successors, r.seconds, build_note(r.build));
    out << fmt::format("   {:>4} {:>9} {:<12} {:>7} {:>9} {:>9} {:>6} {:>8} {:>6} {:>7} {:>8} {:>8} {:>8}\n", "p",
                       "style", "when", "lookups", "1st fail%", "failed%", "wrong", "lost key%", "path", "ToN III",
                       "lat ms", "p99 ms", "bad succ");
    for (const auto& row : r.rows) {
        auto i = static_cast<std::size_t>(std::lround(row.fraction_failed * 10));
        std::string paper = row.when == "at once" && row.style == "iterative" && i < 6
                                ? fmt::format("{:.2f}", paper_table3_path[i])
                                : "";
        out << fmt::format(
            "   {:>4.1f} {:>9} {:<12} {:>7} {:>9.2f} {:>9.2f} {:>6} {:>8.1f} {:>6.2f} {:>7} {:>8.0f} {:>8.0f} {:>8}\n",
            row.fraction_failed, row.style, row.when, row.lookups, 100 * row.first_attempt_failed_fraction(),
            100 * row.eventually_failed_fraction(), row.wrong_owner, pct(row.key_lost, row.lookups), row.path.mean,
            paper, row.latency_ms.mean, row.latency_ms.p99, row.wrong_successors);
    }
    out << "   1st fail%: not right on the first attempt (retried, failed or wrong owner); failed%: no "
                       "right answer after every attempt\n"
                       "   (error, or a dead or wrong owner named); lost key%: the key's owner before the failure "
                       "died (its data would be gone);\n"
                       "   after N s: the same lookups N s after the failure; bad succ: live nodes whose "
                       "successor was wrong as the batch began\n";
    out << "   paper (approximate, see docs/dht-experiment.md): SIGCOMM'01 Fig. 11: failed lookups ≈ p, all of them "
           "lost keys;\n"
           "   ToN Table III (1000 nodes, r = 20, attempts on failed nodes counted in the path): 3.84 at p = 0 to "
           "5.09 at p = 0.5,\n"
           "   a rise of a third; its p = 0 value sits below ½·log2 N, so compare the rise, not the level\n";
}

void print_churn(const churn_result& r, std::ostream& out) {
    out << fmt::format("\n4. lookups under churn: {} nodes, joins and failures each Poisson at the rate below, {} "
                       "lookups/s, {:.0f} s simulated per rate ({:.1f} s){}\n",
                       r.nodes, r.lookups_per_s, r.seconds_simulated, r.seconds, build_note(r.build));
    out << fmt::format("   the paper's timing: stabilize every {:.0f} s, a finger every {:.0f} s; rate/s = R × {} / "
                       "500 (the paper's node lifetime); iterative lookups\n",
                       r.stabilize_period_s, r.fix_fingers_period_s, r.nodes);
    out << fmt::format("   {:>7} {:>4} {:>7} {:>6} {:>6} {:>8} {:>8} {:>7} {:>6} {:>5} {:>8} {:>6} {:>8} {:>8} {:>5}\n",
                       "paper R", "fmax", "rate/s", "joins", "fails", "lookups", "failed%", "errors", "wrong", "dead",
                       "retried", "path", "lat ms", "p99 ms", "live");
    for (const auto& row : r.rows)
        out << fmt::format(
            "   {:>7.2f} {:>4} {:>7.2f} {:>6} {:>6} {:>8} {:>8.2f} {:>7} {:>6} {:>5} {:>8} {:>6.2f} {:>8.0f} {:>8.0f} {:>5}\n",
            row.paper_rate, row.failures_max, row.rate_per_s, row.joins, row.failures, row.lookups, 100 * row.failed_fraction(),
            row.failed, row.wrong_owner, row.wrong_dead, row.retried, row.path.mean, row.latency_ms.mean,
            row.latency_ms.p99, row.live_at_end);
    out << "   failed%: errors + wrong owners (not the key's live owner when the answer came; dead: the node named "
           "had failed);\n   lookups whose origin died are left out; fmax: missed replies before a peer is taken for dead\n"
           "   paper (ToN Fig. 11, 500 nodes): failed lookups grow about linearly with R, to a few percent at "
           "R = 0.4 (approximate)\n";
}

void print_styles(const path_result& r, std::ostream& out) {
    const sim_options model;
    out << fmt::format("\n5. iterative vs recursive lookups on the same rings (latency model: one-way {}-{} ms per "
                       "pair)\n",
                       model.latency.min_ms, model.latency.max_ms);
    out << fmt::format("   {:>6} | {:>6} {:>8} {:>8} {:>6} | {:>6} {:>8} {:>8} {:>6} | {:>9}\n", "N", "path",
                       "lat ms", "p99 ms", "failed", "path", "lat ms", "p99 ms", "failed", "rec/iter");
    out << fmt::format("   {:>6} | {:^31} | {:^31} |\n", "", "iterative", "recursive");
    for (const auto& p : r.points) {
        const auto& i = p.iterative;
        const auto& c = p.recursive;
        out << fmt::format("   {:>6} | {:>6.2f} {:>8.0f} {:>8.0f} {:>6} | {:>6.2f} {:>8.0f} {:>8.0f} {:>6} | {:>9.2f}\n",
                           p.nodes, i.path.mean, i.latency_ms.mean, i.latency_ms.p99, i.failed + i.wrong_owner,
                           c.path.mean, c.latency_ms.mean, c.latency_ms.p99, c.failed + c.wrong_owner,
                           i.latency_ms.mean > 0 ? c.latency_ms.mean / i.latency_ms.mean : 0);
    }
    out << "   iterative: a round trip from the origin per hop; recursive: one way per hop, then the owner answers the "
           "origin\n";
}

void write_json(const chord_report& r, std::ostream& out) {
    namespace json = boost::json;
    const sim_options model;
    json::array points, load, fails, churn;
    for (const auto& p : r.paths.points)
        points.push_back(json::object{{"nodes", p.nodes},
                                      {"half_log2_n", std::log2(static_cast<double>(p.nodes)) / 2},
                                      {"build", to_json(p.build)},
                                      {"iterative", to_json(p.iterative)},
                                      {"recursive", to_json(p.recursive)}});
    for (const auto& row : r.load.rows)
        load.push_back(json::object{{"nodes", row.nodes},
                                    {"virtual_per_node", row.virtual_per_node},
                                    {"keys", row.keys},
                                    {"keys_per_node", to_json(row.per_node)}});
    for (const auto& row : r.failures.rows)
        fails.push_back(json::object{{"p", row.fraction_failed},
                                     {"nodes_failed", row.nodes_failed},
                                     {"style", row.style},
                                     {"when", row.when},
                                     {"lookups", row.lookups},
                                     {"first_attempt_failed", row.first_attempt_failed},
                                     {"failed", row.failed},
                                     {"wrong_owner", row.wrong_owner},
                                     {"key_lost", row.key_lost},
                                     {"wrong_successors_at_start", row.wrong_successors},
                                     {"first_attempt_failed_fraction", row.first_attempt_failed_fraction()},
                                     {"eventually_failed_fraction", row.eventually_failed_fraction()},
                                     {"path_length", to_json(row.path)},
                                     {"latency_ms", to_json(row.latency_ms)}});
    for (const auto& row : r.churn.rows)
        churn.push_back(json::object{{"paper_rate_per_s", row.paper_rate},
                                     {"rate_per_s", row.rate_per_s},
                                     {"failures_max", row.failures_max},
                                     {"joins", row.joins},
                                     {"failures", row.failures},
                                     {"join_failures", row.join_failures},
                                     {"lookups", row.lookups},
                                     {"orphaned", row.orphaned},
                                     {"failed", row.failed},
                                     {"wrong_owner", row.wrong_owner},
                                     {"wrong_owner_dead", row.wrong_dead},
                                     {"retried", row.retried},
                                     {"failed_fraction", row.failed_fraction()},
                                     {"live_at_end", row.live_at_end},
                                     {"path_length", to_json(row.path)},
                                     {"latency_ms", to_json(row.latency_ms)}});
    json::object doc{
        {"benchmark", "chord"},
        {"machine", r.machine},
        {"quick", r.options.quick},
        {"seed", r.options.seed},
        {"max_nodes", r.options.max_nodes},
        {"seconds", r.seconds},
        {"model",
         json::object{{"tick_ms", static_cast<double>(model.tick_us) / 1000},
                      {"latency", "fixed one-way latency per node pair, uniform in [min_ms, max_ms]; build_ms while "
                                  "building rings"},
                      {"latency_min_ms", model.latency.min_ms},
                      {"latency_max_ms", model.latency.max_ms},
                      {"latency_build_ms", model.latency.build_ms},
                      {"id_bits", chord::id::bits_max},
                      {"successors", model.successors}}},
        {"path_length",
         json::object{{"lookups_per_point", r.paths.lookups_per_point}, {"seconds", r.paths.seconds},
                      {"points", std::move(points)}}},
        {"load_balance", json::object{{"seconds", r.load.seconds}, {"rows", std::move(load)}}},
        {"failures",
         json::object{{"nodes", r.failures.nodes},
                      {"successors", r.failures.successors},
                      {"repeated_after_ticks", json::array(r.failures.stabilize_ticks.begin(),
                                                           r.failures.stabilize_ticks.end())},
                      {"build", to_json(r.failures.build)},
                      {"seconds", r.failures.seconds},
                      {"rows", std::move(fails)}}},
        {"churn",
         json::object{{"nodes", r.churn.nodes},
                      {"seconds_simulated", r.churn.seconds_simulated},
                      {"lookups_per_s", r.churn.lookups_per_s},
                      {"stabilize_period_s", r.churn.stabilize_period_s},
                      {"fix_fingers_period_s", r.churn.fix_fingers_period_s},
                      {"build", to_json(r.churn.build)},
                      {"seconds", r.churn.seconds},
                      {"rows", std::move(churn)}}}};
    out << json::serialize(doc) << "\n";
}

} // namespace coronet::bench::chord_bench
