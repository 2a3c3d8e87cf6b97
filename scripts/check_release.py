"""Check that a release has one version everywhere and a CHANGELOG entry for it.

    python scripts/check_release.py                 # prints the version, or the problems
    python scripts/check_release.py --tag v0.1.0    # the tag being released must name it too
    python scripts/check_release.py --notes         # prints the CHANGELOG entry (release notes)

The server's ``__version__`` (server/fastapi_ls/__init__.py) is the source: pyproject.toml reads
it through hatch, and package.json (so the .vsix) must carry the same. Standard library only, so
that it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: A released entry: ``## [1.2.3] - 2026-11-29`` (Keep a Changelog).
ENTRY = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)
#: Any second-level heading, released or not (``## [Unreleased]``).
HEADING = re.compile(r"^## ", re.MULTILINE)
SERVER_VERSION = re.compile(r"^__version__ = \"(?P<version>[^\"]+)\"$", re.MULTILINE)


def server_version(root: Path = ROOT) -> str | None:
    text = (root / "server" / "fastapi_ls" / "__init__.py").read_text(encoding="utf-8")
    match = SERVER_VERSION.search(text)
    return match["version"] if match else None


def extension_version(root: Path = ROOT) -> str | None:
    try:
        version = json.loads((root / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def changelog_versions(changelog: str) -> list[str]:
    """The released versions of a Keep a Changelog file, newest (topmost) first."""
    return [match["version"] for match in ENTRY.finditer(changelog)]


def release_notes(changelog: str, version: str) -> str | None:
    """The body of ``version``'s entry, without its heading; None when there is none."""
    for match in ENTRY.finditer(changelog):
        if match["version"] == version:
            following = HEADING.search(changelog, match.end())
            body = changelog[match.end() : following.start() if following else len(changelog)]
            # Link definitions at the end of the file belong to no entry.
            body = re.sub(r"^\[[^\]]+\]: \S+\s*$", "", body, flags=re.MULTILINE)
            return body.strip() or None
    return None


def problems(
    version: str | None, package_version: str | None, changelog: str, tag: str | None = None
) -> list[str]:
    """Why this tree cannot be released as ``version``; empty when it can."""
    if version is None:
        return ['server/fastapi_ls/__init__.py has no __version__ = "…" line']
    found = []
    if package_version != version:
        found.append(f"package.json says version {package_version}, the server {version}")
    released = changelog_versions(changelog)
    if version not in released:
        found.append(f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' entry")
    elif released[0] != version:
        found.append(f"CHANGELOG.md's latest entry is {released[0]}, not {version}")
    elif release_notes(changelog, version) is None:
        found.append(f"CHANGELOG.md's entry for {version} is empty")
    if tag is not None and tag != f"v{version}":
        found.append(f"tag {tag} does not name version {version} (expected v{version})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="the git tag being released, e.g. v0.1.0")
    parser.add_argument("--notes", action="store_true", help="print the version's CHANGELOG entry")
    args = parser.parse_args(argv)

    version = server_version()
    changelog_path = ROOT / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.is_file() else ""
    found = problems(version, extension_version(), changelog, args.tag)
    if found:
        for problem in found:
            print(f"check_release: {problem}", file=sys.stderr)
        return 1
    assert version is not None
    print(release_notes(changelog, version) if args.notes else version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
