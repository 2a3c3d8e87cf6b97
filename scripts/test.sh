#!/usr/bin/env bash
# Run every test from a fresh clone: creates .venv, installs the package with its test
# dependencies and the editors the end-to-end tests drive (Neovim, Emacs, code-server with
# Chromium) and the environment of the oldest supported FastAPI, checks, tests and packages the
# VS Code extension, then runs the linters and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
bash scripts/install-editors.sh

echo "== VS Code extension"
bash scripts/test-extension.sh
echo "== code-server"
bash scripts/install-code-server.sh \
    || echo "code-server could not be installed: the VS Code end-to-end test will skip and say so"

echo "== oldest supported FastAPI, Starlette, Pydantic"
.venv/bin/python scripts/oldest_env.py >/dev/null \
    || echo "the oldest versions could not be installed: their end-to-end test tries again"

echo "== ruff"
.venv/bin/ruff check server tests benchmarks examples/demo.py
.venv/bin/ruff format --check server tests benchmarks examples/demo.py

echo "== pytest"
.venv/bin/python -m pytest "$@"
