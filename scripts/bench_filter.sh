#!/usr/bin/env bash
# Benchmark (not a test): FineWeb's quality rules in Assent against datatrove 0.10.1 (their
# reference implementation), document by document on the pages of both shared extraction sets
# as datatrove's own Trafilatura step extracts them, and their speed per core in the same run.
#
#   scripts/bench_filter.sh [REPEAT]      (default 5: the timed run filters every page 5 times)
#
# Installs datatrove into .venv-bench on first use (as bench_curate.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/assent-bench}/filter
mkdir -p "$work"
cargo build --release --quiet
if ! .venv-bench/bin/python -c "import datatrove, trafilatura, pyarrow, spacy" 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet 'datatrove[processing]==0.10.1' lxml_html_clean faust-cchardet python-magic spacy trafilatura warcio pyarrow
fi
taskset -c 0 .venv-bench/bin/python scripts/filter_parity.py "$work" target/release/assent --repeat "${1:-5}"
