#!/usr/bin/env bash
# Runs every test of Assent on a fresh machine: installs what the tests need (a Python
# virtual environment with pyarrow, DuckDB, Polars and Hugging Face datasets, which read our
# shards back as outside readers would; cryptography, with which an outside verifier checks
# the log's signed checkpoints; mlcroissant, which validates croissant.json; Debian's Slurm
# and munge, for the array-job test, which starts a one-node cluster with
# ../shared/slurm/start-local-slurm.sh; Debian's Chromium, which opens the audit page
# headless), then the whole Rust test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pyarrow, duckdb, polars, datasets, cryptography, mlcroissant' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check pyarrow duckdb polars datasets cryptography mlcroissant
fi
export ASSENT_PYTHON="$PWD/.venv/bin/python"

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null \
   || ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge chromium >/dev/null
fi

cargo test --workspace --locked "$@"
