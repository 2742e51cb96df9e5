"""Short documents for the dedup benchmark: N documents of 40 to 120 words drawn from the
public-domain text in ../shared/data/text, a fifth of them near copies of an earlier one (a
word replaced, or a credit line added) and one in twenty an exact copy. Written as Parquet
with `id`, `url` and `text` columns (what `assent curate --parquet` and datatrove's
ParquetReader read). Deterministic for a given N.

usage: gen_short_docs.py N OUT.parquet
"""
import pathlib, random, sys

import pyarrow as pa
import pyarrow.parquet as pq

n, out = int(sys.argv[1]), sys.argv[2]
here = pathlib.Path(__file__).resolve().parent
words = (here / "../../shared/data/text/tinyshakespeare.txt").read_text().split()
rng = random.Random(42)
texts = []
for i in range(n):
    r = rng.random()
    if texts and r < 0.05:
        texts.append(texts[rng.randrange(len(texts))])
    elif texts and r < 0.25:
        base = texts[rng.randrange(len(texts))].split()
        if rng.random() < 0.5:
            base[rng.randrange(len(base))] = rng.choice(words)
            texts.append(" ".join(base))
        else:
            texts.append("Shared from the reading room. " + " ".join(base))
    else:
        # Words drawn from the text (so as often as there), not a passage of it: windows of
        # one text would overlap each other and be near-duplicates themselves.
        texts.append(" ".join(rng.choices(words, k=rng.randint(40, 120))))
ids = [f"doc-{i:08d}" for i in range(n)]
urls = [f"http://site{i % 997}.example/page/{i}" for i in range(n)]
table = pa.table({"id": ids, "url": urls, "text": texts})
pq.write_table(table, out, row_group_size=50_000)
print(f"{n} documents, {sum(len(t) for t in texts) / 1e6:.1f} MB of text -> {out}")
