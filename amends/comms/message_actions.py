"""Writes from an email's page: link it (or its thread) to a case, and record a concern
from a sentence the client wrote in it (R5: in the client's own words, with where)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from amends.accounts.models import User
from amends.cases.actions import add_to_case
from amends.cases.models import Case, Concern
from amends.comms.actions import update_communication
from amends.comms.models import Communication, EmailMessage
from amends.comms.queries import list_thread
from amends.comms.rendering import message_plain_text, quote_occurs
from amends.core.errors import ValidationError

MAX_QUOTE_CHARS = 5000
MIN_QUOTE_CHARS = 3


def _check_case(message: EmailMessage, case: Case) -> None:
    if message.client_id is None or message.communication_id is None:
        raise ValidationError(
            "This message is not on a client's timeline yet; assign it to a client first."
        )
    if case.client_id != message.client_id:
        raise ValidationError({"case": "That case belongs to another client."})


@transaction.atomic
def link_to_case(
    actor: User, message: EmailMessage, case: Case, *, whole_thread: bool = False
) -> list[Communication]:
    """Link the message's communication (or every message of its thread the actor can
    see) to `case`, which must be one of the message's client's cases. Returns the
    communications linked (those already linked to it are left alone)."""
    _check_case(message, case)
    messages = list(list_thread(actor, message)) if whole_thread else [message]
    if message.pk not in {m.pk for m in messages}:
        messages.append(message)
    ids = [m.communication_id for m in messages if m.communication_id is not None]
    comms = Communication.objects.select_for_update().filter(pk__in=ids, client=case.client)
    linked = []
    for comm in comms.order_by("occurred_at", "pk"):
        if comm.case_id != case.pk:
            update_communication(actor, comm, version=None, case=case)
        linked.append(comm)
    return linked


def _clean_quote(quote: str) -> str:
    quote = " ".join((quote or "").replace("\x00", "").split())
    if len(quote) < MIN_QUOTE_CHARS:
        raise ValidationError({"quote": "Paste or select a sentence from the message."})
    if len(quote) > MAX_QUOTE_CHARS:
        raise ValidationError(
            {"quote": f"Quote at most {MAX_QUOTE_CHARS:,} characters: one or a few sentences."}
        )
    return quote


def _source(message: EmailMessage) -> str:
    who = message.from_name or message.from_address or "unknown sender"
    tz = message.client.timezone if message.client else "UTC"
    local = timezone.localtime(message.occurred_at, _zone(tz))
    when = f"{local.day} {local:%b %Y %H:%M}"
    subject = f" “{message.subject[:120]}”" if message.subject else ""
    return f"Email from {who}, {when}{subject}"[:300]


def _zone(name: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


@transaction.atomic
def concern_from_quote(actor: User, message: EmailMessage, case: Case, quote: str) -> Concern:
    """Record, in `case`, a concern in the client's own words: `quote` must occur in the
    message (spacing, case and curly quotes aside). The concern keeps the message as its
    communication and says where it was said."""
    _check_case(message, case)
    text = _clean_quote(quote)
    if not quote_occurs(text, message_plain_text(message)):
        raise ValidationError(
            {"quote": "That text is not in this message. Copy the client's words exactly."}
        )
    concern = add_to_case(
        actor,
        case,
        "concern",
        text=text,
        source=_source(message),
        communication=message.communication,
        raised_at=min(message.occurred_at, timezone.now()),
    )
    assert isinstance(concern, Concern)
    return concern
