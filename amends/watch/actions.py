"""Every write to the job table. The worker, pages, API and other apps call these.

Claiming is a conditional UPDATE (`... WHERE id = ? AND status = 'queued'`): whichever
worker's UPDATE matches the row wins and every other one matches nothing, so any number
of workers can share one PostgreSQL database, and the same code is correct on SQLite.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import is_on_team
from amends.clients.models import Client
from amends.core.errors import NotFound, ValidationError
from amends.watch.models import MAX_ERROR_CHARS, MAX_MESSAGE_CHARS, Job

logger = logging.getLogger("amends.watch")

MAX_PAYLOAD_BYTES = 64 * 1024
DEFAULT_MAX_ATTEMPTS = 5
# A failed attempt is retried after BACKOFF_BASE * 2**attempts, never later than the cap.
BACKOFF_BASE = timedelta(seconds=getattr(settings, "AMENDS_JOB_BACKOFF_SECONDS", 15))
BACKOFF_CAP = timedelta(hours=1)
# A running job whose worker has not been heard from for this long (no claim, no
# progress report) is taken to belong to a worker that died, and is run again.
STALE_AFTER = timedelta(seconds=getattr(settings, "AMENDS_JOB_STALE_SECONDS", 15 * 60))
# How many due candidates one claim looks at before giving up to other workers.
CLAIM_CANDIDATES = 10


def _bounded(text: str, limit: int) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def backoff_delay(attempts: int) -> timedelta:
    """How long to wait before the next try, after `attempts` tries have failed."""
    # Cap the exponent as well as the result, so a huge attempt count cannot overflow.
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempts, 20))


def enqueue_job(
    actor: User | None,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    client: Client | None = None,
    due_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Queue a job of `kind` to run at `due_at` (now by default).

    `actor` None is the system itself (timers, the worker). A job for a client is seen
    by that client's team; a job without one only by its creator and admins.
    """
    from amends.watch.registry import HANDLERS

    if kind not in HANDLERS:
        raise ValidationError({"kind": f"There is no job kind “{kind[:80]}”."})
    if actor is not None and client is not None and not is_on_team(actor, client.pk):
        raise NotFound("client")
    payload = payload or {}
    try:
        encoded = json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"payload": f"The payload is not JSON: {exc}"}) from None
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        raise ValidationError({"payload": "The payload is larger than 64 KB."})
    if max_attempts < 1:
        raise ValidationError({"max_attempts": "A job needs at least one attempt."})
    if due_at is not None and timezone.is_naive(due_at):
        raise ValidationError({"due_at": "Give a time zone with the due time."})
    with transaction.atomic():
        return Job.objects.create(
            kind=kind,
            payload=payload,
            client=client,
            created_by=actor,
            due_at=due_at or timezone.now(),
            max_attempts=max_attempts,
        )


def claim_next_job(worker_id: str, now: datetime) -> Job | None:
    """Take the job that has been due longest, or None when nothing is due.

    Exclusive even with many workers: only the worker whose conditional UPDATE matched
    the still-queued row gets it; the others move on to the next candidate.
    """
    for _round in range(3):
        candidates = list(
            Job.objects.filter(status=Job.Status.QUEUED, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("id", flat=True)[:CLAIM_CANDIDATES]
        )
        if not candidates:
            return None
        for job_id in candidates:
            won = Job.objects.filter(id=job_id, status=Job.Status.QUEUED).update(
                status=Job.Status.RUNNING,
                locked_by=worker_id[:200],
                locked_at=now,
                attempts=F("attempts") + 1,
            )
            if won == 1:
                return Job.objects.get(id=job_id)
    return None


def report_progress(job: Job, done: int, total: int, message: str = "") -> None:
    """Record how far a running job has got; it also tells everyone its worker is alive."""
    done, total = max(0, int(done)), max(0, int(total))
    message = _bounded(message, MAX_MESSAGE_CHARS)
    now = timezone.now()
    Job.objects.filter(id=job.pk, status=Job.Status.RUNNING, locked_by=job.locked_by).update(
        progress_done=done, progress_total=total, progress_message=message, locked_at=now
    )
    job.progress_done, job.progress_total, job.progress_message = done, total, message
    job.locked_at = now


def finish_job(job: Job, *, now: datetime | None = None) -> bool:
    """Mark a job this worker ran as done. False if it was no longer ours (reclaimed)."""
    now = now or timezone.now()
    changed = Job.objects.filter(
        id=job.pk, status=Job.Status.RUNNING, locked_by=job.locked_by
    ).update(status=Job.Status.DONE, finished_at=now, locked_by="", locked_at=None, last_error="")
    if changed != 1:
        logger.warning("Job %s finished, but another worker had taken it over.", job.pk)
        return False
    job.status, job.finished_at, job.locked_by, job.locked_at = Job.Status.DONE, now, "", None
    job.last_error = ""
    return True


def fail_job(job: Job, *, error: str, now: datetime | None = None) -> bool:
    """An attempt failed: queue the job again after a growing delay, or, once it has had
    `max_attempts` tries, mark it failed with the error kept for people to read.

    Returns False if the job was no longer this worker's (it was reclaimed meanwhile).
    """
    now = now or timezone.now()
    error = _bounded(error or "The job failed without saying why.", MAX_ERROR_CHARS)
    mine = Job.objects.filter(id=job.pk, status=Job.Status.RUNNING, locked_by=job.locked_by)
    if job.attempts >= job.max_attempts:
        fields: dict[str, Any] = {"status": Job.Status.FAILED, "finished_at": now}
    else:
        fields = {"status": Job.Status.QUEUED, "due_at": now + backoff_delay(job.attempts)}
    fields.update(last_error=error, locked_by="", locked_at=None)
    if mine.update(**fields) != 1:
        logger.warning("Job %s failed, but another worker had taken it over.", job.pk)
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def reclaim_stale_jobs(now: datetime, *, stale_after: timedelta = STALE_AFTER) -> int:
    """Give back jobs left running by a worker that stopped (killed, crashed, lost power).

    A reclaimed job counts the lost run as an attempt: it is queued again if it has
    attempts left, failed otherwise. Returns how many jobs were reclaimed.
    """
    cutoff = now - stale_after
    reclaimed = 0
    stale = Job.objects.filter(status=Job.Status.RUNNING, locked_at__lt=cutoff).values_list(
        "id", "locked_by", "locked_at", "attempts", "max_attempts"
    )
    for job_id, locked_by, locked_at, attempts, max_attempts in list(stale):
        error = (
            f"The worker {locked_by or '(unknown)'} stopped answering while running this job "
            f"(last heard from at {locked_at.isoformat() if locked_at else 'an unknown time'})."
        )
        fields: dict[str, Any] = {"last_error": error, "locked_by": "", "locked_at": None}
        if attempts >= max_attempts:
            fields.update(status=Job.Status.FAILED, finished_at=now)
        else:
            fields.update(status=Job.Status.QUEUED, due_at=now)
        # Conditional on what we read, so two workers reclaiming at once act only once.
        reclaimed += Job.objects.filter(
            id=job_id, status=Job.Status.RUNNING, locked_by=locked_by, locked_at=locked_at
        ).update(**fields)
    if reclaimed:
        logger.warning("Reclaimed %s job(s) from workers that stopped.", reclaimed)
    return reclaimed


def retry_job(actor: User, job: Job, *, now: datetime | None = None) -> Job:
    """Run a failed job again now, with a fresh set of attempts. The caller fetched `job`
    through `get_job_for`, so `actor` may see it. Anything but a failed job is refused."""
    now = now or timezone.now()
    changed = Job.objects.filter(id=job.pk, status=Job.Status.FAILED).update(
        status=Job.Status.QUEUED, due_at=now, attempts=0, finished_at=None
    )
    if changed != 1:
        raise ValidationError("Only a failed job can be retried; this one is not failed.")
    logger.info("Job %s retried by %s.", job.pk, actor)
    job.refresh_from_db()
    return job
