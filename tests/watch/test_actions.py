"""The job table's rules: exclusive claims, retries with backoff, stale workers, retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from amends.core.errors import NotFound, ValidationError
from amends.watch import actions
from amends.watch.actions import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    STALE_AFTER,
    backoff_delay,
    claim_next_job,
    enqueue_job,
    fail_job,
    finish_job,
    reclaim_stale_jobs,
    report_progress,
    retry_job,
)
from amends.watch.models import MAX_ERROR_CHARS, Job
from amends.watch.worker import run_one_step

from .conftest import make_failed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _boom(job: Job) -> None:
    raise RuntimeError("the mailbox refused the password")


def test_enqueue_makes_a_queued_job_due_now(world):
    with time_machine.travel(T0, tick=False):
        job = enqueue_job(world.alice, kind="noop", client=world.acme, payload={"a": 1})
    assert job.status == "queued" and job.due_at == T0 and job.attempts == 0
    assert job.created_by == world.alice and job.client == world.acme


def test_enqueue_refuses_an_unknown_kind_and_a_bad_payload(world):
    with pytest.raises(ValidationError, match="no job kind"):
        enqueue_job(world.alice, kind="no.such.kind")
    with pytest.raises(ValidationError, match="not JSON"):
        enqueue_job(world.alice, kind="noop", payload={"when": object()})
    with pytest.raises(ValidationError, match="64 KB"):
        enqueue_job(world.alice, kind="noop", payload={"x": "y" * 70_000})


def test_an_outsider_cannot_queue_work_on_a_client(world):
    with pytest.raises(NotFound):
        enqueue_job(world.carol, kind="noop", client=world.acme)


def test_a_claim_is_exclusive(world):
    job = enqueue_job(world.alice, kind="noop")
    first = claim_next_job("worker-a", T0 + timedelta(days=9999))
    second = claim_next_job("worker-b", T0 + timedelta(days=9999))
    assert first is not None and first.pk == job.pk
    assert first.status == "running" and first.locked_by == "worker-a" and first.attempts == 1
    assert second is None


def test_the_conditional_update_lets_only_one_of_two_racing_claims_win(world, monkeypatch):
    """Both workers read the same candidate; only the first UPDATE matches the row."""
    job = enqueue_job(world.alice, kind="noop")
    now = job.due_at
    other_won = []
    real_filter = Job.objects.filter

    def filter_then_race(*args, **kwargs):
        # Just before worker-a's UPDATE, worker-b claims the very same row.
        if kwargs.get("id") == job.pk and not other_won:
            other_won.append(real_filter(*args, **kwargs).update(status="running", locked_by="b"))
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(actions.Job.objects, "filter", filter_then_race)
    assert claim_next_job("worker-a", now) is None
    monkeypatch.undo()
    assert other_won == [1]
    assert Job.objects.get(pk=job.pk).locked_by == "b"


def test_claims_take_the_longest_due_job_and_skip_future_ones(world):
    late = enqueue_job(world.alice, kind="noop", due_at=T0 + timedelta(hours=1))
    early = enqueue_job(world.alice, kind="noop", due_at=T0 - timedelta(hours=1))
    middle = enqueue_job(world.alice, kind="noop", due_at=T0)
    assert claim_next_job("w", T0).pk == early.pk
    assert claim_next_job("w", T0).pk == middle.pk
    assert claim_next_job("w", T0) is None
    assert Job.objects.get(pk=late.pk).status == "queued"


def test_a_failing_job_is_retried_with_growing_delays_then_fails_with_its_error(world, register):
    register("test.boom", _boom)
    job = enqueue_job(world.alice, kind="test.boom", client=world.acme, due_at=T0, max_attempts=3)
    now = T0
    delays = []
    for attempt in (1, 2):
        ran = run_one_step(now)
        assert ran is not None and ran.pk == job.pk
        job.refresh_from_db()
        assert job.status == "queued" and job.attempts == attempt
        assert "RuntimeError: the mailbox refused the password" in job.last_error
        delays.append(job.due_at - now)
        # Not yet due a moment before the backoff ends.
        assert run_one_step(job.due_at - timedelta(seconds=1)) is None
        now = job.due_at
    assert delays == [BACKOFF_BASE * 2, BACKOFF_BASE * 4]

    run_one_step(now)
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 3 and job.finished_at == now
    assert job.last_error == "RuntimeError: the mailbox refused the password"
    assert run_one_step(now + timedelta(days=1)) is None  # never picked up again


def test_backoff_is_capped():
    assert backoff_delay(1) == BACKOFF_BASE * 2
    assert backoff_delay(30) == BACKOFF_CAP
    assert backoff_delay(10**9) == BACKOFF_CAP


def test_errors_are_bounded(world):
    job = enqueue_job(world.alice, kind="noop", max_attempts=1)
    job = claim_next_job("w", job.due_at)
    fail_job(job, error="x\x00" * 10_000, now=T0)
    job.refresh_from_db()
    assert len(job.last_error) == MAX_ERROR_CHARS and "\x00" not in job.last_error


def test_an_unknown_kind_fails_with_a_clear_error(world):
    job = enqueue_job(world.alice, kind="noop", max_attempts=1)
    Job.objects.filter(pk=job.pk).update(kind="comms.from_the_future")
    run_one_step(job.due_at)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "no handler for jobs of kind “comms.from_the_future”" in job.last_error


def test_a_job_that_works_is_done(world):
    job = enqueue_job(world.alice, kind="demo.count", payload={"to": 3, "delay": 0})
    run_one_step(job.due_at)
    job.refresh_from_db()
    assert job.status == "done" and job.finished_at is not None and not job.locked_by
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.progress_message == "Counted 3 of 3" and job.percent == 100


def test_a_stale_running_job_is_reclaimed_and_run_again(world):
    job = enqueue_job(world.alice, kind="noop", due_at=T0)
    claimed = claim_next_job("killed-worker", T0)
    assert claimed is not None
    # Not stale yet: nothing happens.
    assert reclaim_stale_jobs(T0 + STALE_AFTER - timedelta(seconds=1)) == 0

    later = T0 + STALE_AFTER + timedelta(seconds=1)
    ran = run_one_step(later, worker_id="new-worker")
    assert ran is not None and ran.pk == job.pk
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    # The dead worker's late finish changes nothing.
    assert finish_job(claimed) is False


def test_a_stale_job_out_of_attempts_fails_saying_its_worker_stopped(world):
    job = enqueue_job(world.alice, kind="noop", due_at=T0, max_attempts=1)
    claim_next_job("killed-worker", T0)
    assert reclaim_stale_jobs(T0 + STALE_AFTER * 2) == 1
    job.refresh_from_db()
    assert job.status == "failed"
    assert "killed-worker stopped answering" in job.last_error


def test_progress_reports_keep_a_long_job_from_looking_stale(world):
    enqueue_job(world.alice, kind="noop", due_at=T0)
    with time_machine.travel(T0, tick=False):
        job = claim_next_job("w", T0)
    with time_machine.travel(T0 + STALE_AFTER, tick=False):
        report_progress(job, 5, 10, "Imported 5 of 10 messages")
    assert reclaim_stale_jobs(T0 + STALE_AFTER + timedelta(minutes=1)) == 0
    job.refresh_from_db()
    assert job.status == "running" and job.progress_message == "Imported 5 of 10 messages"


def test_retrying_a_failed_job_queues_it_with_fresh_attempts(world):
    job = make_failed(enqueue_job(world.alice, kind="noop", client=world.acme))
    with time_machine.travel(T0, tick=False):
        retry_job(world.alice, job)
    assert job.status == "queued" and job.attempts == 0 and job.due_at == T0
    assert job.last_error  # the last error stays visible until the job succeeds
    run_one_step(T0)
    job.refresh_from_db()
    assert job.status == "done" and job.last_error == ""


def test_only_a_failed_job_can_be_retried(world):
    job = enqueue_job(world.alice, kind="noop")
    with pytest.raises(ValidationError, match="Only a failed job"):
        retry_job(world.alice, job)
