#!/usr/bin/env bash
# Build the release artifacts of the version in server/fastapi_ls/__init__.py, checked, into dist/:
#   fastapi_language_server-<v>.tar.gz        the sdist
#   fastapi_language_server-<v>-py3-none-any.whl   built from that sdist
#   fastapi-ls-<v>.vsix                       the universal VS Code extension (npm run package)
#   SHA256SUMS                                checksums of the three (sha256sum -c SHA256SUMS)
# Refuses to start when package.json or CHANGELOG.md disagree with the version
# (scripts/check_release.py). Needs python with `build` and `twine` (the "release" extra),
# and for the .vsix Node 20+ with `npm ci` done.
#
#   bash scripts/release.sh [--out DIR] [--vsix FILE | --no-vsix] [--tag vX.Y.Z]
#     --out DIR    write there instead of dist/ (which is emptied first)
#     --vsix FILE  take this already built .vsix instead of packaging again
#     --no-vsix    Python artifacts only
#     --tag TAG    also check that the git tag being released names the version
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
out=dist
vsix=
with_vsix=1
tag_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --vsix) vsix=$2; shift 2 ;;
        --no-vsix) with_vsix=0; shift ;;
        --tag) tag_args=(--tag "$2"); shift 2 ;;
        *) echo "release: unknown argument $1" >&2; exit 2 ;;
    esac
done

fail() {
    echo "release: $*" >&2
    exit 1
}

version=$("$PYTHON" scripts/check_release.py "${tag_args[@]}") \
    || fail "fix the above before releasing"
echo "== fastapi-ls $version"
for module in build twine; do
    "$PYTHON" -c "import $module" 2>/dev/null \
        || fail "$PYTHON has no '$module': $PYTHON -m pip install build twine"
done
if [ "$with_vsix" = 1 ] && [ -n "$vsix" ]; then
    [ -f "$vsix" ] || fail "no such .vsix: $vsix"
    vsix=$(cd "$(dirname "$vsix")" && pwd)/$(basename "$vsix")
fi

if [ "$with_vsix" = 1 ] && [ -z "$vsix" ]; then
    echo "== .vsix (npm run package)"
    npm run --silent package
    vsix=$PWD/fastapi-ls-$version.vsix
fi

# package-vsix.sh builds the client into dist/ and wipes it: the release goes in afterwards.
rm -rf "$out"
mkdir -p "$out"

echo "== sdist, then the wheel from the sdist (python -m build)"
# uv sets up the isolated build environments in a fraction of pip's time, where it is installed.
installer=()
if "$PYTHON" -m uv --version >/dev/null 2>&1; then installer=(--installer uv); fi
"$PYTHON" -m build "${installer[@]}" --outdir "$out" . >"$out/.build.log" 2>&1 \
    || { cat "$out/.build.log" >&2; fail "python -m build failed"; }
rm "$out/.build.log"
sdist=$out/fastapi_language_server-$version.tar.gz
wheel=$out/fastapi_language_server-$version-py3-none-any.whl
[ -f "$sdist" ] && [ -f "$wheel" ] || fail "expected $sdist and $wheel, got: $(ls "$out")"

echo "== twine check"
"$PYTHON" -m twine check --strict "$sdist" "$wheel"

if [ "$with_vsix" = 1 ]; then
    echo "== .vsix check"
    cp "$vsix" "$out/fastapi-ls-$version.vsix"
    node scripts/check-vsix.mjs "$out/fastapi-ls-$version.vsix" "$version"
fi

echo "== SHA256SUMS"
artifacts=("$(basename "$sdist")" "$(basename "$wheel")")
[ "$with_vsix" = 1 ] && artifacts+=("fastapi-ls-$version.vsix")
(cd "$out" && sha256sum -- "${artifacts[@]}" >SHA256SUMS && cat SHA256SUMS)
