#!/usr/bin/env python3
"""Split a WARC that is gzip per record into N files, record i going to file i % N, each
gzip member copied byte for byte (stdlib only; for scripts/bench_ranks.sh).

usage: split_warc.py IN.warc.gz N OUT_PREFIX   (writes OUT_PREFIX-0000.warc.gz, ...)
"""
import sys, zlib

src, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(src, "rb").read()
outs = [open(f"{prefix}-{i:04d}.warc.gz", "wb") for i in range(n)]
pos, i = 0, 0
while pos < len(data):
    d = zlib.decompressobj(wbits=31)
    d.decompress(data[pos:])
    end = len(data) - len(d.unused_data)
    outs[i % n].write(data[pos:end])
    pos, i = end, i + 1
for o in outs:
    o.close()
print(f"{i} records into {n} files")
