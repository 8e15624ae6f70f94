"""The `comms.import` job: import an uploaded mail export, calendar (.ics) or call log
(.csv) in the background, dispatched on the payload's `format` (absent for mail).

The payload holds only the upload's path (relative to DATA_DIR), the client's id and the
acting user's id. The importer is idempotent, so running the job twice (a worker killed
halfway, then the job reclaimed) imports every message exactly once. The summary is kept
in the payload under `summary`, bounded, once the import has finished.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from django.db.models import Q

from amends.accounts.models import User
from amends.clients.models import Client
from amends.comms.actions import ImportSummary, import_path
from amends.comms.importing import SourceError, folder_contents, may_hold_calendars
from amends.comms.meeting_actions import (
    MeetingImportSummary,
    import_calendar_path,
    import_csv,
    record_past_meetings,
)
from amends.comms.triage_actions import TRIAGE_MATCH_JOB, match_waiting
from amends.comms.uploads import (
    resolve_upload,
    stale_upload_folders,
    upload_folder,
    upload_retention_hours,
)
from amends.watch.actions import report_progress
from amends.watch.models import Job
from amends.watch.registry import job_handler
from amends.watch.schedule import periodic

logger = logging.getLogger("amends.comms")

MAX_REJECTED_LISTED = 50
MAX_REASON_CHARS = 300
PROGRESS_EVERY_SECONDS = 1.0
_UPLOAD_PREFIX = re.compile(r"^.*/uploads/[0-9a-f]{32}/")


def _bounded(text: str, limit: int = MAX_REASON_CHARS) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_message(summary: ImportSummary) -> str:
    """One line saying what an import did (the job's progress message)."""
    if isinstance(summary, MeetingImportSummary):
        return (
            f"Read {summary.seen}{f' of {summary.total}' if summary.total is not None else ''}: "
            f"{summary.imported} imported, {summary.updated} updated, "
            f"{summary.duplicates} already there, {summary.unmatched} matching no client, "
            f"{summary.upcoming} still to come, {summary.rejected_count} rejected."
            + (
                f" {summary.removed} no longer in the calendar, taken off Coming up."
                if summary.removed
                else ""
            )
            + (
                f" {summary.not_meetings} all-day events no one is invited to (holidays, days"
                " off) skipped."
                if summary.not_meetings
                else ""
            )
            + (
                f" {summary.declined} declined by everyone of yours invited, skipped."
                if summary.declined
                else ""
            )
        )
    meetings = (
        f" {summary.meetings} meeting{'s' if summary.meetings != 1 else ''} still to come,"
        " from invitations."
        if summary.meetings
        else ""
    )
    spam = (
        f" {summary.spam} spam left out (Gmail's Spam label, junk folders)." if summary.spam else ""
    )
    items = summary.calendar_items
    calendar_items = (
        f" {items} Outlook calendar item{'s' if items != 1 else ''} (.msg) read as meetings."
        if items
        else ""
    )
    return (
        f"Read {summary.seen}{f' of {summary.total}' if summary.total is not None else ''}: "
        f"{summary.imported} imported, {summary.duplicates} already there, "
        f"{summary.unmatched} to triage, {summary.rejected_count} rejected."
        f"{spam}{calendar_items}{meetings}"
    )


def summary_payload(summary: ImportSummary) -> dict[str, Any]:
    """The summary as JSON, with at most MAX_REJECTED_LISTED reasons (each bounded)."""
    extra: dict[str, Any] = {
        "meetings": summary.meetings,
        "spam": summary.spam,
        "calendar_items": summary.calendar_items,
    }
    if isinstance(summary, MeetingImportSummary):
        extra = {
            "updated": summary.updated,
            "outdated": summary.outdated,
            "cancelled": summary.cancelled,
            "upcoming": summary.upcoming,
            "removed": summary.removed,
            "not_meetings": summary.not_meetings,
            "declined": summary.declined,
        }
    return {
        **extra,
        "kind": summary.kind,
        "total": summary.total,
        "seen": summary.seen,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "unmatched": summary.unmatched,
        "problems": summary.problems,
        "rejected_count": summary.rejected_count,
        "rejected": [
            {
                # Labels are paths on the server: show only the part inside the upload.
                "where": _bounded(_UPLOAD_PREFIX.sub("", where)),
                "reason": _bounded(reason),
            }
            for where, reason in summary.rejected[:MAX_REJECTED_LISTED]
        ],
    }


@job_handler("comms.import")
def run_import(job: Job) -> None:
    """Import the upload named in the payload, reporting progress, then keep the summary."""
    payload = job.payload if isinstance(job.payload, dict) else {}
    relative = str(payload.get("path") or "")
    path = resolve_upload(relative)
    if not path.exists():
        if "summary" in payload:
            return  # finished before, the worker stopped before it could say so
        raise FileNotFoundError("The uploaded file is no longer on the server; upload it again.")
    actor_id = payload.get("actor")
    actor = User.objects.filter(pk=int(actor_id)).first() if actor_id is not None else None
    if actor is None or not actor.is_active:
        raise PermissionError("The person who uploaded this file can no longer import.")
    client = None
    if payload.get("client") is not None:
        client = Client.objects.get(pk=payload["client"])
    last = 0.0

    def progress(summary: ImportSummary) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_SECONDS:
            last = now
            report_progress(job, summary.seen, summary.total or 0, summary_message(summary))

    summary, more = _run(payload, actor, path, client, progress)
    report_progress(job, summary.seen, summary.total or summary.seen, summary_message(summary))
    done = {**payload, **more, "summary": summary_payload(summary)}
    Job.objects.filter(pk=job.pk).update(payload=done)
    job.payload = done
    shutil.rmtree(upload_folder(relative), ignore_errors=True)


def _run(
    payload: dict[str, Any], actor: User, path: Any, client: Any, progress: Any
) -> tuple[Any, dict[str, Any]]:
    """Run the import the payload asks for: (its summary, more for the payload). An
    unpacked zip may hold calendars as well as mail (a Google Takeout), or calendars only
    (a Google Calendar export): the calendars are imported too, their summary kept as
    `calendars` (or, with no mail, as the summary, the upload then counting as .ics).
    A decompressed calendar (an upload named `cal.ics.gz`) is imported as one."""
    if payload.get("format") is None and path.is_file() and path.suffix.lower() == ".ics":
        meetings = import_calendar_path(actor, path, client=client, progress=progress)
        return meetings, {"format": "ics"}
    if payload.get("format") is None and may_hold_calendars(path):
        holds_mail, holds_calendars = folder_contents(path)
        if holds_calendars and not holds_mail:
            meetings = import_calendar_path(actor, path, client=client, progress=progress)
            return meetings, {"format": "ics"}
        summary = import_path(actor, path, client=client, progress=progress)
        if not holds_calendars:
            return summary, {}
        try:
            meetings = import_calendar_path(actor, path, client=client)
        except SourceError as exc:  # the mail is in; say why the calendars are not
            return summary, {"calendars_error": _bounded(_UPLOAD_PREFIX.sub("", str(exc)))}
        return summary, {"calendars": summary_payload(meetings)}
    return _run_one(payload, actor, path, client, progress), {}


def _run_one(payload: dict[str, Any], actor: User, path: Any, client: Any, progress: Any) -> Any:
    kind = payload.get("format")
    if kind == "ics":
        return import_calendar_path(actor, path, client=client, progress=progress)
    if kind == "csv":
        mapping = payload.get("mapping")
        return import_csv(
            actor,
            path.read_bytes(),
            {str(k): str(v) for k, v in mapping.items()} if isinstance(mapping, dict) else None,
            client=client,
            day_first=bool(payload.get("day_first")),
            label=str(payload.get("name") or "upload.csv"),
            progress=progress,
        )
    return import_path(actor, path, client=client, progress=progress)


@periodic("comms.past_meetings")
def record_meetings_held(now: datetime) -> int:
    """Move the meetings kept from calendars whose time is over onto the timeline
    (`meeting_actions.record_past_meetings`). Almost always one empty query. Enqueues
    nothing; returns 0."""
    recorded = record_past_meetings(now)
    if recorded:
        logger.info("Recorded %d meeting(s) from imported calendars now over.", recorded)
    return 0


# At most once an hour per process: uploads are few, and a day's delay is harmless.
SWEEP_EVERY_SECONDS = 3600.0
_last_sweep: float | None = None


@periodic("comms.stale_uploads")
def sweep_stale_uploads(now: datetime) -> int:
    """Delete uploads older than the retention period that no import job will read: not
    one queued or running, nor one failed within the period (it may be retried). What
    goes: a CSV never confirmed on its mapping page, the upload of a job deleted before
    it ran or failed long ago. Enqueues nothing; returns 0."""
    global _last_sweep
    stamp = now.timestamp()
    if _last_sweep is not None and _last_sweep <= stamp < _last_sweep + SWEEP_EVERY_SECONDS:
        return 0
    _last_sweep = stamp
    keep: set[str] = set()
    recently = now - timedelta(hours=upload_retention_hours())
    live = Job.objects.filter(kind="comms.import").filter(
        Q(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        | Q(status=Job.Status.FAILED, finished_at__gte=recently)
    )
    for payload in live.values_list("payload", flat=True):
        relative = str((payload or {}).get("path") or "") if isinstance(payload, dict) else ""
        parts = PurePosixPath(relative).parts
        if len(parts) > 1:
            keep.add(parts[1])
    removed = 0
    for folder in stale_upload_folders(stamp, keep):
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    if removed:
        logger.info("Removed %d upload(s) older than the retention period.", removed)
    return 0


@job_handler(TRIAGE_MATCH_JOB)
def run_triage_match(job: Job) -> None:
    """Tie the messages waiting in triage that now match a client to it (queued when a
    contact, a client's email domains or an assignment from triage may have made them
    match). Safe to run twice: a message already tied is left alone."""
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if done == total or time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
            last = time.monotonic()
            report_progress(job, done, total, f"Matching messages from triage: {done} of {total}.")

    placed = match_waiting(progress)
    report_progress(
        job,
        job.progress_done,
        job.progress_total,
        f"{placed} message{'s' if placed != 1 else ''} from triage now"
        f" match{'es' if placed == 1 else ''} a client and"
        " joined its timeline.",
    )
