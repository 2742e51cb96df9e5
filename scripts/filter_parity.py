#!/usr/bin/env python3
"""FineWeb's quality rules, datatrove against Assent, document by document.

usage: filter_parity.py WORKDIR ASSENT_BINARY [--repeat N]

1. Extracts the pages of ../shared/data/extraction-benchmark and extraction-readability with
   datatrove's own Trafilatura step (favour_precision, as FineWeb) and writes them to
   WORKDIR/docs.parquet.
2. Runs datatrove 0.10.1's GopherRepetition, GopherQuality, C4Quality (no terminal-punctuation
   rule) and FineWebQuality filters on each document in FineWeb's order, timing them.
3. Runs `assent filter` (language ID, then the same four rules) on the same file, one thread.
4. Compares, for every document Assent's language ID keeps: the rule that dropped it (or
   "kept") in each. Prints the agreement, every disagreement with both sides' measures, and the
   speed ratio of the rules per core (both timed over the documents repeated N times).
"""
import argparse, collections, gzip, json, os, pathlib, subprocess, sys, time

import pyarrow as pa
import pyarrow.parquet as pq

SHARED = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data"

# Assent's reason code -> datatrove's reason name.
CODES = {
    "gopher.dup-para-frac": "dup_para_frac",
    "gopher.dup-para-char-frac": "dup_para_char_frac",
    "gopher.dup-line-frac": "dup_line_frac",
    "gopher.dup-line-char-frac": "dup_line_char_frac",
    **{f"gopher.top-{n}-gram": f"top_{n}_gram" for n in (2, 3, 4)},
    **{f"gopher.dup-{n}-gram": f"duplicated_{n}_n_grams" for n in range(5, 11)},
    "gopher.short-doc": "gopher_short_doc",
    "gopher.long-doc": "gopher_long_doc",
    "gopher.short-words": "gopher_below_avg_threshold",
    "gopher.long-words": "gopher_above_avg_threshold",
    "gopher.hashes": "gopher_too_many_hashes",
    "gopher.ellipses": "gopher_too_many_ellipsis",
    "gopher.bullet-lines": "gopher_too_many_bullets",
    "gopher.ellipsis-lines": "gopher_too_many_end_ellipsis",
    "gopher.alpha-words": "gopher_below_alpha_threshold",
    "gopher.stop-words": "gopher_enough_stop_words",
    "c4.lorem-ipsum": "lorem_ipsum",
    "c4.curly-bracket": "curly_bracket",
    "c4.few-sentences": "too_few_sentences",
    "fineweb.line-punct": "line_punct_ratio",
    "fineweb.short-lines": "short_line_ratio",
    "fineweb.char-dup": "char_dup_ratio",
    "fineweb.list-ratio": "list_ratio",
    "quality.empty": "empty",
}


def pages():
    for bench in ("extraction-benchmark", "extraction-readability"):
        for path in sorted((SHARED / bench / "html").glob("*.html.gz")):
            yield f"{bench}/{path.name}", gzip.decompress(path.read_bytes()).decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("assent")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datatrove.data import Document
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                            GopherQualityFilter, GopherRepetitionFilter)

    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    extractor = Trafilatura(favour_precision=True, timeout=10.0)
    docs = []
    for name, html in pages():
        text = extractor.extract(html)
        if text and text.strip():
            docs.append((name, text))
    ids = [f"d{i:04}" for i in range(len(docs))]
    urls = [f"https://parity.example/{i}" for i in ids]
    pq.write_table(pa.table({"id": ids, "url": urls, "text": [t for _, t in docs]}), work / "docs.parquet")
    rep = a.repeat
    pq.write_table(pa.table({
        "id": [f"{i}-{r}" for r in range(rep) for i in ids],
        "url": [f"{u}/{r}" for r in range(rep) for u in urls],
        "text": [t for r in range(rep) for _, t in docs],
    }), work / "docs-repeated.parquet")

    filters = [GopherRepetitionFilter(), GopherQualityFilter(),
               C4QualityFilter(filter_no_terminal_punct=False), FineWebQualityFilter()]

    def chain(text):
        doc = Document(text=text, id="x")
        for f in filters:
            r = f.filter(doc)
            if r is not True and not (isinstance(r, tuple) and r[0]):
                return r[1] if isinstance(r, tuple) else type(f).__name__
        return "kept"

    theirs = {u: chain(t) for u, (_, t) in zip(urls, docs)}
    t0 = time.perf_counter()
    for _ in range(rep):
        for _, t in docs:
            chain(t)
    dt_s = time.perf_counter() - t0

    # Assent: language ID, then the four rules, one thread.
    cfg = work / "filter.toml"
    cfg.write_text('[pipeline]\nthreads = 1\nsteps = ["language", "gopher-repetition", "gopher-quality", "c4-quality", "fineweb-quality"]\n\n[lang]\nallowed = ["en"]\nmin_score = 0.65\n')
    out = work / "assent-out"
    subprocess.run([a.assent, "filter", "--parquet", str(work / "docs.parquet"), "--out", str(out), "--config", str(cfg), "--force"], check=True, stdout=subprocess.DEVNULL)
    rows = pq.read_table(out / "ledger").to_pylist()
    ours = {}
    for r in sorted(rows, key=lambda r: r["recorded_at"]):
        ours[r["url"]] = ("kept" if r["decision"] == "kept" else r["reasons"][0], r["evidence"])
    # Timed: the four rules alone, as datatrove's are timed (Parquet in and out included).
    rules = work / "rules.toml"
    rules.write_text('[pipeline]\nthreads = 1\nsteps = ["gopher-repetition", "gopher-quality", "c4-quality", "fineweb-quality"]\n')
    t0 = time.perf_counter()
    subprocess.run([a.assent, "filter", "--parquet", str(work / "docs-repeated.parquet"), "--out", str(work / "assent-timed"), "--config", str(rules), "--force"], check=True, stdout=subprocess.DEVNULL)
    as_whole_s = time.perf_counter() - t0
    # The curation alone (the manifest's seconds: Parquet in, the rules, shards and ledger out),
    # without the audit that every curation ends with and datatrove does not do.
    as_s = json.load(open(work / "assent-timed" / "manifest.json"))["seconds"]

    compared = agree = 0
    by_rule = collections.Counter()
    differences = []
    for u in urls:
        decision, evidence = ours[u]
        if decision in ("lang.not-allowed", "lang.low-confidence"):
            continue
        compared += 1
        mine = CODES.get(decision, decision)
        by_rule[theirs[u]] += 1
        if mine == theirs[u]:
            agree += 1
        else:
            differences.append((u, theirs[u], mine, evidence))
    print(f"documents: {len(docs)} extracted, {compared} kept by language ID (en >= 0.65)")
    print(f"datatrove outcomes: {dict(by_rule.most_common())}")
    print(f"agreement (same outcome: kept, or the same first rule): {agree}/{compared} = {100 * agree / max(compared, 1):.1f}%")
    for u, t, m, ev in differences:
        print(f"  {u}: datatrove {t}, assent {m}  {ev}")
    print(f"rules per core over {rep * len(docs)} documents: datatrove {dt_s:.2f} s, assent's curation (the rules, Parquet in and out) {as_s:.2f} s, ratio {dt_s / as_s:.1f}x")
    print(f"  the whole `assent filter` command (process start and the audit at its end included): {as_whole_s:.2f} s, ratio {dt_s / as_whole_s:.1f}x")
    json.dump({"compared": compared, "agree": agree, "datatrove_s": dt_s, "assent_s": as_s, "assent_whole_s": as_whole_s}, open(work / "parity.json", "w"))


if __name__ == "__main__":
    main()
