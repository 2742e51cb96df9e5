#!/usr/bin/env bash
# Benchmark (not a test): two builds of assent on the same WARC, one core, runs alternating so
# that the machine's noise falls on both alike. For "before and after" figures of a change:
#
#   git worktree add /tmp/before REV && (cd /tmp/before && cargo build --release)
#   scripts/bench_ab.sh /tmp/before/target/release/assent target/release/assent [COPIES] [RUNS]
#
# Prints each run's seconds and kept count, then the mean of each.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1; b=$2; copies=${3:-10}; runs=${4:-3}
work=${BENCH_DIR:-/tmp/assent-bench}
mkdir -p "$work"
warc="$work/bench-$copies.warc.gz"
[ -f "$warc" ] || python3 ../shared/bench/make_warc.py "$warc" --copies "$copies" > /dev/null
cfg="$work/ab.toml"
printf '[pipeline]\nthreads = 1\n' > "$cfg"
declare -A total=([a]=0 [b]=0)
for i in $(seq "$runs"); do
  for side in a b; do
    bin=${!side}
    rm -rf "$work/ab-out"
    start=$(date +%s.%N)
    taskset -c 0 "$bin" curate --config "$cfg" --warc "$warc" --out "$work/ab-out" > "$work/ab-$side.txt" 2>/dev/null
    end=$(date +%s.%N)
    s=$(echo "$end - $start" | bc -l)
    total[$side]=$(echo "${total[$side]} + $s" | bc -l)
    printf '%s run %d: %6.2f s, %s\n' "$side" "$i" "$s" "$(grep -E '^  kept ' "$work/ab-$side.txt" | tr -s ' ')"
  done
done
printf 'mean: a %.2f s, b %.2f s\n' "$(echo "${total[a]} / $runs" | bc -l)" "$(echo "${total[b]} / $runs" | bc -l)"
rm -rf "$work/ab-out"
