"""Reads a curated corpus back as outside users would: with pyarrow, DuckDB, Polars and
Hugging Face datasets.

usage: read_back.py OUT_DIR
Prints one JSON object with what each reader saw; the Rust test compares it with the manifest.
"""
import json, os, pathlib, sys, tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import datasets
import duckdb
import polars as pl
import pyarrow.parquet as pq

out = pathlib.Path(sys.argv[1])
manifest = json.loads((out / "manifest.json").read_text())
result = {"pyarrow": {"files": {}}, "duckdb": {}}

for kind in ("shards", "ledger"):
    for entry in manifest[kind]:
        path = out / entry["path"]
        table = pq.read_table(path)
        meta = pq.read_metadata(path).metadata or {}
        result["pyarrow"]["files"][entry["path"]] = {
            "rows": table.num_rows,
            "columns": {f.name: str(f.type) for f in table.schema},
            "schema_version": meta.get(b"assent.schema_version", b"").decode(),
            "compression": pq.ParquetFile(path).metadata.row_group(0).column(0).compression
            if table.num_rows else None,
        }

con = duckdb.connect()
shards = str(out / "shards" / "*.parquet")
ledger = str(out / "ledger" / "*.parquet")
if manifest["shards"]:
    result["duckdb"]["shard_rows"] = con.execute(f"select count(*) from read_parquet('{shards}')").fetchone()[0]
    result["duckdb"]["shard_columns"] = {
        name: typ for name, typ, *_ in con.execute(f"describe select * from read_parquet('{shards}')").fetchall()
    }
    result["duckdb"]["distinct_doc_ids"] = con.execute(
        f"select count(distinct doc_id) from read_parquet('{shards}')").fetchone()[0]
    result["duckdb"]["empty_texts"] = con.execute(
        f"select count(*) from read_parquet('{shards}') where length(text) = 0").fetchone()[0]
    result["duckdb"]["quality_words_nonpositive"] = con.execute(
        f"select count(*) from (select unnest(quality) as q from read_parquet('{shards}')) "
        f"where q.name = 'words' and q.value <= 0").fetchone()[0]
if manifest["shards"]:
    files = [str(out / s["path"]) for s in manifest["shards"]]
    frame = pl.read_parquet(files)
    result["polars"] = {"rows": frame.height, "columns": frame.columns,
                        "quality": str(frame.schema["quality"])}
    with tempfile.TemporaryDirectory() as cache:
        ds = datasets.Dataset.from_parquet(files, cache_dir=cache)
        result["datasets"] = {"rows": ds.num_rows, "columns": ds.column_names,
                              "first_url": ds[0]["url"]}
result["duckdb"]["ledger_rows"] = con.execute(f"select count(*) from read_parquet('{ledger}')").fetchone()[0]
# A record's final decision is its latest row (a document the job's end took out has two).
final = (f"select arg_max(decision, recorded_at) as decision, arg_max(reasons, recorded_at) as reasons "
         f"from read_parquet('{ledger}') group by url, source.file, source.offset")
result["duckdb"]["ledger_records"] = con.execute(f"select count(*) from ({final})").fetchone()[0]
result["duckdb"]["ledger_by_decision"] = dict(con.execute(
    f"select decision, count(*) from ({final}) group by decision").fetchall())
result["duckdb"]["ledger_by_reason"] = dict(con.execute(
    f"select r, count(*) from (select unnest(reasons) as r from ({final})) group by r").fetchall())
print(json.dumps(result))
