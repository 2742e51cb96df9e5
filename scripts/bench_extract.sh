#!/usr/bin/env bash
# Benchmark (not a test): our HTML main-content extractor against trafilatura and resiliparse on
# the 181 pages of ../shared/data/extraction-benchmark, one core each (taskset -c 0), in the same
# run so that the ratios survive a noisy machine.
#
#   scripts/bench_extract.sh [ROUNDS]      (default 5 rounds over the pages for ours)
#
# Prints our pages/s and MB/s (parse + extract, from decoded strings, release build), the peers'
# pages/s and F1, the ratios, and our precision/recall/F1 on the dev half, the held-out half and
# all pages (scripts/extraction_halves.py). Installs the peers into .venv-bench on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
bench=../shared/data/extraction-benchmark/html
work=${BENCH_DIR:-/tmp/assent-bench}
mkdir -p "$work"

cargo build --release --quiet -p assent-ingest --example bench_extract
taskset -c 0 target/release/examples/bench_extract --rounds "$rounds" --parse-only "$bench" > "$work/parse.json"
taskset -c 0 target/release/examples/bench_extract --rounds "$rounds" \
  --predictions "$work/assent-pred.jsonl" "$bench" > "$work/ours.json"

if ! .venv-bench/bin/python -c "import trafilatura, resiliparse" 2>/dev/null; then
  [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check trafilatura lxml_html_clean resiliparse
fi
taskset -c 0 .venv-bench/bin/python ../shared/bench/extraction_eval.py --peers > "$work/peers.jsonl"

python3 - "$work/parse.json" "$work/ours.json" "$work/peers.jsonl" <<'PY'
import json, sys
parse = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))
peers = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
print(f"pages: {ours['pages']} ({ours['mb']} MB of HTML), one core")
print(f"assent parse only:      {parse['pages_per_s']:8.0f} pages/s  {parse['mb_per_s']:6.0f} MB/s")
print(f"assent parse + extract: {ours['pages_per_s']:8.0f} pages/s  {ours['mb_per_s']:6.0f} MB/s")
for p in peers:
    ratio = ours["pages_per_s"] / p["docs_per_s"]
    print(f"{p['extractor']:22}: {p['docs_per_s']:8.1f} pages/s  {p['mb_per_s']:6.1f} MB/s"
          f"  F1 {p['f1']:.3f} (P {p['precision']:.3f} R {p['recall']:.3f})"
          f"  -> assent is {ratio:.1f}x faster")
PY
python3 scripts/extraction_halves.py "$work/assent-pred.jsonl"
