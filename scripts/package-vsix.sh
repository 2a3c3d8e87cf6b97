#!/usr/bin/env bash
# Build the VS Code extension package, fastapi-ls-<version>.vsix, in the repository root:
#   1. the server and its dependencies into bundled/libs, pure-Python wheels only, resolved for
#      the oldest supported Python (3.10) so that its back-ports (tomli, exceptiongroup…) are
#      in too; the same files then run on every Python from 3.10 up, on every platform;
#   2. the client bundled and minified into dist/extension.js;
#   3. vsce, with .vscodeignore keeping the package to those files and client/README.md as the
#      extension's README.
# `npm run package` runs this script.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
LIBS=bundled/libs
OLDEST_PYTHON=3.10

fail() {
    echo "package-vsix: $*" >&2
    exit 1
}

version=$(node -p 'require("./package.json").version')
server_version=$("$PYTHON" -c 'import re, sys; print(re.search(r"__version__ = \"(.+)\"", open(sys.argv[1]).read())[1])' \
    server/fastapi_ls/__init__.py)
[ "$version" = "$server_version" ] \
    || fail "package.json version $version differs from the server's $server_version (server/fastapi_ls/__init__.py)"

echo "== bundled server ($LIBS)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf bundled
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work" .
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-compile --upgrade \
    --target "$LIBS" \
    --only-binary=:all: --implementation py --python-version "$OLDEST_PYTHON" --abi none --platform any \
    "$work"/fastapi_language_server-*.whl

# pip evaluates environment markers for the Python running it, whatever --python-version says:
# packaged under 3.11+, `tomli; python_version < "3.11"` would be left out and the server would
# not start on 3.10. Add what any supported Python needs, until nothing is missing.
for _ in 1 2 3 4 5; do
    missing=$(PYTHONPATH="$LIBS" "$PYTHON" - "$LIBS" <<'PY'
import sys
from importlib.metadata import distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

libs = sys.argv[1]
installed = {canonicalize_name(d.metadata["Name"]): d for d in distributions(path=[libs])}
missing = set()
for dist in installed.values():
    for line in dist.requires or []:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) in installed:
            continue
        environments = [
            {"python_version": f"3.{minor}", "python_full_version": f"3.{minor}.0", "extra": ""}
            for minor in range(10, 16)
        ]
        if requirement.marker is None or any(requirement.marker.evaluate(e) for e in environments):
            requirement.marker = None
            missing.add(str(requirement))
print("\n".join(sorted(missing)))
PY
)
    [ -n "$missing" ] || break
    echo "for older Pythons: $(echo $missing)"
    # shellcheck disable=SC2086  # one requirement per word
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-compile --no-deps \
        --target "$LIBS" \
        --only-binary=:all: --implementation py --python-version "$OLDEST_PYTHON" --abi none --platform any \
        $missing
done
[ -z "$missing" ] || fail "requirements still missing: $missing"

# Console scripts carry this machine's interpreter in their first line: useless elsewhere.
rm -rf "$LIBS/bin"
# jedi's stubs for third-party packages (networkx, pywin32, Django…): 4,800 files the server
# never reads. Without them jedi reads the installed packages' own sources; its standard
# library stubs stay.
rm -rf "$LIBS/jedi/third_party/typeshed/stubs" "$LIBS/jedi/third_party/django-stubs"

# Pure Python or nothing: a compiled module would tie the package to this platform and Python.
compiled=$(find "$LIBS" -type f \( -name '*.so' -o -name '*.pyd' -o -name '*.dylib' -o -name '*.dll' \) | head)
[ -z "$compiled" ] || fail "compiled files in $LIBS:"$'\n'"$compiled"
for wheel_file in "$LIBS"/*.dist-info/WHEEL; do
    grep -q '^Root-Is-Purelib: true' "$wheel_file" || fail "not a pure-Python wheel: $(dirname "$wheel_file")"
    if grep '^Tag:' "$wheel_file" | grep -vq -- '-none-any$'; then
        fail "platform-specific wheel: $(dirname "$wheel_file")"
    fi
done
[ -f "$LIBS/fastapi_ls/__main__.py" ] || fail "fastapi_ls missing from $LIBS"
find "$LIBS" -maxdepth 1 -name '*.dist-info' -printf '  %f\n' | sed 's/\.dist-info$//' | sort

echo "== client (dist/extension.js)"
rm -rf dist
node client/build.mjs --production

echo "== vsce"
rm -f fastapi-ls-*.vsix
# The marketplace page is client/README.md (the extension's own), not the repository's README;
# its pictures are packaged, and linked relative to the package root.
npx vsce package --no-dependencies --skip-license --no-rewrite-relative-links \
    --readme-path client/README.md --out "fastapi-ls-$version.vsix"
ls -l "fastapi-ls-$version.vsix"
