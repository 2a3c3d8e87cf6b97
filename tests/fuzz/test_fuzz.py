"""The short fuzzing run of the test suite (the long one: ``python -m tests.fuzz``)."""

from __future__ import annotations

from fuzz.runner import fuzz


def test_a_short_fuzzing_run_finds_nothing():
    figures = fuzz(operations=400, sessions=1, seed=14)
    assert figures.drift_checks >= 10
    assert figures.ok, "\n".join([figures.summary(), *figures.problems[:10]])
    assert figures.p99_ms() < 500
