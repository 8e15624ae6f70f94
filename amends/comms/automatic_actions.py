"""Writes about mail no person wrote (`comms.automatic`) that was stored before Amends
told it apart: `amends mail-reclassify` reads each stored email's own bytes again and
records the delivery failures and automatic replies among them as an import now would
(direction "auto", no tone), then marks the emails of ours their bounces returned
(`actions.note_returned`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from amends.comms import automatic
from amends.comms.actions import Matcher, note_returned, rethread, sync_timeline
from amends.comms.models import Communication, EmailMessage, MessageReference, RawMessage

DEFAULT_BATCH = 500
MAX_BATCH = 5000
# Raw bytes read at once: a batch of large messages is read a part at a time.
MAX_BYTES_AT_ONCE = 16 * 1024 * 1024


@dataclass
class ReclassifySummary:
    seen: int = 0
    bounces: int = 0
    auto_replies: int = 0
    undelivered: int = 0  # emails of ours now known to have been returned


def reclassify_stored_mail(
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[ReclassifySummary], None] | None = None,
) -> ReclassifySummary:
    """Tell apart the stored emails not yet known as mail no person wrote, in batches by
    id, each in its own transaction (an interrupted run keeps what it did, and a re-run
    finds nothing new in it). A bounce gets the Message-ID of what it returns as a
    reference, so the email of ours it returned is marked undelivered, and (when it
    named no message it answers) joins that email's thread, as an import now would."""
    batch_size = max(1, min(int(batch_size), MAX_BATCH))
    summary = ReclassifySummary()
    returned: set[str] = set()
    after = 0
    while True:
        rows = list(
            EmailMessage.objects.filter(pk__gt=after, automatic="")
            .order_by("pk")
            .values_list("pk", "raw_id", "raw__size", "from_address", "subject")[:batch_size]
        )
        if not rows:
            break
        after = rows[-1][0]
        for part in _by_size(rows):
            data = dict(
                RawMessage.objects.filter(pk__in=[row[1] for row in part]).values_list("pk", "data")
            )
            with transaction.atomic():
                for pk, raw_id, _size, sender, subject in part:
                    summary.seen += 1
                    found = automatic.classify(bytes(data.get(raw_id) or b""), sender, subject)
                    if found.kind:
                        _record(pk, found, summary, returned)
        if progress is not None:
            progress(summary)
    summary.undelivered = note_returned(returned, Matcher())
    return summary


def _by_size(
    rows: list[tuple[int, int, int, str, str]],
) -> list[list[tuple[int, int, int, str, str]]]:
    """The rows in parts whose raw bytes together stay within MAX_BYTES_AT_ONCE (a
    larger message in a part of its own)."""
    parts: list[list[tuple[int, int, int, str, str]]] = [[]]
    held = 0
    for row in rows:
        if parts[-1] and held + (row[2] or 0) > MAX_BYTES_AT_ONCE:
            parts.append([])
            held = 0
        parts[-1].append(row)
        held += row[2] or 0
    return [part for part in parts if part]


def _record(
    pk: int, found: automatic.Found, summary: ReclassifySummary, returned: set[str]
) -> None:
    """Record one email as mail no person wrote, and its communication with it."""
    email = EmailMessage.objects.get(pk=pk)
    direction = email.direction
    if direction != Communication.Direction.INTERNAL:
        direction = Communication.Direction.AUTO
    changes: dict[str, object] = {
        "automatic": found.kind,
        "undelivered": found.undelivered,
        "direction": direction,
    }
    if found.kind == automatic.BOUNCE:
        summary.bounces += 1
        if found.returned:
            returned.add(found.returned)
            if not email.in_reply_to and not email.references:
                changes["in_reply_to"] = found.returned
            MessageReference.objects.get_or_create(message_id=pk, ref=found.returned)
    else:
        summary.auto_replies += 1
    EmailMessage.objects.filter(pk=pk).update(**changes)
    if "in_reply_to" in changes:  # now it answers the email it returns: its thread
        email.in_reply_to = found.returned
        rethread(email)
    if email.communication_id is not None and direction == Communication.Direction.AUTO:
        changed = (
            Communication.objects.filter(pk=email.communication_id)
            .exclude(direction=Communication.Direction.AUTO)
            .update(direction=direction, tone=None, version=F("version") + 1)
        )
        if changed:  # its timeline entry names it anew ("Email sent automatically: …")
            sync_timeline(Communication.objects.get(pk=email.communication_id))
