#!/usr/bin/env bash
# Benchmark (not a test): `assent curate` against datatrove's FineWeb text stages on the same
# WARC, one core each, in the same run so that the ratio survives a noisy machine.
#
#   scripts/bench_curate.sh [COPIES]      (default 10: 1,826 pages, ~313 MB of HTML)
#
# Needs ../shared/bench (make_warc.py, datatrove_baseline.py). Installs datatrove into
# .venv-bench on first use. Prints pages per second of both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-10}
work=${BENCH_DIR:-/tmp/assent-bench}
mkdir -p "$work"
warc="$work/bench-$copies.warc.gz"
[ -f "$warc" ] || python3 ../shared/bench/make_warc.py "$warc" --copies "$copies"
pages=$(( copies * 181 + 16 ))

cargo build --release --quiet
cfg="$work/one-core.toml"
# The steps datatrove's FineWeb text stages have: its four quality rules, then (ours) the
# counts and exact dedup. Language ID is left out on both sides (datatrove's is a download).
printf '[pipeline]\nthreads = 1\nsteps = ["gopher-repetition", "gopher-quality", "c4-quality", "fineweb-quality", "quality-signals", "exact-dedup"]\n' > "$cfg"
rm -rf "$work/assent-out"
start=$(date +%s.%N)
taskset -c 0 target/release/assent curate --config "$cfg" --warc "$warc" --out "$work/assent-out" > "$work/assent-summary.txt"
end=$(date +%s.%N)
assent_s=$(echo "$end - $start" | bc -l)

if ! .venv-bench/bin/python -c "import datatrove, warcio, trafilatura, pyarrow" 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet 'datatrove[processing]==0.10.1' lxml_html_clean faust-cchardet python-magic spacy trafilatura warcio pyarrow
fi
dt_json=$(taskset -c 0 .venv-bench/bin/python ../shared/bench/datatrove_baseline.py "$warc" "$work/datatrove-out" --skip-minhash | tail -n 1)
dt_s=$(echo "$dt_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["curate_s"])')

python3 - "$pages" "$assent_s" "$dt_s" "$work/assent-out/manifest.json" <<'PY'
import json, sys
pages, a, d = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
# The curation alone: the manifest's seconds, without process start and the audit at the end.
c = json.load(open(sys.argv[4]))["seconds"]
print(f"pages: {pages}")
print(f"assent curate:  {a:8.1f} s  {pages / a:8.1f} pages/s  (the curation alone {c:.1f} s)")
print(f"datatrove:      {d:8.1f} s  {pages / d:8.1f} pages/s")
print(f"ratio (assent / datatrove pages per second): {d / a:.1f}x  (the curation alone: {d / c:.1f}x)")
PY
cat "$work/assent-summary.txt"
