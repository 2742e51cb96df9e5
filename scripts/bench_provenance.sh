#!/usr/bin/env bash
# Benchmark (not a test): the provenance index and query service at scale. Curates DOCS
# generated short documents (scripts/gen_short_docs.py), builds the index (time, peak RSS,
# size; then again with nothing new, the incremental case), serves it on 127.0.0.1 and loads
# it with oha (installed from crates.io into target/tools on first use): URL lookups drawn
# from the corpus (with one in ten unknown), and beside them, in the same run, the
# checkpoint endpoint, which does no per-URL work: the service's own floor.
#
#   scripts/bench_provenance.sh [DOCS] [SECONDS]     (default 1000000 documents, 20 s each)
#
# Server and load generator share this machine's cores; the figures are for both at once.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-1000000}
secs=${2:-20}
work=${BENCH_DIR:-/tmp/assent-bench}/provenance-$docs
mkdir -p "$work"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c "import pyarrow" 2>/dev/null || .venv/bin/pip install --quiet pyarrow
oha=target/tools/bin/oha
[ -x "$oha" ] || cargo install oha --locked --root target/tools
cargo build --release --quiet
bin=target/release/assent

input="$work/docs.parquet"
[ -f "$input" ] || .venv/bin/python scripts/gen_short_docs.py "$docs" "$input"
export ASSENT_LOG_KEY="$work/log.skey"
if [ ! -f "$work/corpus/manifest.json" ]; then
  printf '[pipeline]\nsteps = ["quality-signals"]\n' > "$work/plain.toml"
  /usr/bin/time -f "%e %M" -o "$work/curate.time" \
    $bin curate --parquet "$input" --out "$work/corpus" --config "$work/plain.toml" > "$work/curate.log"
fi
# REUSE_INDEX=1 keeps the index an earlier run built (and its figures), for the load alone.
if [ "${REUSE_INDEX:-0}" != 1 ] || [ ! -f "$work/index.time" ]; then
  rm -rf "$work/corpus/index"
  /usr/bin/time -f "%e %M" -o "$work/index.time" $bin index "$work/corpus" > "$work/index.log"
fi
/usr/bin/time -f "%e %M" -o "$work/index-again.time" $bin index "$work/corpus" > "$work/index-again.log"
index_bytes=$(du -sb "$work/corpus/index" | cut -f1)
log_bytes=$(du -sb "$work/corpus/log" | cut -f1)

# The URLs asked: a sample of the kept ones, and unknown ones.
.venv/bin/python - "$work/corpus" "$work/urls.txt" <<'PY'
import glob, random, sys, urllib.parse
import pyarrow.parquet as pq
urls = []
for f in sorted(glob.glob(sys.argv[1] + "/shards/*.parquet")):
    urls += pq.read_table(f, columns=["url"]).column("url").to_pylist()
rng = random.Random(7)
pick = rng.sample(urls, min(20000, len(urls)))
pick += [f"http://unknown{i}.example/page/{i}" for i in range(len(pick) // 9)]
rng.shuffle(pick)
with open(sys.argv[2], "w") as out:
    for u in pick:
        out.write("/v1/url?u=" + urllib.parse.quote(u, safe="") + "\n")
PY

$bin serve "$work/corpus" --listen 127.0.0.1:0 --rate 0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$work/serve.out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
sed -i "s|^|$base|" "$work/urls.txt"

load() { # name, then oha's target arguments
  local name=$1; shift
  "$oha" -z "${secs}s" -w -c 32 --no-tui --output-format json "$@" > "$work/$name.json"
}
load lookups --urls-from-file "$work/urls.txt"
load checkpoint "$base/v1/checkpoint"
# RSS counts the index's pages the service maps (the page cache's, shared); Anonymous is
# the memory of its own.
rss_kib=$(awk '/^Rss:/ {print $2}' /proc/$server/smaps_rollup)
anon_kib=$(awk '/^Anonymous:/ {print $2}' /proc/$server/smaps_rollup)

.venv/bin/python - "$work" "$docs" "$index_bytes" "$log_bytes" "$rss_kib" "$anon_kib" <<'PY'
import json, sys
work, docs, index_bytes, log_bytes, rss, anon = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
def t(name):
    s, kib = open(f"{work}/{name}.time").read().split()
    return float(s), int(kib) / 1024
def load(name):
    j = json.load(open(f"{work}/{name}.json"))
    codes = j.get("statusCodeDistribution", {})
    ok = codes.get("200", 0)
    return j["summary"]["requestsPerSec"], j["latencyPercentiles"]["p99"] * 1000, j["latencyPercentiles"]["p50"] * 1000, ok, sum(codes.values()) - ok + sum(j.get("errorDistribution", {}).values())
print(f"documents                {docs}")
s, m = t("index"); print(f"index build              {s:.1f} s, peak {m:.0f} MiB; index {index_bytes / 2**20:.0f} MiB, log {log_bytes / 2**20:.0f} MiB")
s, m = t("index-again"); print(f"index again (no change)   {s:.2f} s, peak {m:.0f} MiB")
for name in ["lookups", "checkpoint"]:
    rps, p99, p50, ok, bad = load(name)
    print(f"{name:<24} {rps:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, {ok} answered, {bad} errors")
rps_l, rps_c = load("lookups")[0], load("checkpoint")[0]
print(f"lookups / checkpoint     {rps_l / rps_c:.2f}")
print(f"service after load       RSS {rss / 1024:.0f} MiB (mapped index pages included), its own memory {anon / 1024:.0f} MiB")
PY
