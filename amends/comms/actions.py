"""Every write about communications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from amends.accounts.models import User
from amends.clients.actions import record_timeline
from amends.clients.models import Client
from amends.comms.models import Communication
from amends.core.errors import ValidationError
from amends.core.models import update_versioned

FIELDS = {
    "case",
    "channel",
    "direction",
    "occurred_at",
    "contact",
    "person",
    "subject",
    "summary",
    "recap_of",
}


def _validate_links(client: Client, comm: Communication) -> None:
    if comm.case is not None and comm.case.client_id != client.pk:
        raise ValidationError({"case": "That case belongs to another client."})
    if comm.contact is not None and comm.contact.client_id != client.pk:
        raise ValidationError({"contact": "That contact belongs to another client."})
    if comm.recap_of is not None:
        if comm.recap_of.client_id != client.pk:
            raise ValidationError({"recap_of": "That call belongs to another client."})
        if comm.recap_of.channel not in ("call", "meeting"):
            raise ValidationError({"recap_of": "A recap follows a call or a meeting."})
        if comm.channel != "email" or comm.direction != "out":
            raise ValidationError(
                {"recap_of": "A recap is a written message to the client: an outgoing email."}
            )
    if comm.occurred_at and comm.occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": "A communication cannot be in the future."})


def _stop_first_response_clocks(comm: Communication) -> None:
    """A reply to the client stops the first-response clock of its open cases (R1)."""
    if not comm.is_reply_to_client:
        return
    from amends.cases.models import Case

    # A reply linked to a case answers that case; an unlinked one answers them all.
    cases = Case.objects.filter(
        client_id=comm.client_id,
        first_response_at__isnull=True,
        opened_at__lte=comm.occurred_at,
    ).exclude(status__in=Case.CLOSED)
    if comm.case_id:
        cases = cases.filter(pk=comm.case_id)
    for case in cases:
        update_versioned(case, None, first_response_at=comm.occurred_at)
        record_timeline(
            client=case.client,
            case=case,
            actor=comm.recorded_by,
            kind="case.first_response",
            at=comm.occurred_at,
            summary="First response sent: the first-response clock stopped",
            subject=comm,
        )


@transaction.atomic
def record_communication(actor: User | None, client: Client, **fields: Any) -> Communication:
    """Record an email, call, meeting or note with the client (R22, R23)."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    fields.setdefault("occurred_at", timezone.now())
    comm = Communication(client=client, recorded_by=actor, **fields)
    comm.full_clean()
    _validate_links(client, comm)
    comm.save()
    record_timeline(
        client=client,
        case=comm.case,
        actor=actor,
        kind=f"comm.{comm.channel}",
        at=comm.occurred_at,
        summary=str(comm),
        subject=comm,
    )
    _stop_first_response_clocks(comm)
    return comm


@transaction.atomic
def update_communication(
    actor: User, comm: Communication, *, version: int | None, **fields: Any
) -> Communication:
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    update_versioned(comm, version, **fields)
    _validate_links(comm.client, comm)
    _stop_first_response_clocks(comm)
    return comm
