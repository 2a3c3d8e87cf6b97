"""Shared pytest configuration.

``tests/fixtures`` holds projects and modules that the tests read or run on purpose; pytest
never collects them as tests.
"""

collect_ignore = ["fixtures"]
