#!/usr/bin/env bash
# coronet bench chord --quick: the Chord paper's results come out of the
# simulation within sane bands (path length ≈ ½·log2 N, lookups on a settled
# ring always right, load imbalance shrinking with virtual nodes, failed
# lookups growing with the fraction of failed nodes, few failures under
# churn, recursive lookups faster than iterative ones), and the same seed
# gives the same numbers.
set -euo pipefail
coronet=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$coronet" bench chord --quick --seed 7 --json "$dir/a.json"
"$coronet" bench chord --quick --seed 7 --json "$dir/b.json" >/dev/null
python3 - "$dir/a.json" "$dir/b.json" <<'PY'
import json, math, sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])
problems = []
def check(ok, what):
    if not ok:
        problems.append(what)

def strip_timing(d):
    if isinstance(d, dict):
        return {k: strip_timing(v) for k, v in d.items() if k != "seconds"}
    if isinstance(d, list):
        return [strip_timing(v) for v in d]
    return d
check(strip_timing(a) == strip_timing(b), "two runs with --seed 7 differ")

points = a["path_length"]["points"]
check([p["nodes"] for p in points] == [16, 32, 64, 128, 256], "quick sweep is not N = 16..256")
last = 0
for p in points:
    n = p["nodes"]
    check(p["build"]["converged"], f"ring of {n} never settled")
    for style in ("iterative", "recursive"):
        s = p[style]
        ratio = s["path_length"]["mean"] / math.log2(n)
        check(0.35 <= ratio <= 0.65, f"N={n} {style}: mean path {ratio:.3f}·log2 N outside 0.35-0.65")
        check(s["failed"] == 0 and s["wrong_owner"] == 0, f"N={n} {style}: lookups failed on a settled ring")
        check(s["lookups"] >= 500, f"N={n} {style}: only {s['lookups']} lookups")
        check(sum(s["path_histogram"]) == s["lookups"], f"N={n} {style}: histogram does not add up")
    check(p["iterative"]["path_length"]["mean"] > last, f"path length does not grow at N={n}")
    last = p["iterative"]["path_length"]["mean"]
big = points[-1]
check(big["recursive"]["latency_ms"]["mean"] < big["iterative"]["latency_ms"]["mean"],
      "recursive lookups are not faster than iterative ones at N=256")

rows = a["load_balance"]["rows"]
one = [r for r in rows if r["virtual_per_node"] == 1]
many = max(rows, key=lambda r: r["virtual_per_node"])
for r in one:
    k = r["keys_per_node"]
    check(abs(k["mean"] - r["keys"] / r["nodes"]) < 1e-9, "mean keys per node is not keys/nodes")
    check(3 <= k["p99"] / k["mean"] <= 7, f"99th percentile {k['p99'] / k['mean']:.2f}× the mean with one id per node")
    check(k["p1"] == 0, "with one id per node some node should hold no key")
check(many["virtual_per_node"] >= 20 and many["keys_per_node"]["p1"] > 0 and
      many["keys_per_node"]["p99"] / many["keys_per_node"]["mean"] < 2.5, "virtual nodes do not even out the load")

fails = a["failures"]["rows"]
check(a["failures"]["build"]["converged"], "failure experiment's ring never settled")
at_once = [r for r in fails if r["style"] == "iterative" and r["when"] == "at once"]
check([r["p"] for r in at_once] == [0.1, 0.2, 0.3, 0.4, 0.5], "failure fractions are not 0.1..0.5")
for r in fails:
    check(r["eventually_failed_fraction"] <= r["first_attempt_failed_fraction"], "eventually > first attempt failed")
    check(abs(r["key_lost"] / r["lookups"] - r["p"]) < 0.1, f"p={r['p']}: lost keys far from p")
firsts = [r["first_attempt_failed_fraction"] for r in at_once]
check(all(y >= x - 0.02 for x, y in zip(firsts, firsts[1:])) and firsts[-1] > firsts[0] + 0.1,
      f"first-attempt failures do not grow with p: {firsts}")
check(firsts[0] > 0, "no lookup noticed a failure at p=0.1")
for r in fails:
    if r["when"].startswith("after") and r["p"] <= 0.3:
        check(r["eventually_failed_fraction"] < 0.02, f"p={r['p']}: lookups still fail after stabilization")

churn = a["churn"]["rows"]
check(a["churn"]["build"]["converged"], "churn experiment's ring never settled")
check(len(churn) >= 3 and all(r["lookups"] >= 100 for r in churn), "too few lookups under churn")
for r in churn:
    check(r["failed_fraction"] < 0.15, f"R={r['paper_rate_per_s']}: {r['failed_fraction']:.3f} of lookups failed")
    check(r["joins"] + r["failures"] > 0, f"R={r['paper_rate_per_s']}: no churn happened")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print("bench chord: all checks hold")
PY
