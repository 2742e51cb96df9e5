#!/usr/bin/env bash
# Benchmark (not a test): crawler throughput against a local web of many hosts with no delay,
# and the CPU time the crawler spends per page next to the CPU time of the server it crawls
# (the crawl process also curates; curating its WARC again separates the two).
#
#   scripts/bench_crawl.sh [HOSTS] [ARTICLES] [GZIP_LEVEL]   (default 50 hosts x 20 articles, level 6)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-50}
articles=${2:-20}
level=${3:-6}
work=${BENCH_DIR:-/tmp/assent-bench}/crawl
rm -rf "$work" && mkdir -p "$work"
[ -n "${NO_BUILD:-}" ] || { cargo build --release --quiet --bin assent && cargo build --release --quiet -p assent-ingest --example bare_fetch; }
bin=${CARGO_TARGET_DIR:-target}/release/assent

# The server runs until its stdin closes; a fifo keeps it open while we crawl.
mkfifo "$work/stdin"
$bin serve-web --hosts "$hosts" --articles "$articles" < "$work/stdin" > "$work/serve.out" &
server=$!
exec 3> "$work/stdin"
for _ in $(seq 100); do [ -s "$work/serve.out" ] && break; sleep 0.05; done
port=$(head -n 1 "$work/serve.out")
tail -n +2 "$work/serve.out" | sed 's/^/--resolve\n/' > "$work/resolve.args"
seq 0 $((hosts - 1)) | sed "s|.*|http://site&.bench.test:$port/|" > "$work/seeds.txt"
printf '[crawl]\ndelay_secs = 0.0\nmax_depth = 2\nmax_pages = 100000\nmax_hosts_in_flight = 64\nwarc_gzip_level = %s\n' "$level" > "$work/fast.toml"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
server_before=$(ticks "$server")
start=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$work/crawler.time" \
  xargs -a "$work/resolve.args" -d '\n' $bin crawl --seeds "$work/seeds.txt" --out "$work/out" --config "$work/fast.toml" > "$work/summary.txt" 2> "$work/crawl.log"
end=$(date +%s.%N)
server_after=$(ticks "$server")
# The floor: the same pages fetched by a bare reqwest client, with none of the crawler's work.
${CARGO_TARGET_DIR:-target}/release/examples/bare_fetch "$port" "$hosts" "$articles" > "$work/bare.json"
server_bare=$(ticks "$server")
exec 3>&-
wait "$server" || true

# The crawl process also curates (extraction, language ID, Parquet) on other threads. The
# crawler runs on one thread and logs that thread's CPU time at the end ("crawl finished").
# Curating the crawl's WARC again, without the network, gives the curation's share as a check.
/usr/bin/time -f "%U %S" -o "$work/curate.time" \
  $bin curate --warc "$work/out/warc/crawl-00000.warc.gz" --out "$work/recurate" > /dev/null

python3 - "$work" "$start" "$end" "$server_before" "$server_after" "$hz" "$hosts" "$server_bare" <<'PY'
import json, sys, pathlib
work, start, end, sb, sa, hz, hosts, sbare = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
m = json.loads((pathlib.Path(work) / "out/manifest.json").read_text())
pages = m["counts"]["by_decision"].get("kept", 0)
def cpu(name):
    user, sys_ = map(float, (pathlib.Path(work) / name).read_text().split())
    return user + sys_
total_cpu = cpu("crawler.time")
curate_cpu = cpu("curate.time")
import re
log = re.sub(r"\x1b\[[0-9;]*m", "", (pathlib.Path(work) / "crawl.log").read_text())
logged = re.search(r"crawler_cpu_secs=([0-9.]+)", log)
crawler_cpu = float(logged.group(1)) if logged else max(total_cpu - curate_cpu, 0.0)
server_cpu = (sa - sb) / hz
wall = end - start
warc = (pathlib.Path(work) / "out/warc/crawl-00000.warc.gz").stat().st_size
print(f"hosts: {hosts}  pages kept: {pages} in {wall:.2f} s -> {pages / wall:.0f} pages/s; WARC {warc / 1e6:.1f} MB")
print(f"crawl + curate, one process: {total_cpu:.2f} s CPU = {1000 * total_cpu / pages:.2f} ms/page")
print(f"curating the crawl's WARC alone: {curate_cpu:.2f} s CPU = {1000 * curate_cpu / pages:.2f} ms/page")
print(f"crawler thread alone: {crawler_cpu:.2f} s CPU = {1000 * crawler_cpu / pages:.2f} ms/page (difference of the two above: {1000 * (total_cpu - curate_cpu) / pages:.2f} ms/page)")
print(f"server CPU:  {server_cpu:.2f} s = {1000 * server_cpu / pages:.2f} ms/page")
print(f"ratio crawler/server CPU: {crawler_cpu / server_cpu:.2f}" if server_cpu else "server CPU below clock resolution")
bare = json.loads((pathlib.Path(work) / "bare.json").read_text())
bare_server = (sbare - sa) / hz
print(f"bare HTTP client (reqwest, no crawler work): {bare['pages']} pages, {bare['cpu_secs']:.2f} s CPU = "
      f"{1000 * bare['cpu_secs'] / bare['pages']:.3f} ms/page; server meanwhile {1000 * bare_server / bare['pages']:.3f} ms/page")
print(f"ratio crawler/bare client CPU: {crawler_cpu / pages / (bare['cpu_secs'] / bare['pages']):.1f}")
PY
