#!/usr/bin/env bash
# coronet bench report (and bench chord --report): the committed benchmark
# JSON of docs/ becomes a Markdown report with a section and table per
# benchmark and gnuplot SVG charts (transport latency and throughput, Raft
# commit latency sync vs async vs etcd, Chord path length against ½·log2 N);
# unreadable input is refused with a clear error. Skipped (77) without gnuplot.
set -euo pipefail
coronet=$1
docs=$2
command -v gnuplot >/dev/null || [ -x /usr/bin/gnuplot ] || { echo "no gnuplot (apt-get install gnuplot-nox)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$coronet" bench report "$docs"/bench-transports-*.json "$docs"/bench-kv-2026-12-02b.json \
  "$docs"/bench-chord-*.json --out "$dir/r" | tee "$dir/out"
grep -q "report: $dir/r/report.md (5 charts)" "$dir/out" || { echo "expected five charts"; exit 1; }
md="$dir/r/report.md"
for heading in "## transports" "## kv" "## chord"; do
  grep -q "^$heading" "$md" || { echo "missing section $heading"; exit 1; }
done
grep -q '^| pingpong | tcp+asio\\|\\|timer |' "$md" || { echo "a '|' in a name broke the table"; exit 1; }
grep -Eq '^\| coronet-async \| 256 \| [0-9]+ \|' "$md" || { echo "no kv row for 256 clients"; exit 1; }
grep -Eq '^\| 8192 \| 6\.5 \| 6\.[0-9]+ \|' "$md" || { echo "no chord row for N = 8192"; exit 1; }
for chart in transports-latency transports-throughput kv-latency kv-throughput chord-path-length; do
  svg="$dir/r/$chart.svg"
  grep -q "<svg" "$svg" && grep -q "</svg>" "$svg" || { echo "$chart.svg is not a whole SVG"; exit 1; }
  grep -q "($chart.svg)" "$md" || { echo "the report does not embed $chart.svg"; exit 1; }
done
grep -q "½·log2 N (the paper)" "$dir/r/chord-path-length.svg" || { echo "the model line is missing"; exit 1; }

# Bad input: a clear error, exit status 1.
echo "not json" >"$dir/bad.json"
if "$coronet" bench report "$dir/bad.json" --out "$dir/x" 2>"$dir/err"; then echo "accepted garbage"; exit 1; fi
grep -q "is not JSON" "$dir/err" || { cat "$dir/err"; exit 1; }
echo '{"benchmark":"kv"}' >"$dir/thin.json"
if "$coronet" bench report "$dir/thin.json" --out "$dir/x" 2>"$dir/err"; then echo "accepted a kv report without cells"; exit 1; fi
grep -q "a field the report needs is missing" "$dir/err" || { cat "$dir/err"; exit 1; }

# --report on a benchmark itself (where the peer benchmarks are built: `bench chord --help`
# would answer with the bench help even where chord is absent).
if "$coronet" bench --help | grep -qE "^  chord "; then
  "$coronet" bench chord --quick --report "$dir/c" >/dev/null 2>"$dir/progress"
  grep -q "^## chord" "$dir/c/report.md" && [ -s "$dir/c/chord-path-length.svg" ] && [ -s "$dir/c/bench-chord.json" ] ||
    { echo "bench chord --report wrote no report"; exit 1; }
  # Not a terminal: progress comes as plain lines on stderr, one per ring size.
  for step in "1/5 (N = 16," "5/5 (N = 256,"; do
    grep -qF "path length: $step" "$dir/progress" || { cat "$dir/progress"; echo "no progress line '$step'"; exit 1; }
  done
fi
echo "bench report: three sections, five charts, bad input refused"
