"""Fixtures for the worker tests: temporary job kinds, and jobs on Acme's account."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from amends.watch.models import Job
from amends.watch.registry import HANDLERS, Handler


@pytest.fixture
def register() -> Iterator[Callable[[str, Handler], None]]:
    """Register job kinds for one test; they are removed afterwards."""
    added: list[str] = []

    def add(kind: str, handler: Handler) -> None:
        HANDLERS[kind] = handler
        added.append(kind)

    yield add
    for kind in added:
        HANDLERS.pop(kind, None)


def make_failed(job: Job, error: str = "RuntimeError: the mailbox refused the password") -> Job:
    """Put a job straight into `failed`, as if its last attempt had just failed."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, attempts=job.max_attempts, last_error=error
    )
    job.refresh_from_db()
    return job
