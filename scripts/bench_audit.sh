#!/usr/bin/env bash
# Benchmark (not a test): peak RSS and time of `assent audit` on corpora of 10k, 100k and 1M
# documents (or the sizes given). The audit streams the shards and the ledger and holds
# counts only (Space-Saving top-k for domains and word pairs), so its memory should not grow
# with the corpus.
#
# The documents are generated (a Zipf-distributed vocabulary of 50,000 invented words, with
# identity and negative-lexicon words mixed in, some e-mail addresses, and 200,000 hosts so
# that the domain top-k overflows), written as JSONL and curated with no step after
# admission, which makes the corpus; then `assent audit` is timed alone.
#
#   scripts/bench_audit.sh                 (10000 100000 1000000)
#   scripts/bench_audit.sh 1000 20000
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/assent-bench}/audit
mkdir -p "$work"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
largest=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
cargo build --release --quiet

docs="$work/docs-$largest.jsonl"
if [ ! -f "$docs" ]; then
  python3 - "$largest" "$docs" <<'PY'
import json, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(11)
letters = "abcdefghijklmnoprstuvwy"
vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(50000)]
vocab += ["the", "of", "and", "to", "with", "that"] * 400
vocab += ["muslim", "christian", "women", "men", "german", "chinese", "attack", "crime", "riot"] * 20
cum, total = [], 0.0
for i in range(len(vocab)):
    total += 1.0 / (i + 1)
    cum.append(total)
with open(path, "w") as out:
    for i in range(n):
        words = rng.choices(vocab, cum_weights=cum, k=rng.randint(40, 400))
        sentences = [" ".join(words[j:j + 12]).capitalize() + "." for j in range(0, len(words), 12)]
        if i % 50 == 0:
            sentences.append(f"Write to person{i}@host{i % 997}.example today.")
        host = f"host{int(rng.paretovariate(0.7)) % 200000}.example"
        out.write(json.dumps({"id": str(i), "url": f"https://{host}/doc/{i}", "text": " ".join(sentences)}) + "\n")
PY
fi
printf '[pipeline]\nsteps = []\n' > "$work/admission-only.toml"

for n in "${sizes[@]}"; do
  corpus="$work/corpus-$n"
  if [ ! -f "$corpus/manifest.json" ]; then
    head -n "$n" "$docs" > "$work/in-$n.jsonl"
    rm -rf "$corpus"
    target/release/assent curate --jsonl "$work/in-$n.jsonl" --out "$corpus" \
      --config "$work/admission-only.toml" > /dev/null
    rm -f "$work/in-$n.jsonl"
  fi
  /usr/bin/time -f "%M %e" -o "$work/audit-$n.txt" target/release/assent audit "$corpus" > /dev/null
  read -r rss secs < "$work/audit-$n.txt"
  echo "documents=$n  shards=$(du -sm "$corpus/shards" | cut -f1) MiB  audit: ${secs} s, peak RSS $(( rss / 1024 )) MiB, $(python3 -c "print(f'{$n / $secs:,.0f}')") docs/s"
done
