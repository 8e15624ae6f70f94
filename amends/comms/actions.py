"""Every write about communications."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from amends.accounts.models import TeamMembership, User
from amends.clients.actions import add_contact, record_timeline
from amends.clients.models import Client, Contact
from amends.comms.importing import (
    DEFAULT_MAX_BYTES,
    ParsedMessage,
    Rejected,
    is_reply_subject,
    open_source,
    parse_message,
)
from amends.comms.models import Communication, EmailMessage, MessageReference, RawMessage
from amends.core.errors import ValidationError
from amends.core.models import update_versioned
from amends.search.actions import index_object
from amends.watch.models import Job

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
    index_object(comm)
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
    index_object(comm)
    return comm


# --- Importing email (issue 3) ----------------------------------------------------------

BATCH_SIZE = 200
SUBJECT_THREAD_WINDOW = timedelta(days=30)


def max_message_bytes() -> int:
    """The largest message kept (setting AMENDS_MAX_MESSAGE_BYTES, default 25 MB)."""
    return int(getattr(settings, "AMENDS_MAX_MESSAGE_BYTES", DEFAULT_MAX_BYTES))


def our_domains() -> set[str]:
    """The firm's own email domains: setting AMENDS_OUR_DOMAINS (comma-separated), else
    the domains of the users' own addresses."""
    configured: list[str] = list(getattr(settings, "AMENDS_OUR_DOMAINS", []))
    domains = {d.strip().lower().lstrip("@") for d in configured if d.strip()}
    if domains:
        return domains
    emails = User.objects.exclude(email="").values_list("email", flat=True)
    return {e.rsplit("@", 1)[1].lower() for e in emails if "@" in e}


@dataclass
class Match:
    client_id: int | None
    contact_id: int | None
    direction: str
    person_id: int | None


class Matcher:
    """Who a message is with: loaded once per import, so matching costs no queries."""

    def __init__(self, client: Client | None = None) -> None:
        self.forced = client
        self.ours = our_domains()
        self.users: dict[str, int] = {
            e.lower(): pk for pk, e in User.objects.exclude(email="").values_list("pk", "email")
        }
        contacts = Contact.objects.exclude(email="").order_by("client_id", "pk")
        if client is not None:
            contacts = contacts.filter(client=client)
        self.contacts: dict[str, tuple[int, int]] = {}
        for pk, client_id, address in contacts.values_list("pk", "client_id", "email"):
            self.contacts.setdefault(address.lower(), (client_id, pk))
        self.domains: dict[str, int] = {}
        for pk, value in Client.objects.order_by("pk").values_list("pk", "email_domains"):
            for domain in Client(email_domains=value).domains:
                self.domains.setdefault(domain, pk)

    def is_ours(self, address: str) -> bool:
        return address in self.users or address.rsplit("@", 1)[-1] in self.ours

    def match(self, parsed: ParsedMessage) -> Match:
        sender = parsed.from_address
        outbound = bool(sender) and self.is_ours(sender)
        others = (
            [a for a in [*parsed.to, *parsed.cc] if not self.is_ours(a)] if outbound else [sender]
        )
        others = [a for a in others if a]
        person_id = self.users.get(sender) if outbound else None
        direction = Communication.Direction.OUT if outbound else Communication.Direction.IN
        if outbound and not others:
            direction = Communication.Direction.INTERNAL
        for address in others:
            if address in self.contacts:
                client_id, contact_id = self.contacts[address]
                return Match(client_id, contact_id, direction, person_id)
        if self.forced is not None:
            return Match(self.forced.pk, None, direction, person_id)
        for address in others:
            domain_client = self.domains.get(address.rsplit("@", 1)[-1])
            if domain_client is not None:
                return Match(domain_client, None, direction, person_id)
        return Match(None, None, direction, person_id)


@dataclass
class ImportSummary:
    """What an import did. `rejected` lists (where, why) for every message not kept."""

    source: str = ""
    kind: str = ""
    total: int | None = None
    seen: int = 0
    imported: int = 0
    duplicates: int = 0
    unmatched: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    problems: int = 0

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


def _thread_scope(message: EmailMessage) -> Any:
    if message.client_id is None:
        return EmailMessage.objects.filter(client__isnull=True)
    return EmailMessage.objects.filter(client_id=message.client_id)


def _thread(message: EmailMessage, parsed_subject_reply: bool) -> None:
    """Place a message in its thread (within its client), and adopt earlier-imported
    replies to it. Headers first; the subject only when there are none."""
    scope = _thread_scope(message)
    ancestors = [*message.references, message.in_reply_to]
    root_id: int | None = None
    if any(ancestors):
        known = dict(
            scope.filter(message_id__in=[a for a in ancestors if a]).values_list(
                "message_id", "thread_root_id"
            )
        )
        known_ids = dict(scope.filter(message_id__in=list(known)).values_list("message_id", "pk"))
        for ancestor in ancestors:  # References run oldest first
            if ancestor in known:
                root_id = known[ancestor] or known_ids[ancestor]
                break
    elif parsed_subject_reply and message.normalised_subject:
        earlier = (
            scope.filter(
                normalised_subject=message.normalised_subject,
                occurred_at__gte=message.occurred_at - SUBJECT_THREAD_WINDOW,
                occurred_at__lte=message.occurred_at,
            )
            .exclude(pk=message.pk)
            .order_by("-occurred_at", "-pk")
            .values_list("thread_root_id", "pk")
            .first()
        )
        if earlier is not None:
            root_id = earlier[0] or earlier[1]
    root_id = root_id or message.pk
    EmailMessage.objects.filter(pk=message.pk).update(thread_root_id=root_id)
    message.thread_root_id = root_id
    if message.message_id:
        # Replies imported before this message: their threads join this one.
        orphan_roots = set(
            scope.filter(refs__ref=message.message_id)
            .exclude(thread_root_id=root_id)
            .values_list("thread_root_id", flat=True)
        )
        if orphan_roots:
            scope.filter(thread_root_id__in=orphan_roots).update(thread_root_id=root_id)
    if message.normalised_subject:
        # Header-less replies imported before this message (a Maildir is not in date
        # order) join its thread by subject, as they would have if imported after it.
        later = (
            scope.filter(
                normalised_subject=message.normalised_subject,
                occurred_at__gte=message.occurred_at,
                occurred_at__lte=message.occurred_at + SUBJECT_THREAD_WINDOW,
                in_reply_to="",
                refs__isnull=True,
                thread_root_id=F("pk"),
            )
            .exclude(pk=message.pk)
            .values_list("pk", "subject")
        )
        roots = [pk for pk, subject in later if is_reply_subject(subject)]
        if roots:
            scope.filter(thread_root_id__in=roots).update(thread_root_id=root_id)


def _record_email_communication(
    actor: User | None, message: EmailMessage, contact_id: int | None, person_id: int | None
) -> Communication:
    assert message.client is not None
    summary = message.text_body[:20000]
    occurred_at = min(message.occurred_at, timezone.now())
    comm = record_communication(
        actor,
        message.client,
        channel=Communication.Channel.EMAIL,
        direction=message.direction,
        occurred_at=occurred_at,
        contact=Contact.objects.filter(pk=contact_id).first() if contact_id else None,
        person=User.objects.filter(pk=person_id).first() if person_id else None,
        subject=message.subject[:300],
        summary=summary,
    )
    EmailMessage.objects.filter(pk=message.pk).update(communication=comm)
    message.communication = comm
    return comm


def _is_duplicate(parsed: ParsedMessage) -> bool:
    if parsed.message_id and EmailMessage.objects.filter(message_id=parsed.message_id).exists():
        return True
    return RawMessage.objects.filter(sha256=parsed.sha256).exists()


def store_parsed_message(
    actor: User | None, parsed: ParsedMessage, *, matcher: Matcher, source: str = ""
) -> EmailMessage | None:
    """Keep one parsed email (raw bytes and what was understood), thread it and, when it
    matches a client, put it on the timeline. Returns None for a duplicate."""
    if _is_duplicate(parsed):
        return None
    match = matcher.match(parsed)
    now = timezone.now()
    raw = RawMessage.objects.create(sha256=parsed.sha256, size=parsed.size, data=parsed.raw)
    message = EmailMessage.objects.create(
        raw=raw,
        client_id=match.client_id,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        to_addresses=parsed.to,
        cc_addresses=parsed.cc,
        subject=parsed.subject,
        normalised_subject=parsed.normalised_subject,
        sent_at=parsed.date,
        occurred_at=parsed.date or now,
        direction=match.direction,
        text_body=parsed.text,
        attachments=[vars(a) for a in parsed.attachments],
        problems=parsed.problems,
        source=source[:1000],
        imported_by=actor,
    )
    refs = {r for r in [*parsed.references, parsed.in_reply_to] if r}
    MessageReference.objects.bulk_create(MessageReference(message=message, ref=r) for r in refs)
    _thread(message, parsed.is_reply_by_subject)
    if message.client_id is not None:
        _record_email_communication(actor, message, match.contact_id, match.person_id)
    return message


def _check_may_import(actor: User | None, client: Client | None) -> None:
    if actor is None or actor.is_admin:
        return
    if client is None or not TeamMembership.objects.filter(user=actor, client=client).exists():
        raise PermissionDenied("Only an admin can import mail for every client; name your client.")


def import_path(
    actor: User | None,
    path: str | os.PathLike[str],
    *,
    client: Client | None = None,
    progress: Callable[[ImportSummary], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Import every email at `path` (.eml, folder, mbox, Maildir). Idempotent, committed in
    batches so an interrupted import keeps what it did; a bad message never stops it.
    Raises `importing.SourceError` when the path cannot be read at all."""
    _check_may_import(actor, client)
    limit = max_message_bytes()
    source = open_source(path, max_bytes=limit)
    summary = ImportSummary(source=os.fsdecode(source.path), kind=source.kind, total=source.total)
    matcher = Matcher(client)
    items = iter(source.items)
    done = False
    while not done:
        with transaction.atomic():
            for _ in range(batch_size):
                item = next(items, None)
                if item is None:
                    done = True
                    break
                summary.seen += 1
                _import_item(actor, item, matcher, summary, limit)
                if progress is not None:
                    progress(summary)
    return summary


def _import_item(
    actor: User | None, item: Any, matcher: Matcher, summary: ImportSummary, limit: int
) -> None:
    if item.data is None:
        summary.rejected.append((item.label, item.rejected))
        return
    parsed = parse_message(item.data, max_bytes=limit)
    if isinstance(parsed, Rejected):
        summary.rejected.append((item.label, parsed.reason))
        return
    try:
        with transaction.atomic():
            message = store_parsed_message(actor, parsed, matcher=matcher, source=item.label)
    except IntegrityError:
        message = None  # a concurrent import stored it first
    except Exception as exc:  # a bad message never stops the batch
        summary.rejected.append((item.label, f"could not be stored: {type(exc).__name__}: {exc}"))
        return
    if message is None:
        summary.duplicates += 1
        return
    summary.imported += 1
    summary.problems += bool(parsed.problems)
    if message.client_id is None:
        summary.unmatched += 1


@transaction.atomic
def assign_message(actor: User | None, message: EmailMessage, client: Client) -> Communication:
    """Assign an unmatched email to a client from triage: it joins the client's timeline,
    and its sender (or our recipient) becomes a contact so the next one matches."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only an admin can assign messages from triage.")
    message = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if message.client_id is not None:
        raise ValidationError("This message is already assigned to a client.")
    matcher = Matcher()
    outbound = message.direction != Communication.Direction.IN
    candidates = (
        [a for a in [*message.to_addresses, *message.cc_addresses] if not matcher.is_ours(a)]
        if outbound
        else [message.from_address]
    )
    contact = None
    for address in candidates:
        if not address:
            continue
        contact = Contact.objects.filter(client=client, email__iexact=address).first()
        if contact is None:
            try:
                validate_email(address)
            except ValidationError:
                continue
            name = (message.from_name if not outbound else "") or address.split("@")[0]
            contact = add_contact(actor, client, name=name[:200], email=address)  # type: ignore[arg-type]
        break
    if outbound and message.direction == Communication.Direction.INTERNAL and candidates:
        message.direction = Communication.Direction.OUT
    previous_children = list(
        EmailMessage.objects.filter(thread_root=message, client__isnull=True)
        .exclude(pk=message.pk)
        .order_by("occurred_at", "pk")
    )
    EmailMessage.objects.filter(pk=message.pk).update(client=client, direction=message.direction)
    message.client = client
    _thread(message, is_reply_subject(message.subject))
    person_id = matcher.users.get(message.from_address) if outbound else None
    comm = _record_email_communication(actor, message, contact.pk if contact else None, person_id)
    # The unmatched messages that hung off this one form their own thread again.
    for child in previous_children:
        EmailMessage.objects.filter(pk=child.pk).update(thread_root=child.pk)
        child.thread_root_id = child.pk
        _thread(child, False)
    return comm


def start_import(actor: User, *, uploaded_file: Any, client: Client | None = None) -> Job:
    """Store an uploaded .eml, .mbox or .zip (of .eml files or a Maildir) and queue a
    `comms.import` job for it. The caller fetched `client` through `get_client_for`.

    Someone who is not an admin must name one of their clients (ValidationError), as the
    importer only lets admins import mail for every client."""
    from amends.accounts.queries import is_on_team
    from amends.comms.uploads import store_upload, upload_folder
    from amends.core.errors import NotFound
    from amends.watch.actions import enqueue_job

    if client is None and not actor.is_admin:
        raise ValidationError({"client": "Choose one of your clients to import into."})
    if client is not None and not actor.is_admin and not is_on_team(actor, client.pk):
        raise NotFound("client")
    relative = store_upload(uploaded_file)
    payload = {
        "path": relative,
        "client": client.pk if client is not None else None,
        "actor": actor.pk,
        "name": os.path.basename(str(uploaded_file.name or ""))[:200],
    }
    try:
        return enqueue_job(actor, kind="comms.import", payload=payload, client=client)
    except BaseException:
        import shutil

        shutil.rmtree(upload_folder(relative), ignore_errors=True)
        raise
