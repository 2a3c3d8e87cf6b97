#!/usr/bin/env bash
# Install the editors the end-to-end editor tests drive: Emacs with Eglot from Debian.
# (Neovim comes from PyPI with the test dependencies.)  Without root or without apt-get the
# script says so and the Emacs tests skip with that reason.
set -uo pipefail

packages=(emacs-nox elpa-eglot)
if dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-editors: cannot install ${packages[*]} (needs root and apt-get); Emacs tests will skip"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "install-editors: apt-get update failed"
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
    || echo "install-editors: installing ${packages[*]} failed; Emacs tests will skip"
