#!/usr/bin/env bash
# Runs every test of Assent on a fresh machine: installs what the tests need (a Python
# virtual environment with pyarrow, DuckDB, Polars and Hugging Face datasets, which read our
# shards back as outside readers would), then the whole Rust test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pyarrow, duckdb, polars, datasets' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check pyarrow duckdb polars datasets
fi
export ASSENT_PYTHON="$PWD/.venv/bin/python"

cargo test --workspace --locked "$@"
