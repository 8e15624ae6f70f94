"""The `comms.poll_mailbox` job and the periodic work that enqueues it for due mailboxes.

The payload holds only the mailbox's id. Errors of the server or the network are
recorded on the mailbox (which then waits longer before its next poll) and end the job
normally, with the error in its progress message: the mailbox, not the job, retries.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from amends.comms.mailboxes import POLL_JOB_KIND, PollResult, poll_mailbox
from amends.comms.models import MailboxAccount
from amends.watch.actions import report_progress
from amends.watch.models import Job
from amends.watch.registry import job_handler
from amends.watch.schedule import periodic


@job_handler(POLL_JOB_KIND)
def run_poll(job: Job) -> None:
    """Poll the mailbox named in the payload (gone or disabled: nothing to do)."""
    payload = job.payload if isinstance(job.payload, dict) else {}
    mailbox_id = payload.get("mailbox")
    account = (
        MailboxAccount.objects.select_related("owner", "client")
        .filter(pk=int(mailbox_id), enabled=True)
        .first()
        if isinstance(mailbox_id, int)
        else None
    )
    if account is None:
        report_progress(job, 0, 0, "The mailbox was removed or disabled; nothing to do.")
        return

    def progress(result: PollResult, total: int) -> None:
        report_progress(job, result.seen, total, result.message)

    result = poll_mailbox(account, progress=progress)
    report_progress(job, result.seen, max(job.progress_total, result.seen), result.message)


@periodic("comms.mailboxes")
def enqueue_due_polls(now: datetime) -> int:
    """Enqueue one poll for every enabled mailbox that is due and not already queued."""
    from amends.comms.mailbox_actions import enqueue_poll

    due = MailboxAccount.objects.filter(enabled=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    )
    enqueued = 0
    for account in due.select_related("client").order_by("next_poll_at", "pk")[:500]:
        if enqueue_poll(None, account, now=now, scheduled=True) is not None:
            enqueued += 1
    return enqueued
