"""Messages waiting in triage that now match a client (issue 3: matching that learns).

A message matched no client when it was imported. Since then an admin may have added
the client, a contact, or the client's email domain, or assigned one of the sender's
messages (which makes the sender a contact). The waiting messages that now match are
tied to their client as an import would tie them today: `match_waiting`, run by the
`comms.match_triage` job, which every such change queues (`queue_triage_match`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from amends.accounts.models import User
from amends.clients.models import Client
from amends.comms.actions import (
    Match,
    Matcher,
    assign_message,
    place_batch_in_clients,
    place_in_client,
)
from amends.comms.models import EmailMessage
from amends.core.errors import ValidationError
from amends.watch.models import Job

logger = logging.getLogger("amends.comms")

TRIAGE_MATCH_JOB = "comms.match_triage"
_SCAN_CHUNK = 2_000
_PLACE_CHUNK = 500
# The most messages one request assigns or dismisses together (a page of triage).
MAX_SELECTED = 200


def match_waiting(progress: Callable[[int, int], None] | None = None) -> int:
    """Tie each message waiting in triage that now matches a client (by a contact's
    address, then by the client's email domains) to that client, oldest first so that a
    thread's first message is placed before its replies: `_PLACE_CHUNK` at a time, each
    chunk in its own transaction and rechecked under lock (one assigned by hand
    meanwhile is left as it is). If a chunk fails, its messages are placed one at a
    time, so that only the one that fails stays in triage (it is logged).
    `progress(done, total)` after each chunk. Answers how many were tied."""
    matcher = Matcher()
    if not matcher.contacts and not matcher.domains:
        return 0
    found: list[tuple[datetime, int, Match]] = []
    waiting = EmailMessage.objects.filter(
        client__isnull=True, dismissed_at__isnull=True
    ).values_list(
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
    # its own turn comes, not once back in triage and again in its client.
    pending = {pk for _, pk, _ in found}
    placed = 0
    for start in range(0, len(found), _PLACE_CHUNK):
        chunk = [(pk, match) for _, pk, match in found[start : start + _PLACE_CHUNK]]
        pending.difference_update(pk for pk, _ in chunk)
        try:
            with transaction.atomic():
                placed += place_batch_in_clients(chunk, clients, pending)
        except Exception:
            logger.exception(
                "Could not tie %s messages from triage to their clients together;"
                " trying one at a time.",
                len(chunk),
            )
            pending.update(pk for pk, _ in chunk)
            for pk, match in chunk:
                pending.discard(pk)
                placed += _place_one(pk, match, clients, pending)
        if progress is not None:
            progress(min(start + _PLACE_CHUNK, len(found)), len(found))
    return placed


def _place_one(pk: int, match: Match, clients: dict[int, Client], pending: set[int]) -> int:
    """Place one message (`place_in_client`) in its own transaction: 1 if it was."""
    try:
        with transaction.atomic():
            waiting = EmailMessage.objects.select_for_update().filter(
                pk=pk, client__isnull=True, dismissed_at__isnull=True
            )
            message = waiting.first()
            client = clients.get(match.client_id or 0)
            if message is None or client is None:
                return 0
            message.direction = match.direction
            place_in_client(None, message, client, match.contact_id, match.person_id, pending)
            return 1
    except Exception:
        logger.exception("Could not tie the message %s from triage to its client.", pk)
        return 0


def queue_triage_match() -> None:
    """After a change that may match messages waiting in triage: queue one
    `comms.match_triage` job (none while one is still waiting to run, nor when nothing
    waits). In the change's own transaction: no worker sees the job before the change."""
    from amends.watch.actions import enqueue_job

    if not EmailMessage.objects.filter(client__isnull=True, dismissed_at__isnull=True).exists():
        return
    if Job.objects.filter(kind=TRIAGE_MATCH_JOB, status=Job.Status.QUEUED).exists():
        return
    enqueue_job(None, kind=TRIAGE_MATCH_JOB)


def _waiting_for_admin(actor: User, message: EmailMessage) -> EmailMessage:
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can set mail in triage aside.")
    locked = EmailMessage.objects.select_for_update().filter(pk=message.pk).first()
    if locked is None or locked.client_id is not None:
        raise ValidationError("This message is no longer waiting in triage.")
    return locked


@transaction.atomic
def dismiss_message(actor: User, message: EmailMessage) -> EmailMessage:
    """Set a message waiting in triage aside as no client's (a newsletter, spam): it is
    no longer listed there nor counted by domain, and no later match places it. It is
    kept, and `restore_message` (or assigning it by hand) takes it back."""
    message = _waiting_for_admin(actor, message)
    if message.dismissed_at is None:
        message.dismissed_at = timezone.now()
        EmailMessage.objects.filter(pk=message.pk).update(dismissed_at=message.dismissed_at)
    return message


@transaction.atomic
def dismiss_domain(actor: User, domain: str) -> int:
    """Set aside every message waiting in triage with people at `domain` (what the
    domains panel counts for it: a newsletter's sender, a list we wrote to), as
    `dismiss_message` would each. Not a public provider's (gmail.com holds clients'
    people too) nor one of ours. Answers how many were set aside."""
    from amends.clients.models import is_public_mail_domain
    from amends.comms.queries import our_domains, waiting_with_domain

    if not actor.is_admin:
        raise PermissionDenied("Only an admin can set mail in triage aside.")
    domain = (domain or "").strip().lower()
    if not domain or "@" in domain or " " in domain:
        raise ValidationError("Give one email domain, like example.com.")
    if is_public_mail_domain(domain):
        raise ValidationError(
            f"{domain} is a public email provider: its mail may be clients' people's."
            " Dismiss its messages one by one."
        )
    if domain in our_domains():
        raise ValidationError(f"{domain} is the firm's own domain.")
    now, dismissed = timezone.now(), 0
    ids = waiting_with_domain(actor, domain)
    for start in range(0, len(ids), 500):
        dismissed += EmailMessage.objects.filter(
            pk__in=ids[start : start + 500], client__isnull=True, dismissed_at__isnull=True
        ).update(dismissed_at=now)
    return dismissed


@transaction.atomic
def restore_message(actor: User, message: EmailMessage) -> EmailMessage:
    """Put a dismissed message back in the triage list, where matches place it again."""
    message = _waiting_for_admin(actor, message)
    if message.dismissed_at is not None:
        message.dismissed_at = None
        EmailMessage.objects.filter(pk=message.pk).update(dismissed_at=None)
        queue_triage_match()
    return message


@dataclass
class Selected:
    """What a choice of several messages in triage came to: how many were done, and
    why each of the others was not (by message id)."""

    done: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _selected(actor: User, messages: Sequence[EmailMessage], verb: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"Only an admin can {verb} mail in triage.")
    if not messages:
        raise ValidationError("Select at least one message.")
    if len(messages) > MAX_SELECTED:
        raise ValidationError(f"Select at most {MAX_SELECTED} messages at a time.")


def _each(messages: Sequence[EmailMessage], act: Callable[[EmailMessage], object]) -> Selected:
    """`act` on each message, each on its own: one it refuses (a `ValidationError`, or
    gone meanwhile) is skipped with the reason, the others go."""
    result = Selected()
    for message in messages:
        try:
            act(message)
        except (ValidationError, EmailMessage.DoesNotExist) as exc:
            result.skipped.append((message.pk, _reason(exc)))
        else:
            result.done += 1
    return result


def assign_selected(actor: User, messages: Sequence[EmailMessage], client: Client) -> Selected:
    """Assign several messages from triage to `client`, as `assign_message` does each
    (each in its own transaction: one assigned meanwhile by someone else is skipped
    with the reason, the others go)."""
    _selected(actor, messages, "assign")
    matcher = Matcher()
    return _each(messages, lambda message: assign_message(actor, message, client, matcher))


def assign_by_thread(actor: User, messages: Sequence[EmailMessage]) -> Selected:
    """Assign each of several messages from triage to the client whose mail it answers
    (`queries.thread_clients`: by In-Reply-To, then References), as `assign_message`
    does each; one that answers no client's mail the actor may see is skipped."""
    from amends.comms.queries import thread_clients

    _selected(actor, messages, "assign")
    hints = thread_clients(actor, messages)
    clients = Client.objects.in_bulk({hint.id for hint in hints.values()})
    matcher = Matcher()

    def assign(message: EmailMessage) -> None:
        hint = hints.get(message.pk)
        client = clients.get(hint.id) if hint is not None else None
        if client is None:
            raise ValidationError("It answers no client's mail.")
        assign_message(actor, message, client, matcher)

    return _each(messages, assign)


def dismiss_selected(actor: User, messages: Sequence[EmailMessage]) -> Selected:
    """Set several messages waiting in triage aside, as `dismiss_message` does each."""
    _selected(actor, messages, "set aside")
    return _each(messages, lambda message: dismiss_message(actor, message))


def on_waiting(
    actor: User,
    ids: Sequence[int],
    act: Callable[[User, list[EmailMessage]], Selected],
) -> tuple[Selected, list[int]]:
    """`act` (`assign_selected`, `dismiss_selected`…) on those of `ids` still waiting
    in triage for `actor` (`queries.waiting_selected`); answers what it came to and the
    ids that were not waiting (none acted on when no id is)."""
    from amends.comms.queries import waiting_selected

    chosen, missing = waiting_selected(actor, ids)
    return (act(actor, chosen) if chosen else Selected()), missing


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return "This message is no longer waiting in triage."
