#!/usr/bin/env bash
# Benchmark (not a test): peak RSS of `assent curate` on a WARC and on one ten times larger.
# Streaming with bounded channels should keep the two within 20% of each other.
#
#   scripts/bench_memory.sh            (make_warc.py --copies 2 against --copies 20)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/assent-bench}
mkdir -p "$work"
cargo build --release --quiet
for copies in 2 20; do
  warc="$work/bench-$copies.warc.gz"
  [ -f "$warc" ] || python3 ../shared/bench/make_warc.py "$warc" --copies "$copies" > /dev/null
  rm -rf "$work/mem-$copies"
  /usr/bin/time -f "%M" -o "$work/rss-$copies.txt" target/release/assent curate --warc "$warc" --out "$work/mem-$copies" > /dev/null
  echo "copies=$copies  input=$(du -m "$warc" | cut -f1) MiB  peak RSS=$(( $(cat "$work/rss-$copies.txt") / 1024 )) MiB"
done
python3 - "$(cat "$work/rss-2.txt")" "$(cat "$work/rss-20.txt")" <<'PY'
import sys
small, large = int(sys.argv[1]), int(sys.argv[2])
print(f"growth for 10x the input: {100 * (large - small) / small:+.1f}%")
PY
