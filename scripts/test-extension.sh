#!/usr/bin/env bash
# Check, test and package the VS Code extension from a clean checkout: leaves
# fastapi-ls-<version>.vsix in the repository root for tests/e2e/test_vsix.py (and later the
# editor end-to-end tests). Needs Node 20+ and python3 with pip; takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm ci"
# --ignore-scripts: nothing here needs an install script (esbuild finds its binary package
# without one), and keytar's would try to download or compile a native module.
npm ci --no-audit --no-fund --ignore-scripts
echo "== npm run check (tsc, eslint, prettier)"
npm run --silent check
echo "== npm test"
npm test --silent
echo "== npm run package"
npm run --silent package
