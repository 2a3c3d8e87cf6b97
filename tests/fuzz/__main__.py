"""``python -m tests.fuzz --ops 10000``: the long fuzzing run, with its figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.runner import fuzz


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--ops", type=int, default=10_000, help="operations in all")
    parser.add_argument(
        "--sessions", type=int, default=10, help="server processes, one after another"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()
    figures = fuzz(args.ops, args.sessions, args.seed)
    print(f"{figures.summary()}; {time.monotonic() - started:.1f} s")
    for problem in figures.problems[:20]:
        print("  -", problem)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
