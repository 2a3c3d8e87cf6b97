#!/usr/bin/env bash
# Run every test from a fresh clone: creates .venv, installs the package with its test
# dependencies and the editors the end-to-end tests drive, then runs the linters and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
bash scripts/install-editors.sh

echo "== ruff"
.venv/bin/ruff check server tests benchmarks examples/demo.py
.venv/bin/ruff format --check server tests benchmarks examples/demo.py

echo "== pytest"
.venv/bin/python -m pytest "$@"
