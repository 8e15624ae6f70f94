"""Several workers at once against one PostgreSQL database: every job runs exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from amends.watch.actions import enqueue_job
from amends.watch.models import Job
from amends.watch.worker import run_worker

JOBS = 60
WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_run_each_job_exactly_once(register):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent claims need PostgreSQL (run with scripts/with_postgres.py)")
    runs: Counter[int] = Counter()
    by_worker: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)

    def record(job: Job) -> None:
        time.sleep(0.005)  # a little work, so the workers' claims interleave
        with lock:
            runs[job.pk] += 1
            by_worker[job.locked_by] += 1

    register("test.record", record)
    ids = {enqueue_job(None, kind="test.record").pk for _ in range(JOBS)}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait(timeout=30)
            run_worker(name, once=True, poll_interval=0.05)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert set(runs) == ids and set(runs.values()) == {1}
    assert Job.objects.filter(pk__in=ids, status="done").count() == JOBS
    assert sum(by_worker.values()) == JOBS
