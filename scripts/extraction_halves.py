#!/usr/bin/env python3
"""Score extraction predictions on the two halves of the extraction benchmark, and on all of it.

The 181 page ids, sorted, are split by position: even positions (0, 2, 4, ...) are the dev half,
which extractor rules may be developed against; odd positions are the held-out half, which
nobody looks at page by page. Scoring is extraction_eval.py's own (imported from
../shared/bench, not copied): word 4-gram precision and recall per page, averaged, and F1.

usage:
  scripts/extraction_halves.py PRED.jsonl            P/R/F1 for dev, held-out and all
  scripts/extraction_halves.py PRED.jsonl --worst N  also the N dev pages with the lowest F1
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent / "shared" / "bench"))
import extraction_eval  # noqa: E402


def halves(ids):
    """The dev and held-out ids: sorted ids, even index dev, odd index held-out."""
    ordered = sorted(ids)
    return ordered[0::2], ordered[1::2]


def score_subset(pred, ids):
    """extraction_eval.score over the pages in `ids` only."""
    keep = set(ids)
    full_truth = extraction_eval.truth
    try:
        extraction_eval.truth = lambda: {k: v for k, v in full_truth().items() if k in keep}
        return extraction_eval.score(pred)
    finally:
        extraction_eval.truth = full_truth


def page_f1(pred, key, gold):
    p, t = extraction_eval.shingles(pred.get(key, "")), extraction_eval.shingles(gold)
    hit = len(p & t)
    P = hit / len(p) if p else 0.0
    R = hit / len(t) if t else 0.0
    return P, R, (2 * P * R / (P + R) if P + R else 0.0)


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.exit(__doc__)
    pred = extraction_eval.load(argv[0])
    gold = extraction_eval.truth()
    dev, held_out = halves(gold)
    for name, ids in (("dev", dev), ("held-out", held_out), ("all", sorted(gold))):
        s = score_subset(pred, ids)
        print(f"{name:9} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}  ({s['pages']} pages)")
    if len(argv) >= 3 and argv[1] == "--worst":
        rows = sorted((page_f1(pred, k, gold[k]), k) for k in dev)
        rows.sort(key=lambda r: r[0][2])
        for (P, R, F), k in rows[: int(argv[2])]:
            print(f"  dev {k[:16]}  P {P:.3f}  R {R:.3f}  F1 {F:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
