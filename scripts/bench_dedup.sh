#!/usr/bin/env bash
# Benchmark (not a test): the four stages of `assent dedup` against datatrove's four MinHash
# stages on the same generated short documents, one core each, in the same run; time and
# peak RSS of every stage, and the documents each removes.
#
#   scripts/bench_dedup.sh [DOCS] [--no-peer]     (default 100000 documents)
#
# Datatrove's signature stage reads about 500 documents a second here: past 200,000
# documents the peer is left out unless asked for (--peer). Installs datatrove into
# .venv-bench on first use, pyarrow into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
peer=auto
for a in "$@"; do
  case "$a" in --no-peer) peer=no ;; --peer) peer=yes ;; esac
done
[ "$peer" = auto ] && { [ "$docs" -le 200000 ] && peer=yes || peer=no; }
work=${BENCH_DIR:-/tmp/assent-bench}/dedup-$docs
mkdir -p "$work"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c "import pyarrow" 2>/dev/null || .venv/bin/pip install --quiet pyarrow
input="$work/input"
mkdir -p "$input"
[ -f "$input/docs.parquet" ] || .venv/bin/python scripts/gen_short_docs.py "$docs" "$input/docs.parquet"

cargo build --release --quiet
bin=target/release/assent
printf '[pipeline]\nthreads = 1\nsteps = ["quality-signals"]\n' > "$work/no-dedup.toml"
rm -rf "$work/corpus"
$bin curate --parquet "$input/docs.parquet" --out "$work/corpus" --config "$work/no-dedup.toml" > /dev/null

# One stage under /usr/bin/time on core 0: "seconds peak-KiB".
measure() {
  local out=$1; shift
  /usr/bin/time -f "%e %M" -o "$out" env RAYON_NUM_THREADS=1 taskset -c 0 "$@" > "$out.log" 2>&1
}
stages="signatures buckets clusters filter"
for s in $stages; do
  measure "$work/assent-$s.time" $bin dedup "$work/corpus" --stage $s --rank 0 --world-size 1
done
assent_removed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['by_reason'].get('dedup.near', 0))" "$work/corpus/manifest.json")

dt_removed=-
if [ "$peer" = yes ]; then
  if ! .venv-bench/bin/python -c "import datatrove, pyarrow" 2>/dev/null; then
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install --quiet 'datatrove[processing]==0.10.1' pyarrow
  fi
  rm -rf "$work/datatrove"
  for s in $stages; do
    measure "$work/datatrove-$s.time" .venv-bench/bin/python scripts/datatrove_minhash.py $s "$input" "$work/datatrove"
  done
  dt_removed=$(python3 - "$work/datatrove/logs/filter/stats.json" "$docs" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
kept = stats[-1]["stats"]["total"]  # the writer's
print(int(sys.argv[2]) - kept)
PY
)
fi

python3 - "$work" "$docs" "$peer" "$assent_removed" "$dt_removed" <<'PY'
import os, sys
work, docs, peer, ours_removed, dt_removed = sys.argv[1:6]
def read(name):
    p = os.path.join(work, name)
    if not os.path.exists(p):
        return None
    s, kb = open(p).read().split()[-2:]
    return float(s), int(kb) / 1024
print(f"documents: {docs}  (one core each; seconds and peak RSS of each stage)")
print(f"{'stage':<11} {'assent s':>9} {'MiB':>7}   {'datatrove s':>11} {'MiB':>7}   ratio")
total_a = total_d = 0.0
for stage in ["signatures", "buckets", "clusters", "filter"]:
    a = read(f"assent-{stage}.time")
    d = read(f"datatrove-{stage}.time") if peer == "yes" else None
    total_a += a[0]
    line = f"{stage:<11} {a[0]:9.2f} {a[1]:7.0f}"
    if d:
        total_d += d[0]
        line += f"   {d[0]:11.2f} {d[1]:7.0f}   {d[0] / a[0]:6.1f}x"
    print(line)
line = f"{'all':<11} {total_a:9.2f} {'':7}"
if peer == "yes":
    line += f"   {total_d:11.2f} {'':7}   {total_d / total_a:6.1f}x"
print(line)
print(f"near-duplicates removed: assent {ours_removed}, datatrove {dt_removed}")
PY
