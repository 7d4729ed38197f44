// coronet sim raft: the Raft paper's Figure 16 on the real core: how long a
// 5-server cluster takes to elect a new leader after its leader crashes, for
// election timeouts randomized over wider and wider spreads
// (docs/raft-elections.md).
#include "sim_command.hpp"

#include "progress.hpp"

#include <coronet/consensus/raft/election_experiment.hpp>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>

namespace coronet::cli {

namespace {

namespace raft = coronet::consensus::raft;

struct sim_raft_options {
    std::vector<double> spreads{0, 1, 5, 25, 50, 150};
    double timeout_min_ms = 150;
    double latency_min_ms = 5;
    double latency_max_ms = 10;
    std::size_t servers = 5;
    std::size_t trials = 1000;
    std::size_t trials_without_spread = 100; // the paper ran 100 for 150–150: they are slow
    bool pre_vote = false;
    std::uint64_t seed = 1;
    std::string json_path;
    bool markdown = false;
    bool quick = false;
};

std::string range_label(double min, double spread) {
    return fmt::format("{:g}–{:g} ms", min, min + spread);
}

void write_json(const std::string& path, const std::vector<raft::election_experiment_result>& rows) {
    boost::json::array out;
    for (const auto& r : rows) {
        const auto& o = r.options;
        out.push_back(boost::json::object{{"timeout_min_ms", o.timeout_min_ms},
                                          {"timeout_spread_ms", o.timeout_spread_ms},
                                          {"servers", o.servers},
                                          {"latency_ms", boost::json::array{o.latency_min_ms, o.latency_max_ms}},
                                          {"pre_vote", o.pre_vote},
                                          {"trials", o.trials},
                                          {"elected", r.elected_ms.size()},
                                          {"not_elected", r.not_elected},
                                          {"p50_ms", r.quantile(0.5)},
                                          {"p90_ms", r.quantile(0.9)},
                                          {"p99_ms", r.quantile(0.99)},
                                          {"max_ms", r.elected_ms.empty() ? 0.0 : r.elected_ms.back()},
                                          {"mean_terms", r.mean_terms()}});
    }
    std::ofstream f(path);
    if (!f) throw std::runtime_error("cannot write " + path);
    f << boost::json::serialize(boost::json::object{{"experiment", "raft elections (Raft paper, Figure 16)"},
                                                    {"rows", std::move(out)}})
      << "\n";
}

int run_sim_raft(sim_raft_options o) {
    if (o.quick) {
        o.trials = std::min<std::size_t>(o.trials, 100);
        o.trials_without_spread = std::min<std::size_t>(o.trials_without_spread, 20);
    }
    std::vector<raft::election_experiment_options> plan;
    for (auto spread : o.spreads) {
        raft::election_experiment_options e;
        e.servers = o.servers;
        e.timeout_min_ms = o.timeout_min_ms;
        e.timeout_spread_ms = spread;
        e.latency_min_ms = o.latency_min_ms;
        e.latency_max_ms = o.latency_max_ms;
        e.pre_vote = o.pre_vote;
        e.trials = spread == 0 ? std::min(o.trials, o.trials_without_spread) : o.trials;
        e.seed = o.seed;
        e.validate(); // a bad flag fails before anything runs
        plan.push_back(e);
    }
    std::vector<raft::election_experiment_result> rows;
    {
        bench::report::progress shown("raft elections", plan.size());
        for (auto& e : plan) {
            rows.push_back(raft::run_election_experiment(e));
            shown.advance(range_label(e.timeout_min_ms, e.timeout_spread_ms));
        }
    }
    table t{{"election timeout", "trials", "p50 ms", "p90 ms", "p99 ms", "max ms", "over 1 s", "none in 10 s",
             "terms (mean)"}};
    for (const auto& r : rows) {
        auto over_second = std::count_if(r.elected_ms.begin(), r.elected_ms.end(), [](double ms) { return ms > 1000; });
        t.push_back({range_label(r.options.timeout_min_ms, r.options.timeout_spread_ms), std::to_string(r.options.trials),
                     fmt::format("{:.1f}", r.quantile(0.5)), fmt::format("{:.1f}", r.quantile(0.9)),
                     fmt::format("{:.1f}", r.quantile(0.99)),
                     fmt::format("{:.1f}", r.elected_ms.empty() ? 0.0 : r.elected_ms.back()),
                     std::to_string(over_second), std::to_string(r.not_elected), fmt::format("{:.2f}", r.mean_terms())});
    }
    std::cout << fmt::format("{} servers, one-way latency {:g}–{:g} ms, heartbeat {:g} ms, PreVote {}; time from the "
                             "leader's crash to a new leader\n",
                             o.servers, o.latency_min_ms, o.latency_max_ms, o.timeout_min_ms / 2,
                             o.pre_vote ? "on" : "off");
    print_table(t, o.markdown, std::cout);
    if (!o.json_path.empty()) write_json(o.json_path, rows);
    return 0;
}

} // namespace

void add_sim_raft_command(CLI::App& sim, std::function<int()>& run) {
    auto o = std::make_shared<sim_raft_options>();
    auto* r = sim.add_subcommand("raft", "Raft election time after a leader crash vs timeout randomization "
                                         "(the Raft paper's Figure 16; docs/raft-elections.md)");
    r->add_option("--spreads", o->spreads, "random part of the timeout, ms, comma-separated (0: none)")
        ->delimiter(',')
        ->capture_default_str()
        ->check(CLI::Range(0.0, 60'000.0));
    r->add_option("--timeout-min", o->timeout_min_ms, "minimum election timeout, ms")->capture_default_str();
    r->add_option("--latency-min", o->latency_min_ms, "one-way message latency, lowest, ms")->capture_default_str();
    r->add_option("--latency-max", o->latency_max_ms, "one-way message latency, highest, ms")->capture_default_str();
    r->add_option("--servers", o->servers, "cluster size")->capture_default_str();
    r->add_option("--trials", o->trials, "leader crashes per timeout range")->capture_default_str();
    r->add_flag("--pre-vote", o->pre_vote, "candidates ask first (dissertation §9.6): one more round trip per election");
    r->add_option("--seed", o->seed, "seeds every trial")->capture_default_str();
    r->add_option("--json", o->json_path, "also write the rows as JSON to this file");
    r->add_flag("--markdown", o->markdown, "print the table as Markdown");
    r->add_flag("--quick", o->quick, "at most 100 trials per range (20 without randomization)");
    r->callback([&run, o] { run = [o] { return run_sim_raft(*o); }; });
}

} // namespace coronet::cli
