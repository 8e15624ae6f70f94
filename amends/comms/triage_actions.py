"""Messages waiting in triage that now match a client (issue 3: matching that learns).

A message matched no client when it was imported. Since then an admin may have added
the client, a contact, or the client's email domain, or assigned one of the sender's
messages (which makes the sender a contact). The waiting messages that now match are
tied to their client as an import would tie them today: `match_waiting`, run by the
`comms.match_triage` job, which every such change queues (`queue_triage_match`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import transaction

from amends.clients.models import Client
from amends.comms.actions import Match, Matcher, place_in_client
from amends.comms.models import EmailMessage
from amends.watch.models import Job

logger = logging.getLogger("amends.comms")

TRIAGE_MATCH_JOB = "comms.match_triage"
_SCAN_CHUNK = 2_000


def match_waiting(progress: Callable[[int, int], None] | None = None) -> int:
    """Tie each message waiting in triage that now matches a client (by a contact's
    address, then by the client's email domains) to that client, oldest first so that a
    thread's first message is placed before its replies. Each message in its own
    transaction, rechecked under lock: one assigned by hand meanwhile is left as it is,
    and one that fails stays in triage without stopping the rest (it is logged).
    `progress(done, total)` after each. Answers how many were tied."""
    matcher = Matcher()
    if not matcher.contacts and not matcher.domains:
        return 0
    found: list[tuple[datetime, int, Match]] = []
    waiting = EmailMessage.objects.filter(client__isnull=True).values_list(
        "pk", "occurred_at", "from_address", "to_addresses", "cc_addresses", "bcc_addresses"
    )
    for pk, occurred_at, sender, to, cc, bcc in waiting.iterator(chunk_size=_SCAN_CHUNK):
        recipients = [a for a in [*(to or []), *(cc or []), *(bcc or [])] if isinstance(a, str)]
        match = matcher.match_addresses(sender or "", recipients)
        if match.client_id is not None:
            found.append((occurred_at, pk, match))
    found.sort(key=lambda row: (row[0], row[1]))
    clients = Client.objects.in_bulk({match.client_id for _, _, match in found})
    # Still to place: a reply that hung off a message placed before it is threaded when
    # its own turn comes, not once in triage and again in its client.
    pending = {pk for _, pk, _ in found}
    placed = 0
    for done, (_, pk, match) in enumerate(found, start=1):
        pending.discard(pk)
        try:
            with transaction.atomic():
                message = (
                    EmailMessage.objects.select_for_update()
                    .filter(pk=pk, client__isnull=True)
                    .first()
                )
                client = clients.get(match.client_id or 0)
                if message is not None and client is not None:
                    message.direction = match.direction
                    place_in_client(
                        None, message, client, match.contact_id, match.person_id, pending
                    )
                    placed += 1
        except Exception:
            logger.exception("Could not tie the message %s from triage to its client.", pk)
        if progress is not None:
            progress(done, len(found))
    return placed


def queue_triage_match() -> None:
    """After a change that may match messages waiting in triage: queue one
    `comms.match_triage` job (none while one is still waiting to run, nor when nothing
    waits). In the change's own transaction: no worker sees the job before the change."""
    from amends.watch.actions import enqueue_job

    if not EmailMessage.objects.filter(client__isnull=True).exists():
        return
    if Job.objects.filter(kind=TRIAGE_MATCH_JOB, status=Job.Status.QUEUED).exists():
        return
    enqueue_job(None, kind=TRIAGE_MATCH_JOB)
