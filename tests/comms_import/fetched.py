"""The real-world files `make test-data` fetches (scripts/fetch_test_data.py), for the
Outlook tests, and running the queued jobs an upload starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from amends.watch.worker import run_one_step

DATA = Path(__file__).resolve().parents[2] / ".cache" / "test-data"


def sample(name: str) -> Path:
    """A fetched file; the test is skipped, saying how to fetch it, when it is not there."""
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"{name} not fetched: run `make test-data` (scripts/fetch_test_data.py)")
    return path


def run_jobs() -> None:
    """Run every queued job, as the worker would."""
    while run_one_step() is not None:
        pass
