"""The worker loop: claim one due job, run its handler, repeat (healthchecks' sendalerts).

`amends worker` runs it in the foreground; `amends serve` runs it in a thread. Tests
call `run_one_step()` with the clock where they want it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from amends.watch.actions import claim_next_job, fail_job, finish_job, reclaim_stale_jobs
from amends.watch.models import Job
from amends.watch.registry import get_handler
from amends.watch.schedule import run_schedules

logger = logging.getLogger("amends.watch")

DEFAULT_POLL_SECONDS = 2.0


def default_worker_id() -> str:
    """host:pid:thread — enough to find the process that holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


def run_job(job: Job, *, now: datetime | None = None) -> None:
    """Run a claimed job's handler and record how it went; never raises for the handler."""
    try:
        handler = get_handler(job.kind)
        handler(job)
    except Exception as exc:  # a bad job must never take the worker down
        logger.warning("Job %s (%s) attempt %s failed: %s", job.pk, job.kind, job.attempts, exc)
        fail_job(job, error=f"{type(exc).__name__}: {exc}", now=now)
    else:
        finish_job(job, now=now)


def run_one_step(now: datetime | None = None, *, worker_id: str = "inline") -> Job | None:
    """Reclaim stale jobs, enqueue periodic work that is due (`schedule.py`), then claim
    and run one due job. Returns it, or None if idle.

    With `now` given, the whole step (claim, backoff, finish) happens at that time.
    """
    claim_at = now or timezone.now()
    reclaim_stale_jobs(claim_at)
    run_schedules(claim_at)
    job = claim_next_job(worker_id, claim_at)
    if job is not None:
        run_job(job, now=now)
    return job


def run_worker(
    worker_id: str | None = None,
    *,
    once: bool = False,
    poll_interval: float = DEFAULT_POLL_SECONDS,
    stop_event: threading.Event | None = None,
) -> int:
    """Run jobs until `stop_event` is set (or, with `once`, until nothing is due).

    A stop lets the current job finish. Returns how many jobs were run.
    """
    worker_id = worker_id or default_worker_id()
    stop_event = stop_event or threading.Event()
    ran = 0
    logger.info("Worker %s started.", worker_id)
    while not stop_event.is_set():
        job = None
        try:
            job = run_one_step(worker_id=worker_id)
        except DatabaseError:
            # The database is away or locked: say so and try again after a pause.
            logger.exception("Worker %s could not use the database.", worker_id)
        finally:
            close_old_connections()
        if job is not None:
            ran += 1
            continue
        if once:
            break
        stop_event.wait(poll_interval)
    connections.close_all()  # this thread's connections only
    logger.info("Worker %s stopped after %s job(s).", worker_id, ran)
    return ran
