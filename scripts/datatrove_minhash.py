"""One of datatrove's four MinHash stages, as ../shared/bench/datatrove_baseline.py runs them
(FineWeb's settings: 5-grams, 14 buckets of 8 hashes, 64-bit hashes), on one Parquet input
folder, in this process: so that /usr/bin/time gives the stage's own time and peak RSS.

usage: datatrove_minhash.py STAGE INPUT_DIR WORK_DIR   (STAGE: signatures, buckets, clusters, filter)
"""
import pathlib, sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import (MinhashDedupBuckets, MinhashDedupCluster,
                                      MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter
from datatrove.utils.hashing import HashConfig

stage, source, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
cfg = MinhashConfig(hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8, n_grams=5)
src = lambda: ParquetReader(source, text_key="text", id_key="id")
pipelines = {
    "signatures": ([src(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg)], 1),
    "buckets": ([MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=cfg)], cfg.num_buckets),
    "clusters": ([MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"), config=cfg)], 1),
    "filter": ([src(), MinhashDedupFilter(input_folder=str(work / "remove_ids")), ParquetWriter(str(work / "deduped"))], 1),
}
pipeline, tasks = pipelines[stage]
LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(work / "logs" / stage)).run()
