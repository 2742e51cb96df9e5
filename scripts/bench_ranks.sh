#!/usr/bin/env bash
# Benchmark (not a test): a job as one process against the same job as four ranks plus
# `assent merge`, on this machine, in the same run; then `assent merge` of 100 rank outputs,
# its time and peak memory.
#
#   scripts/bench_ranks.sh [COPIES]      (default 10: make_warc.py --copies, split in 4 files)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-10}
work=${BENCH_DIR:-/tmp/assent-bench}
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/assent
warc="$work/bench-$copies.warc.gz"
[ -f "$warc" ] || python3 ../shared/bench/make_warc.py "$warc" --copies "$copies" > /dev/null
rm -rf "$work/ranks" && mkdir -p "$work/ranks"
python3 scripts/split_warc.py "$warc" 4 "$work/ranks/in" > /dev/null
inputs=("$work"/ranks/in-*.warc.gz)
printf '[pipeline]\nthreads = 1\n' > "$work/ranks/one-thread.toml"

secs() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.2f}")' "$1"; }

t=$(date +%s.%N)
$bin curate --warc "${inputs[@]}" --out "$work/ranks/w1" > /dev/null
w1=$(secs "$t")

t=$(date +%s.%N)
for r in 0 1 2 3; do
  $bin curate --warc "${inputs[@]}" --out "$work/ranks/w4" --config "$work/ranks/one-thread.toml" \
    --rank $r --world-size 4 > /dev/null &
done
wait
ranks=$(secs "$t")
/usr/bin/time -f "%e %M" -o "$work/ranks/merge4.txt" $bin merge "$work/ranks/w4" > /dev/null
w4=$(python3 -c 'import sys; print(f"{float(sys.argv[1]) + float(open(sys.argv[2]).read().split()[0]):.2f}")' "$ranks" "$work/ranks/merge4.txt")
python3 - "$work/ranks" <<'PY'
import json, sys
d = sys.argv[1]
a = json.load(open(f"{d}/w1/manifest.json"))
b = json.load(open(f"{d}/w4/manifest.json"))
assert a["counts"] == b["counts"], "W=1 and W=4 disagree"
print(f"records: {a['counts']['records']}, kept {a['counts']['by_decision'].get('kept', 0)} (same counts in both)")
PY
echo "W=1, every core:          ${w1} s"
echo "W=4 ranks + merge:        ${w4} s  (ranks ${ranks} s, merge $(cut -d' ' -f1 "$work/ranks/merge4.txt") s)"
python3 -c 'import sys; print(f"ratio (W=1 time / W=4 time): {float(sys.argv[1]) / float(sys.argv[2]):.2f}x on {sys.argv[3]} cores")' "$w1" "$w4" "$(nproc)"

# 100 rank outputs: a two-copy WARC in 100 files (its pages repeat across copies, so the
# merge has cross-rank duplicates to take out of shards).
small="$work/bench-2.warc.gz"
[ -f "$small" ] || python3 ../shared/bench/make_warc.py "$small" --copies 2 > /dev/null
rm -rf "$work/ranks100" && mkdir -p "$work/ranks100"
python3 scripts/split_warc.py "$small" 100 "$work/ranks100/in" > /dev/null
many=("$work"/ranks100/in-*.warc.gz)
for r in $(seq 0 99); do
  $bin curate --warc "${many[@]}" --out "$work/ranks100/out" --config "$work/ranks/one-thread.toml" \
    --rank "$r" --world-size 100 > /dev/null
done
/usr/bin/time -f "%e %M" -o "$work/ranks100/merge.txt" $bin merge "$work/ranks100/out" > /dev/null
read -r ms mk < "$work/ranks100/merge.txt"
python3 - "$work/ranks100/out/manifest.json" "$ms" "$mk" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
c = m["counts"]
print(f"merge of 100 rank outputs: {float(sys.argv[2]):.2f} s, peak RSS {int(sys.argv[3]) // 1024} MiB; "
      f"{c['records']} records, {c['by_reason'].get('dedup.exact', 0)} exact duplicates, "
      f"{len(m['shards'])} shards, {len(m['ledger'])} ledger files")
PY
