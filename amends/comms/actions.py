"""Every write about communications."""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from amends.accounts.models import TeamMembership, User
from amends.clients.actions import add_contact, record_timeline
from amends.clients.models import Client, Contact, TimelineEntry, is_public_mail_domain
from amends.comms import automatic, tone
from amends.comms.importing import (
    DEFAULT_MAX_BYTES,
    Elsewhere,
    ParsedMessage,
    Rejected,
    date_from_envelope,
    is_reply_subject,
    open_source,
    parse_message,
    read_item,
    unread,
)
from amends.comms.models import Communication, EmailMessage, MessageReference, RawMessage
from amends.comms.queries import our_domains
from amends.core.errors import ValidationError
from amends.core.models import update_versioned
from amends.search.actions import index_object, index_pending
from amends.search.bulk import Inserter
from amends.search.models import MAX_BODY_CHARS
from amends.watch.models import Job

logger = logging.getLogger("amends.comms")

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


def sync_timeline(comm: Communication) -> None:
    """Bring a communication's own timeline entry up to date with it (its time, kind and
    how it is named: "Email sent automatically: …") after a change written straight to its
    row. Only its own (`comm.<channel>`): the case events it caused ("First response
    sent…") keep their words and time."""
    TimelineEntry.objects.filter(
        subject_type="communication", subject_id=comm.pk, kind__startswith="comm."
    ).update(at=comm.occurred_at, summary=str(comm)[:500], kind=f"comm.{comm.channel}")


@transaction.atomic
def record_communication(
    actor: User | None,
    client: Client,
    *,
    tone_text: str | None = None,
    index: bool = True,
    **fields: Any,
) -> Communication:
    """Record an email, call, meeting or note with the client (R22, R23). The tone of
    one from the client is scored from `tone_text` when given (an email's whole text),
    else from its summary or subject. `index=False`: the caller indexes it for search
    (an email, once linked to it)."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    fields.setdefault("occurred_at", timezone.now())
    comm = Communication(client=client, recorded_by=actor, **fields)
    comm.full_clean()
    _validate_links(client, comm)
    if comm.direction == Communication.Direction.IN:
        comm.tone = tone.score(tone_text or comm.summary or comm.subject)
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
    if index:
        index_object(comm)
    return comm


@transaction.atomic
def update_communication(
    actor: User, comm: Communication, *, version: int | None, **fields: Any
) -> Communication:
    """Edit a communication. A changed direction follows through: its email says the
    same (the message page's notices read it), its tone is scored only while it is from
    the client, a reply no longer one gives back the first-response clock it stopped,
    and its timeline entry is renamed ("Email sent automatically: …")."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    was, was_at = comm.direction, comm.occurred_at
    update_versioned(comm, version, **fields)
    _validate_links(comm.client, comm)
    if comm.direction != was:
        _direction_changed(comm, was, was_at)
    if fields.keys() & {"direction", "channel", "subject", "occurred_at"}:
        sync_timeline(comm)
    _stop_first_response_clocks(comm)
    index_object(comm)
    return comm


def _direction_changed(comm: Communication, was: str, was_at: datetime) -> None:
    """Bring what depends on a communication's direction in line with a new one (`was`,
    when it was `was_at`)."""
    email = EmailMessage.objects.filter(communication_id=comm.pk).first()
    if email is not None:
        EmailMessage.objects.filter(pk=email.pk).update(direction=comm.direction)
    scored: float | None = None
    if comm.direction == Communication.Direction.IN:
        text = email.text_body if email is not None else ""
        scored = tone.score(text or comm.summary or comm.subject)
    if scored != comm.tone:
        comm.tone = scored
        Communication.objects.filter(pk=comm.pk).update(tone=scored)
    if was == Communication.Direction.OUT:
        why = f"recorded as “{comm.get_direction_display().lower()}”"
        _restart_first_response_clocks(comm, why=why, stopped_at=was_at)


# --- Importing email (issue 3) ----------------------------------------------------------

BATCH_SIZE = 500
SUBJECT_THREAD_WINDOW = timedelta(days=30)


def max_message_bytes() -> int:
    """The largest message kept (setting AMENDS_MAX_MESSAGE_BYTES, default 25 MB)."""
    return int(getattr(settings, "AMENDS_MAX_MESSAGE_BYTES", DEFAULT_MAX_BYTES))


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
                # One stored before public providers were refused matches nothing.
                if not is_public_mail_domain(domain):
                    self.domains.setdefault(domain, pk)

    def client_senders(self) -> frozenset[str] | None:
        """The addresses and domains an inbound message must come from to be matched to
        a client (None when the import is for one client: every message is)."""
        if self.forced is not None:
            return None
        return frozenset(self.contacts) | frozenset(self.domains)

    def is_ours(self, address: str) -> bool:
        return address in self.users or address.rsplit("@", 1)[-1] in self.ours

    def match(self, parsed: ParsedMessage) -> Match:
        """Who the message is with. Mail no person wrote is "automatic": a bounce is with
        the client whose address failed (else whom the import is for), an automatic
        reply with whoever sent it."""
        if parsed.automatic == automatic.BOUNCE:
            found = self._failed(parsed.undelivered)
        else:
            found = self.match_addresses(parsed.from_address, [*parsed.to, *parsed.cc, *parsed.bcc])
        if parsed.automatic and found.direction != Communication.Direction.INTERNAL:
            found = Match(found.client_id, found.contact_id, Communication.Direction.AUTO, None)
        return found

    def _failed(self, addresses: list[str]) -> Match:
        """The client of the first failed address outside the firm that is one's."""
        unmatched = Match(
            self.forced.pk if self.forced else None, None, Communication.Direction.AUTO, None
        )
        for address in addresses:
            if self.is_ours(address):
                continue
            found = self.match_addresses(address, [])
            if found.client_id is not None and (found.contact_id or self.forced is None):
                return found
        return unmatched

    def match_addresses(self, sender: str, recipients: list[str]) -> Match:
        """Who a message from `sender` to `recipients` (To, Cc and our copy's Bcc) is with:
        the client of the first contact among the people outside the firm, or failing
        that of their email domain (or the client the import is for)."""
        outbound = bool(sender) and self.is_ours(sender)
        others = [a for a in recipients if not self.is_ours(a)] if outbound else [sender]
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
    meetings: int = 0  # meetings still to come, kept from invitations in the mail
    # Left out as junk: Gmail's Spam label (a Google Takeout, see `marked_spam`), and the
    # messages of junk mail folders found in an export (`is_junk_folder`).
    spam: int = 0
    # Outlook calendar items saved as .msg files: not mail; the calendar import reads them.
    calendar_items: int = 0

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


def _thread_scope(message: EmailMessage) -> Any:
    if message.client_id is None:
        return EmailMessage.objects.filter(client__isnull=True)
    return EmailMessage.objects.filter(client_id=message.client_id)


def _thread(message: EmailMessage, parsed_subject_reply: bool) -> None:
    """Place a message in its thread (within its client), and join to it the threads it
    shows to be the same conversation. Headers first; the subject only when there are
    none. Threads that meet become one, rooted at its earliest message (by date; of two
    sent the same second, one answering none; then by id): the threads and their roots
    come out the same in any import order."""
    scope = _thread_scope(message)
    ancestors = [*message.references, message.in_reply_to]
    joined: list[int] = []  # the threads it belongs to by its own headers or subject
    if any(ancestors):
        # By Message-ID alone (unique), then the client here: a filter on the client too
        # lets SQLite pick the client's index and read every message of the client.
        found = (
            EmailMessage.objects.filter(message_id__in=[a for a in ancestors if a])
            .order_by()
            .values_list("message_id", "thread_root_id", "pk", "client_id")
        )
        known = {
            mid: root or pk for mid, root, pk, client_id in found if client_id == message.client_id
        }
        # Several: the link between them was never imported; they are one conversation.
        joined = [known[a] for a in dict.fromkeys(ancestors) if a in known]
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
            joined = [earlier[0] or earlier[1]]
    # A thread's root is its earliest message: this one, if it is earlier than the
    # roots of the threads it joins (a reply dated before its original).
    roots = {*joined, message.pk}
    if message.message_id:
        # Replies imported before this message: their threads join this one.
        # (By the reference alone, then the client here, as for the ancestors above.)
        roots |= {
            root
            for root, client_id in EmailMessage.objects.filter(refs__ref=message.message_id)
            .order_by()
            .values_list("thread_root_id", "client_id")
            if client_id == message.client_id and root is not None
        }
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
        roots |= {pk for pk, subject in later if is_reply_subject(subject)}
    if len(roots) > 1:
        # The earliest; of two sent the same second, one that answers none (`_Threads._age`).
        # Only the client's own: a message placed from triage leaves the replies that
        # waited with it naming it as their root until they are threaded again here.
        dated = scope.filter(pk__in=roots).order_by()
        ages = [
            (at, bool(answers), pk)
            for at, answers, pk in dated.values_list("occurred_at", "in_reply_to", "pk")
        ]
        root_id = min(ages, default=(None, False, message.pk))[2]
    else:
        (root_id,) = roots
    EmailMessage.objects.filter(pk=message.pk).update(thread_root_id=root_id)
    message.thread_root_id = root_id
    others = roots - {root_id, message.pk}  # no row but itself has it for its root yet
    if others:
        scope.filter(thread_root_id__in=others).update(thread_root_id=root_id)


def rethread(message: EmailMessage) -> None:
    """Place a stored message in its thread again, after its headers changed (a bounce
    given the Message-ID of the email it returns): it joins the threads they name, as
    `_thread` joins a new message's; the rows that had it for their root go with it."""
    was_root = message.thread_root_id in (None, message.pk)
    _thread(message, is_reply_subject(message.subject))
    if was_root and message.thread_root_id != message.pk:
        _thread_scope(message).filter(thread_root_id=message.pk).update(
            thread_root_id=message.thread_root_id
        )


@dataclass
class _Node:
    """One message as threading sees it; `root` is its stored thread root, to be read
    through `_Threads.current` (thread joins are recorded, not yet written)."""

    pk: int
    client_id: int | None
    root: int | None
    occurred_at: Any
    subject: str
    headerless: bool


class _Threads:
    """`_thread` for a whole batch, in memory: the same rules, in the same order, as
    threading each message right after storing it, with a few queries per batch.

    The rows a message's threading could read are loaded up front (its ancestors, the
    earlier replies pointing at it, the messages with its subject); the batch's own
    messages join those indexes one by one as they are threaded, exactly as if each had
    just been stored. Two threads that meet become one whose root is the earlier of
    theirs (`join`), so a thread's root is its earliest message; the change is recorded
    in `moved` (old root → new root, within a client) and written at the end with one
    UPDATE per new root."""

    def __init__(self, messages: list[_NewEmail], reply_subjects: list[bool]) -> None:
        self.moved: dict[tuple[int | None, int], int] = {}
        self.by_mid: dict[str, _Node] = {}
        self.referring: dict[str, list[_Node]] = {}
        self.by_subject: dict[tuple[int | None, str], list[_Node]] = {}
        batch_pks = {m.pk for m in messages}
        ancestors = {a for m in messages for a in [*m.references, m.in_reply_to] if a}
        mids = {m.message_id for m in messages if m.message_id}
        fields = ("pk", "client_id", "thread_root_id", "occurred_at", "subject", "in_reply_to")
        loaded: dict[int, _Node] = {}
        replies: dict[int, bool] = {}  # whether a loaded row answers another (In-Reply-To)

        def node(row: tuple[Any, ...], headerless: bool | None = None) -> _Node:
            pk, client_id, root, occurred_at, subject, in_reply_to = row
            replies[pk] = bool(in_reply_to)
            if pk not in loaded:
                loaded[pk] = _Node(
                    pk, client_id, root, _db_datetime(occurred_at), subject, bool(headerless)
                )
            return loaded[pk]

        # The two lookups every batch makes are plain SQL: built by the ORM, their
        # hundreds of parameters cost more to prepare than the queries to run. The
        # batch's own rows are left out here rather than by a NOT IN in the query.
        table = connection.ops.quote_name(EmailMessage._meta.db_table)
        refs_table = connection.ops.quote_name(MessageReference._meta.db_table)
        columns = "m.id, m.client_id, m.thread_root_id, m.occurred_at, m.subject, m.in_reply_to"
        with connection.cursor() as cursor:
            ancestor_sql = f"SELECT m.message_id, {columns} FROM {table} m WHERE m.message_id"  # noqa: S608
            for row in _rows_in(cursor, ancestor_sql, sorted(ancestors)):
                if row[1] not in batch_pks:
                    self.by_mid[row[0]] = node(row[1:])
            referring_sql = (
                f"SELECT r.ref, {columns} FROM {refs_table} r"  # noqa: S608
                f" JOIN {table} m ON m.id = r.message_id WHERE r.ref"
            )
            for row in _rows_in(cursor, referring_sql, sorted(mids)):
                if row[1] not in batch_pks:
                    self.referring.setdefault(row[0], []).append(node(row[1:]))
        old = EmailMessage.objects.order_by()  # no sort needed
        # Subject fallback (rare: header-less replies) reads the messages of the same
        # client and subject up to a window before each such reply; adopting header-less
        # replies reads only the header-less ones with a reply subject.
        needy: dict[tuple[int | None, str], list[Any]] = {}
        for m, reply in zip(messages, reply_subjects, strict=True):
            if reply and m.normalised_subject and not m.in_reply_to and not m.references:
                needy.setdefault((m.client_id, m.normalised_subject), []).append(m.occurred_at)
        pairs: dict[tuple[int | None, str], list[Any]] = {}
        for m in messages:
            if m.normalised_subject:
                pairs.setdefault((m.client_id, m.normalised_subject), []).append(m.occurred_at)
        seen: set[tuple[tuple[int | None, str], int]] = set()

        def add_subject_row(row: tuple[Any, ...]) -> _Node:
            n = node(row[1:])
            key = (n.client_id, row[0])
            if (key, n.pk) not in seen:
                seen.add((key, n.pk))
                self.by_subject.setdefault(key, []).append(n)
            return n

        # Each query is an OR of (client, subject) pairs, written as SQL: building it as
        # Q objects cost more than running it.
        bounded = [
            (client_id, subject, min(at) - SUBJECT_THREAD_WINDOW, max(at))
            for (client_id, subject), at in needy.items()
        ]
        for chunk in _chunks(sorted(bounded, key=repr), 100):
            same = old.extra(where=[_pairs_sql(chunk)], params=_pairs_params(chunk))  # noqa: S610
            for row in same.values_list("normalised_subject", *fields):
                if row[1] not in batch_pks:
                    add_subject_row(row)
        later = [
            (client_id, subject, min(at), max(at) + SUBJECT_THREAD_WINDOW)
            for (client_id, subject), at in pairs.items()
        ]
        with connection.cursor() as cursor:
            for pair_chunk in _chunks(sorted(later, key=repr), 100):
                sql, params = _headerless_replies_sql(pair_chunk)
                cursor.execute(sql, params)
                for *row, references in cursor.fetchall():
                    if row[1] not in batch_pks and not _json_list(references):
                        add_subject_row(tuple(row)).headerless = True
        # When each thread met here began (its root's date): when two meet, the earlier
        # root stays, as `_thread` decides.
        # (client, date, answers another) of each root met; `_age` ranks a root outside
        # the joining client's scope last, as `_thread` ignores it.
        self.when: dict[int, tuple[int | None, Any, bool]] = {
            pk: (n.client_id, n.occurred_at, replies[pk]) for pk, n in loaded.items()
        }
        roots = {n.root for n in loaded.values() if n.root is not None}
        missing = sorted(roots - self.when.keys() - batch_pks)
        for chunk in _chunks(missing, 500):
            dated = old.filter(pk__in=chunk).values_list(
                "pk", "client_id", "occurred_at", "in_reply_to"
            )
            for pk, client_id, occurred_at, in_reply_to in dated:
                self.when[pk] = (client_id, occurred_at, bool(in_reply_to))

    def current(self, client_id: int | None, root: int | None) -> int | None:
        """The thread root a row stored with `root` has now."""
        for _ in range(10_000):
            if root is None or (client_id, root) not in self.moved:
                return root
            root = self.moved[(client_id, root)]
        return root

    def join(self, client_id: int | None, a: int, b: int) -> int:
        """Make the threads with (current) roots `a` and `b` one; returns its root: the
        earlier of the two (by date, then id)."""
        if a == b:
            return a
        keep, lose = sorted((a, b), key=lambda root: self._age(client_id, root))
        self.moved[(client_id, lose)] = keep
        return keep

    def _age(self, client_id: int | None, root: int) -> tuple[Any, ...]:
        """Earlier first: by date, then a message that answers none before one that
        answers another (two sent the same second), then by id — `_thread`'s order."""
        known = self.when.get(root)
        if known is None or known[0] != client_id:
            return (1, root)
        return (0, *known[1:], root)

    def add(self, message: _NewEmail, reply_subject: bool) -> None:
        """Thread `message` (just stored) as `_thread` would."""
        client_id = message.client_id
        refs = {r for r in [*message.references, message.in_reply_to] if r}
        me = _Node(
            message.pk,
            client_id,
            None,
            message.occurred_at,
            message.subject,
            not message.in_reply_to and not refs,
        )
        if message.message_id:
            self.by_mid[message.message_id] = me
        for ref in refs:
            self.referring.setdefault(ref, []).append(me)
        key = (client_id, message.normalised_subject)
        if message.normalised_subject:
            self.by_subject.setdefault(key, []).append(me)
        ancestors = [*message.references, message.in_reply_to]
        self.when[message.pk] = (client_id, message.occurred_at, bool(message.in_reply_to))
        joined: list[int] = []  # the threads it belongs to by its own headers or subject
        if any(ancestors):
            for ancestor in dict.fromkeys(ancestors):  # References run oldest first
                known = self.by_mid.get(ancestor) if ancestor else None
                if known is not None and known.client_id == client_id:
                    joined.append(self.current(client_id, known.root) or known.pk)
        elif reply_subject and message.normalised_subject:
            start = message.occurred_at - SUBJECT_THREAD_WINDOW
            earlier = [
                n
                for n in self.by_subject.get(key, [])
                if n is not me and start <= n.occurred_at <= message.occurred_at
            ]
            if earlier:
                latest = max(earlier, key=lambda n: (n.occurred_at, n.pk))
                joined = [self.current(client_id, latest.root) or latest.pk]
        root_id = message.pk  # the root of a thread is its earliest message
        for other in joined:  # several: one conversation now
            root_id = self.join(client_id, root_id, other)
        me.root = root_id
        message.thread_root_id = root_id  # settled at the end: it may join another
        if message.message_id:
            # Replies stored before this message: their threads join this one.
            for n in self.referring.get(message.message_id, []):
                if n.client_id == client_id:
                    orphan_root = self.current(client_id, n.root)
                    if orphan_root is not None:
                        root_id = self.join(client_id, root_id, orphan_root)
        if message.normalised_subject:
            # Header-less replies stored before it, later in time, join its thread.
            end = message.occurred_at + SUBJECT_THREAD_WINDOW
            for n in self.by_subject.get(key, []):
                if (
                    n is not me
                    and n.headerless
                    and message.occurred_at <= n.occurred_at <= end
                    and self.current(client_id, n.root) == n.pk
                    and is_reply_subject(n.subject)
                ):
                    root_id = self.join(client_id, root_id, n.pk)

    def settle(self, messages: list[_NewEmail]) -> None:
        """Each of the batch's messages with its thread root as it stands now that the
        whole batch is threaded (a thread it started may have joined another since)."""
        for message in messages:
            message.thread_root_id = self.current(message.client_id, message.thread_root_id)

    def write_moves(self) -> None:
        """Move the rows stored before this batch whose threads joined others (the
        batch's own rows are written with their settled roots)."""
        # Threads that joined others: per client, one UPDATE for each 300 old roots.
        targets: dict[int | None, list[tuple[int, int]]] = {}
        for client_id, old in self.moved:
            new = self.current(client_id, old)
            if new is not None:
                targets.setdefault(client_id, []).append((old, new))
        table = connection.ops.quote_name(EmailMessage._meta.db_table)
        with connection.cursor() as cursor:
            for client_id, moves in targets.items():
                # "+client_id": the thread_root index finds the rows; an index starting
                # with client_id would read every message of the client.
                scope = "+client_id IS NULL" if client_id is None else "+client_id = %s"
                for chunk in _chunks(sorted(moves), 300):
                    cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(
                        f"UPDATE {table} SET thread_root_id = CASE thread_root_id {cases} END"  # noqa: S608
                        f" WHERE {scope} AND thread_root_id IN ({marks})",
                        [v for move in chunk for v in move]
                        + ([] if client_id is None else [client_id])
                        + [old for old, _ in chunk],
                    )


def _db_datetime(value: Any) -> Any:
    """A datetime read by plain SQL, as the ORM would give it (aware; SQLite's driver
    gives a naive one)."""
    if value is None or (isinstance(value, datetime) and timezone.is_aware(value)):
        return value
    convert = connection.ops.convert_datetimefield_value  # type: ignore[attr-defined]
    return convert(value, None, connection)


# The partial index `email_headerless_reply`'s condition, written as each engine's
# planner must see it to use that index (literals, not parameters; "%%" is a "%").
_HEADERLESS_REPLY_SQL = {
    "sqlite": (
        "m.in_reply_to = '' AND (m.subject LIKE '%%:%%' ESCAPE '\\'"
        " OR m.subject LIKE '%%：%%' ESCAPE '\\')"
    ),
    "postgresql": (
        "m.in_reply_to = '' AND (m.subject::text LIKE '%%:%%' OR m.subject::text LIKE '%%：%%')"
    ),
}


def _headerless_replies_sql(pairs: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """The messages threading may adopt by subject (header-less, a reply subject, still
    their own thread) among these (client, subject, earliest, latest): found through
    the small partial index `email_headerless_reply`."""
    table = connection.ops.quote_name(EmailMessage._meta.db_table)
    where = _pairs_sql(pairs, alias="m")
    sql = (
        "SELECT m.normalised_subject, m.id, m.client_id, m.thread_root_id, m.occurred_at,"  # noqa: S608
        f' m.subject, m.in_reply_to, m."references" FROM {table} m WHERE {where}'
        f" AND {_HEADERLESS_REPLY_SQL[connection.vendor]} AND m.thread_root_id = m.id"
    )
    return sql, _pairs_params(pairs)


def _json_list(value: Any) -> list[Any]:
    """A JSON list column read by plain SQL (text on SQLite, decoded on PostgreSQL)."""
    if isinstance(value, str):
        import json

        value = json.loads(value)
    return value if isinstance(value, list) else []


def _pairs_sql(pairs: list[tuple[Any, ...]], alias: str = "") -> str:
    """A WHERE clause for rows of any of these (client, normalised subject) pairs, each
    optionally followed by the earliest and latest time wanted: only placeholders and
    column names, never values."""
    table = alias or connection.ops.quote_name(EmailMessage._meta.db_table)
    terms = []
    for pair in pairs:
        term = f"{table}.client_id IS NULL" if pair[0] is None else f"{table}.client_id = %s"
        term += f" AND {table}.normalised_subject = %s"
        if len(pair) > 2:
            term += f" AND {table}.occurred_at >= %s AND {table}.occurred_at <= %s"
        terms.append(f"({term})")
    return "(" + " OR ".join(terms) + ")"


def _pairs_params(pairs: list[tuple[Any, ...]]) -> list[Any]:
    params: list[Any] = []
    adapt = connection.ops.adapt_datetimefield_value
    for client_id, subject, *bounds in pairs:
        params.extend([subject] if client_id is None else [client_id, subject])
        params.extend(adapt(at) for at in bounds)
    return params


def _rows_in(
    cursor: Any, sql: str, values: list[Any], params: Sequence[Any] = ()
) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` (ending in the column to match; `params` for its own
    placeholders) "IN" each chunk of `values`: placeholders only, never values, in the
    SQL. On PostgreSQL one array parameter (`= ANY`): psycopg quotes the values into the
    SQL on the client, and a statement of 500 placeholders cost it three times what one
    array does."""
    postgresql = connection.vendor == "postgresql"
    for chunk in _chunks(values):
        if postgresql:
            cursor.execute(f"{sql} = ANY(%s)", [*params, chunk])
        else:
            cursor.execute(f"{sql} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])
        yield from cursor.fetchall()


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _thread_batch(messages: list[_NewEmail], reply_subjects: list[bool]) -> _Threads:
    """Thread a batch of messages about to be stored, with their reserved ids (see
    `_Threads`): each gets its `thread_root_id`, to be written with it; the rows stored
    before whose threads joined others are moved by `write_moves` once it is."""
    threads = _Threads(messages, reply_subjects)
    for message, is_reply in zip(messages, reply_subjects, strict=True):
        threads.add(message, is_reply)
    threads.settle(messages)
    return threads


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
        tone_text=message.text_body,
        index=False,
    )
    EmailMessage.objects.filter(pk=message.pk).update(communication=comm)
    message.communication = comm
    index_object(comm)  # now that its email is linked: the text, as search reads it
    if message.message_id:  # replies stored before it: their quote of it is indexed here
        from amends.search.actions import drop_indexed_quotes

        earlier = EmailMessage.objects.filter(
            refs__ref=message.message_id, client=message.client
        ).exclude(pk=message.pk)
        drop_indexed_quotes(list(earlier.values_list("pk", flat=True)))
    return comm


def _email_fields(
    actor: User | None, parsed: ParsedMessage, match: Match, *, source: str, now: datetime
) -> dict[str, Any]:
    """What an `EmailMessage` keeps of a parsed email (one at a time or in bulk)."""
    return {
        "client_id": match.client_id,
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "from_name": parsed.from_name,
        "from_address": parsed.from_address,
        "to_addresses": parsed.to,
        "cc_addresses": parsed.cc,
        "bcc_addresses": parsed.bcc,
        "subject": parsed.subject,
        "normalised_subject": parsed.normalised_subject,
        "sent_at": parsed.date,
        "occurred_at": parsed.date or now,
        "direction": match.direction,
        "text_body": parsed.text,
        "attachments": [vars(a) for a in parsed.attachments],
        "problems": parsed.problems,
        "automatic": parsed.automatic,
        "undelivered": parsed.undelivered,
        "source": source[:1000],
        "imported_by_id": actor.pk if actor is not None else None,
    }


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
        raw=raw, **_email_fields(actor, parsed, match, source=source, now=now)
    )
    refs = {r for r in [*parsed.references, parsed.in_reply_to] if r}
    MessageReference.objects.bulk_create(MessageReference(message=message, ref=r) for r in refs)
    _thread(message, parsed.is_reply_by_subject)
    if message.client_id is not None:
        _record_email_communication(actor, message, match.contact_id, match.person_id)
    _invitations(actor, [(source or "an email", parsed)], matcher)
    note_returned(_returned_ids([parsed], matcher), matcher)
    return message


def _returned_ids(batch: Iterable[ParsedMessage], matcher: Matcher) -> set[str]:
    """The Message-IDs a batch may settle the delivery of: those its bounces return, and
    its own emails from us (a bounce of one may have come first)."""
    return {
        parsed.in_reply_to if parsed.automatic == automatic.BOUNCE else parsed.message_id
        for parsed in batch
        if parsed.automatic == automatic.BOUNCE or matcher.is_ours(parsed.from_address)
    } - {""}


def note_returned(message_ids: Iterable[str], matcher: Matcher) -> int:
    """Mark as undelivered each email of ours among `message_ids` that delivery failures
    (`comms.automatic`) returned from every one of its recipients outside the firm: the
    client never read it, so it is no reply — their message waits again, and the reply
    clocks leave it out. One returned from only some recipients still reached the others.
    Called with a batch's own emails and the emails its bounces return, so either may be
    imported first. Answers how many were marked."""
    ids = sorted(set(message_ids) - {""})
    failed: dict[str, set[str]] = defaultdict(set)
    refs = connection.ops.quote_name(MessageReference._meta.db_table)
    emails = connection.ops.quote_name(EmailMessage._meta.db_table)
    bounces = (
        f"SELECT r.ref, m.undelivered FROM {refs} r JOIN {emails} m ON m.id = r.message_id"  # noqa: S608
        " WHERE m.automatic = %s AND r.ref"
    )
    with connection.cursor() as cursor:
        for ref, addresses in _rows_in(cursor, bounces, ids, [automatic.BOUNCE]):
            failed[ref].update(str(a).casefold() for a in _json_list(addresses))
    if not failed:
        return 0
    marked = 0
    sent = EmailMessage.objects.filter(
        message_id__in=list(failed), communication__isnull=False
    ).exclude(direction=Communication.Direction.IN)
    for comm_id, message_id, to, cc, bcc in sent.values_list(
        "communication_id", "message_id", "to_addresses", "cc_addresses", "bcc_addresses"
    ):
        outside = {str(a).casefold() for a in [*to, *cc, *bcc] if not matcher.is_ours(str(a))}
        if not outside or not outside <= failed[message_id]:
            continue
        if Communication.objects.filter(pk=comm_id, undelivered=False).update(
            undelivered=True, version=F("version") + 1
        ):
            marked += 1
            _restart_first_response_clocks(Communication.objects.get(pk=comm_id))
    return marked


def _restart_first_response_clocks(
    comm: Communication,
    why: str = "returned by mail servers",
    stopped_at: datetime | None = None,
) -> None:
    """The cases whose first-response clock this reply stopped (at `stopped_at`, by
    default when it occurred), now known to be no reply (`why`: returned, or edited into
    something else): their clock is stopped by the next reply that did arrive, or runs
    again."""
    from amends.cases.lifecycle import first_reply
    from amends.cases.models import Case

    cases = Case.objects.filter(
        client_id=comm.client_id, first_response_at=stopped_at or comm.occurred_at
    ).exclude(status__in=Case.CLOSED)
    if comm.case_id:
        cases = cases.filter(pk=comm.case_id)
    for case in cases:
        following = first_reply(case)
        update_versioned(case, None, first_response_at=following.occurred_at if following else None)
        record_timeline(
            client=case.client,
            case=case,
            actor=None,
            kind="case.first_response",
            at=comm.occurred_at,
            summary=(
                f"The first response was {why}: the next reply stops the first-response clock"
                if following
                else f"The first response was {why}: the first-response clock runs again"
            ),
            subject=comm,
        )


def _check_may_import(actor: User | None, client: Client | None) -> None:
    if actor is None or actor.is_admin:
        return
    if client is None or not TeamMembership.objects.filter(user=actor, client=client).exists():
        raise PermissionDenied("Only an admin can import mail for every client; name your client.")


# A batch is committed when it holds this many messages or this many bytes of raw mail,
# whichever comes first: memory stays bounded however large the mailbox. Typical mail
# (6 KB a message) fills BATCH_SIZE first; mail that is all text (whose parse is as large
# as the mail) reaches this, and with 32 MB batches such an import peaked at 350 MB on
# SQLite and 402 MB on PostgreSQL (bench.mail's text-heavy mailbox); with 4 MB, and
# parsing chunks of at most 512 KB, 172 and 194 MB.
BATCH_BYTES = 4 * 1024 * 1024


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
    Raises `importing.SourceError` when the path cannot be read at all.

    Messages are parsed one by one (a stream: memory stays bounded), then each batch is
    written with a handful of bulk statements in one transaction (see `_store_batch`)."""
    _check_may_import(actor, client)
    limit = max_message_bytes()
    source = open_source(path, max_bytes=limit)
    summary = ImportSummary(source=os.fsdecode(source.path), kind=source.kind, total=source.total)
    matcher = Matcher(client)
    batch_size = max(1, int(batch_size))
    batch: list[tuple[str, ParsedMessage]] = []
    held = 0
    workers = import_workers(source.total)
    index_pending()  # what an earlier import, cut short, left unindexed
    indexer = _BackgroundIndexer.for_import(source.total)
    earlier: list[int] = []  # replies stored before the message they answer came
    statistics = _PlannerStatistics.for_import(source.total)
    with _bulk_write_settings(source.total), _finishing(indexer):
        for item, parsed in _parsed_items(source.items, limit, matcher, workers):
            summary.seen += 1
            if item.junk is not None:  # a junk mail folder, left out whole
                summary.spam += item.junk
            elif isinstance(parsed, Elsewhere):
                summary.calendar_items += 1
            elif isinstance(parsed, Rejected):
                summary.rejected.append((item.label, parsed.reason))
            elif parsed.spam:  # junk, as Gmail filed it: not part of the record
                summary.spam += 1
            else:
                date_from_envelope(parsed, item.envelope)
                batch.append((item.label, parsed))
                held += parsed.size
            if progress is not None:
                progress(summary)
            if len(batch) >= batch_size or held >= BATCH_BYTES:
                _store_batch(actor, batch, matcher, summary, indexer, earlier)
                batch, held = [], 0
                if statistics is not None:
                    statistics.after(summary.imported)
        if batch:
            _store_batch(actor, batch, matcher, summary, indexer, earlier)
    if earlier:  # once every batch is indexed: no indexer can write their old documents
        from amends.search.actions import drop_indexed_quotes

        drop_indexed_quotes(earlier)
    return summary


class _PlannerStatistics:
    """PostgreSQL's planner statistics for the tables an import looks up as it goes,
    renewed each time the import has doubled what they were taken on.

    Each batch looks up its Message-IDs, hashes and references among the rows stored
    before. The planner picks an index only when it knows the table is large; a new
    database's statistics say it is empty until autovacuum next looks (up to a minute,
    and more on a busy server), so every lookup read the whole table: the import slowed
    as it went, quadratically. ANALYZE samples a bounded number of rows, and here reads
    only the columns looked up; it runs ~log2(n) times in an import of n messages."""

    COLUMNS = {
        EmailMessage: ["message_id", "client_id", "normalised_subject", "thread_root_id"],
        MessageReference: ["ref", "message_id"],
        RawMessage: ["sha256"],
    }

    def __init__(self, known: int) -> None:
        self.known = known

    @classmethod
    def for_import(cls, total: int | None) -> _PlannerStatistics | None:
        if connection.vendor != "postgresql" or total is None or total < POOL_MIN_MESSAGES:
            return None
        return cls(cls._rows_known())

    @staticmethod
    def _rows_known() -> int:
        """How many emails the planner thinks there are (0 before any ANALYZE)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [EmailMessage._meta.db_table],
            )
            row = cursor.fetchone()
        return max(0, int(row[0])) if row else 0

    def after(self, imported: int) -> None:
        """Called after each stored batch with the count imported so far."""
        if imported <= self.known:
            return
        with connection.cursor() as cursor:
            for model, columns in self.COLUMNS.items():
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                cursor.execute(
                    f"ANALYZE {connection.ops.quote_name(model._meta.db_table)} ({quoted})"
                )
        self.known = max(2 * imported, self._rows_known())


# On PostgreSQL, an import of at least POOL_MIN_MESSAGES has its stored batches indexed
# for search by other connections (threads of this process), while this one stores the
# next batch: the server's work is split across several of its processes, so across the
# cores. The search index takes about 60% of the server's time during an import
# (docs/benchmarks.md). SQLite has one writer at a time, so it indexes in line.
BACKGROUND_INDEX_MIN_MESSAGES = 500  # as POOL_MIN_MESSAGES
# Indexing connections. One was the import's bottleneck on two cores: its server process
# worked the whole time while the others waited for it. Two made the import 5-21% faster
# in alternating runs (docs/benchmarks.md); three were no faster there.
INDEX_THREADS = 2
# Stored batches waiting for an indexer, at most: the importer waits beyond that, so
# memory stays bounded (a batch's texts, at most BATCH_BYTES of mail, are held until
# indexed). More did not make the import faster.
INDEX_QUEUE_BATCHES = 2


# A committed batch to index: its communications, their emails' texts, and where to
# stop indexing those (see `indexed_quote`).
_IndexWork = tuple[list["_NewComm"], dict[int, str], dict[int, tuple[int, int]]]


class _BackgroundIndexer:
    """Indexes the batches an import has committed, in INDEX_THREADS threads of its
    own, each with its own connection, each batch whole in one of them.

    Each batch's communications are listed in `PendingIndex` in the batch's own
    transaction and struck off in the indexer's, so nothing is lost if either stops
    half-way: `finish` indexes what is left (when the indexer failed), and so do the next
    import and the worker (when the process was killed)."""

    def __init__(self) -> None:
        self.queue: queue.Queue[_IndexWork | None] = queue.Queue(INDEX_QUEUE_BATCHES)
        self.failed: Exception | None = None
        self.threads = [
            threading.Thread(target=self._run, name=f"amends-import-indexer-{i}", daemon=True)
            for i in range(INDEX_THREADS)
        ]
        for thread in self.threads:
            thread.start()

    @classmethod
    def for_import(cls, total: int | None) -> _BackgroundIndexer | None:
        """An indexer for an import of `total` messages, or None to index in line: on
        SQLite, for small imports, and inside a transaction (a second connection could
        not see the batches before it commits)."""
        if (
            connection.vendor != "postgresql"
            or connection.in_atomic_block
            or total is None
            or total < BACKGROUND_INDEX_MIN_MESSAGES
        ):
            return None
        return cls()

    def after_commit(
        self,
        comms: list[_NewComm],
        email_bodies: dict[int, str],
        quotes: dict[int, tuple[int, int]],
    ) -> None:
        """Queue a batch for indexing once the transaction storing it has committed
        (not at all if it rolls back: the batch is then stored again one at a time,
        indexed in line)."""
        transaction.on_commit(lambda: self._put((comms, email_bodies, quotes)))

    def _put(self, work: _IndexWork | None) -> None:
        """Hand work to the threads; never blocks for good, never raises: should they
        all be gone, the batches stay listed and `finish` indexes them."""
        while any(thread.is_alive() for thread in self.threads):
            try:
                self.queue.put(work, timeout=1)
                return
            except queue.Full:
                continue
        if self.failed is None:
            self.failed = RuntimeError("the indexing threads stopped")

    def _run(self) -> None:
        from amends.search.actions import index_deferred

        try:
            while (work := self.queue.get()) is not None:
                if self.failed is not None:
                    continue  # keep taking batches so the importer never blocks
                try:
                    index_deferred(*work)
                except Exception as exc:
                    self.failed = exc
                    logger.exception("Indexing imported mail failed; it is done at the end.")
        finally:
            connection.close()  # this thread's own connection

    def finish(self, completed: bool) -> None:
        """Wait for the queued batches. After a complete import, index here whatever the
        threads could not, so the import returns with everything findable."""
        for _ in self.threads:
            self._put(None)
        for thread in self.threads:
            thread.join()
        if completed and self.failed is not None:
            index_pending()


@contextmanager
def _finishing(indexer: _BackgroundIndexer | None) -> Iterator[None]:
    if indexer is None:
        yield
        return
    completed = False
    try:
        yield
        completed = True
    finally:
        indexer.finish(completed)


# SQLite, during an import of at least POOL_MIN_MESSAGES: a page cache big enough for
# the indexes being written (with the default 2 MB, pages are spilled to the WAL and
# written again within one batch) and fewer, larger checkpoints (a page changed by many
# batches is copied into the database once). Both are this connection's only, and put
# back afterwards. With batches of 500 (not 200), measured on 20,000 messages: 39% fewer
# page writes and 67% fewer reads (system calls the writing process makes); a cache of
# 32 or 64 MB saved no more, and cost 17 or 49 MB of peak memory. A checkpoint every
# 40 MB of WAL (10,000 pages of 4 KB, 2,500 of the 16 KB new databases have) did better
# than every 160 MB.
IMPORT_CACHE_KIB = 16 * 1024
IMPORT_CHECKPOINT_BYTES = 40 * 1024 * 1024


@contextmanager
def _bulk_write_settings(total: int | None) -> Iterator[None]:
    if connection.vendor != "sqlite" or total is None or total < POOL_MIN_MESSAGES:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint")
        checkpoint = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        pages = max(1000, IMPORT_CHECKPOINT_BYTES // max(512, int(cursor.fetchone()[0])))
        cursor.execute(f"PRAGMA cache_size = {-int(IMPORT_CACHE_KIB)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {checkpoint}")


# Parsing (and scoring the tone of inbound mail) runs in worker processes for imports of
# at least POOL_MIN_MESSAGES, while this process writes. AMENDS_IMPORT_WORKERS (setting
# or environment) sets how many; 0 parses here.
POOL_MIN_MESSAGES = 500
POOL_CHUNK = 32
POOL_CHUNK_BYTES = 512 * 1024
# Chunks parsed ahead per worker: enough that the workers stay busy while this process
# writes a batch (BATCH_SIZE messages), few enough that memory stays bounded.
POOL_AHEAD = 8


def import_workers(total: int | None) -> int:
    """How many parsing processes an import of `total` messages uses (0: none)."""
    configured = getattr(settings, "AMENDS_IMPORT_WORKERS", None)
    if configured is None:
        configured = os.environ.get("AMENDS_IMPORT_WORKERS", "")
    try:
        wanted = int(configured) if str(configured).strip() else min(os.cpu_count() or 1, 4)
    except ValueError:
        wanted = 0
    if wanted < 1 or (os.cpu_count() or 1) < 2 or total is None or total < POOL_MIN_MESSAGES:
        return 0
    return wanted


def _parse_here(item: Any, limit: int) -> ParsedMessage | Rejected:
    item = read_item(item, limit)
    if item.data is None:
        return unread(item)
    return parse_message(item.data, max_bytes=limit)


def _parsed_items(
    items: Any, limit: int, matcher: Matcher, workers: int
) -> Iterator[tuple[Any, ParsedMessage | Rejected]]:
    """Each source item with its parse, in order. With workers, a bounded window of
    chunks is parsed ahead in other processes (memory stays bounded: the source is read
    only as fast as it is written)."""
    if workers < 1:
        for item in items:
            yield item, _parse_here(item, limit)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    from amends.comms.importing import init_worker, parse_in_worker

    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=init_worker,
        initargs=(frozenset(matcher.users), frozenset(matcher.ours), matcher.client_senders()),
    )
    window: deque[tuple[list[Any], Future[list[ParsedMessage | Rejected]]]] = deque()

    def parsed_there(item: Any) -> bool:
        return item.data is not None or bool(item.path)

    def submit(chunk: list[Any]) -> None:
        work = [(item.data, item.path, limit) for item in chunk if parsed_there(item)]
        window.append((chunk, pool.submit(parse_in_worker, work)))

    def finish() -> Iterator[tuple[Any, ParsedMessage | Rejected]]:
        chunk, future = window.popleft()
        try:
            results = iter(future.result())
        except Exception:  # a worker died: parse this chunk here
            results = iter([_parse_here(i, limit) for i in chunk if parsed_there(i)])
        for item in chunk:
            if not parsed_there(item):
                yield item, unread(item)
                continue
            parsed = next(results)
            if isinstance(parsed, ParsedMessage) and item.data is not None:
                parsed.raw = item.data  # else read (and sent back) by the worker
            yield item, parsed

    try:
        chunk: list[Any] = []
        size = 0
        for item in items:
            chunk.append(item)
            size += item.size if item.path else len(item.data or b"")
            if len(chunk) >= POOL_CHUNK or size >= POOL_CHUNK_BYTES:
                submit(chunk)
                chunk, size = [], 0
                while len(window) > POOL_AHEAD * workers:
                    yield from finish()
        if chunk:
            submit(chunk)
        while window:
            yield from finish()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _parse_item(item: Any, summary: ImportSummary, limit: int) -> ParsedMessage | None:
    parsed = _parse_here(item, limit)
    if isinstance(parsed, Rejected):
        summary.rejected.append((item.label, parsed.reason))
        return None
    return parsed


def _import_item(
    actor: User | None, item: Any, matcher: Matcher, summary: ImportSummary, limit: int
) -> None:
    """Import one source item on its own (the path a batch falls back to)."""
    parsed = _parse_item(item, summary, limit)
    if parsed is not None:
        _store_one(actor, item.label, parsed, matcher, summary)


def _store_one(
    actor: User | None,
    label: str,
    parsed: ParsedMessage,
    matcher: Matcher,
    summary: ImportSummary,
) -> None:
    try:
        with transaction.atomic():
            message = store_parsed_message(actor, parsed, matcher=matcher, source=label)
    except IntegrityError:
        message = None  # a concurrent import stored it first
    except Exception as exc:  # a bad message never stops the batch
        summary.rejected.append((label, f"could not be stored: {type(exc).__name__}: {exc}"))
        return
    if message is None:
        summary.duplicates += 1
        return
    summary.imported += 1
    summary.problems += bool(parsed.problems)
    if message.client_id is None:
        summary.unmatched += 1


def _store_batch(
    actor: User | None,
    batch: list[tuple[str, ParsedMessage]],
    matcher: Matcher,
    summary: ImportSummary,
    indexer: _BackgroundIndexer | None = None,
    earlier: list[int] | None = None,
) -> None:
    """Store a batch in one transaction with bulk statements; if anything in it fails (a
    concurrent import, a message the database refuses), store it again one message at a
    time, so only the bad message is rejected. The ids of replies stored before the
    batch to one of its messages are added to `earlier`."""
    counts = ImportSummary()
    found: list[int] = []
    try:
        with transaction.atomic():
            _bulk_store(actor, batch, matcher, counts, indexer, found)
    except Exception:
        with transaction.atomic():
            for label, parsed in batch:
                _store_one(actor, label, parsed, matcher, summary)
        return
    summary.imported += counts.imported
    summary.duplicates += counts.duplicates
    summary.unmatched += counts.unmatched
    summary.problems += counts.problems
    summary.meetings += _invitations(actor, batch, matcher)
    note_returned(_returned_ids((parsed for _, parsed in batch), matcher), matcher)
    if earlier is not None:
        earlier += found


def _invitations(
    actor: User | None, batch: list[tuple[str, ParsedMessage]], matcher: Matcher
) -> int:
    """Keep the meetings still to come from the batch's meeting invitations (rare: most
    batches have none, and cost nothing here)."""
    found = [(parsed.invitation, label) for label, parsed in batch if parsed.invitation]
    if not found:
        return 0
    from amends.comms.meeting_actions import meetings_from_invitations

    return meetings_from_invitations(actor, found, matcher)


def _new_in_batch(batch: list[tuple[str, ParsedMessage]]) -> list[tuple[str, ParsedMessage]]:
    """The batch without the messages already stored or repeated within it (by
    Message-ID, falling back to the content hash): one query for each."""
    ids = sorted({p.message_id for _, p in batch if p.message_id})
    hashes = sorted({p.sha256 for _, p in batch})
    emails = connection.ops.quote_name(EmailMessage._meta.db_table)
    raws = connection.ops.quote_name(RawMessage._meta.db_table)
    with connection.cursor() as cursor:
        found = _rows_in(cursor, f"SELECT message_id FROM {emails} WHERE message_id", ids)  # noqa: S608
        known_ids = {row[0] for row in found}
        found = _rows_in(cursor, f"SELECT sha256 FROM {raws} WHERE sha256", hashes)  # noqa: S608
        known_hashes = {row[0] for row in found}
    fresh = []
    for label, parsed in batch:
        if (parsed.message_id and parsed.message_id in known_ids) or parsed.sha256 in known_hashes:
            continue
        known_hashes.add(parsed.sha256)
        if parsed.message_id:
            known_ids.add(parsed.message_id)
        fresh.append((label, parsed))
    return fresh


@dataclass(slots=True)
class _NewEmail:
    """What threading reads of an email the batch is about to insert, with its reserved
    id (a model instance for each cost more to build than the INSERT)."""

    pk: int
    client_id: int | None
    message_id: str
    in_reply_to: str
    references: list[str]
    subject: str
    normalised_subject: str
    occurred_at: datetime
    thread_root_id: int | None = None


@dataclass(slots=True)
class _NewComm:
    """What the timeline, the clocks and the search index need of an email's
    just-inserted communication."""

    pk: int
    client_id: int
    direction: str
    occurred_at: datetime
    subject: str
    summary: str
    recorded_by: User | None
    channel: str = Communication.Channel.EMAIL
    case_id: int | None = None

    def __str__(self) -> str:
        return Communication.describe(self.channel, self.direction, self.subject, self.summary)

    @property
    def is_reply_to_client(self) -> bool:
        return Communication.is_reply(self.channel, self.direction)


def _replies_stored_before(emails: list[_NewEmail], threads: _Threads) -> list[int]:
    """The ids of the emails stored before this batch that point at one of its messages
    in the same client (`_Threads.referring`): replies whose quote of it was indexed, as
    it was not there yet (see `search.actions.drop_indexed_quotes`)."""
    batch = {email.pk for email in emails}
    return [
        node.pk
        for email in emails
        if email.message_id and email.client_id is not None
        for node in threads.referring.get(email.message_id, ())
        if node.pk not in batch and node.client_id == email.client_id
    ]


def _bulk_store(
    actor: User | None,
    batch: list[tuple[str, ParsedMessage]],
    matcher: Matcher,
    counts: ImportSummary,
    indexer: _BackgroundIndexer | None = None,
    earlier: list[int] | None = None,
) -> None:
    from amends.search.actions import defer_communications, index_communications

    fresh = _new_in_batch(batch)
    counts.duplicates = len(batch) - len(fresh)
    if not fresh:
        return
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    matches = [matcher.match(parsed) for _, parsed in fresh]
    # The communications first, so each email is written with its link.
    matched = [i for i, match in enumerate(matches) if match.client_id is not None]
    comm_rows = [_email_communication(actor_id, fresh[i][1], matches[i], now) for i in matched]
    comm_ids = Inserter(Communication, _COMM_FIELDS).insert(comm_rows)
    comm_of = dict(zip(matched, comm_ids, strict=True))
    raw_ids = Inserter(RawMessage, ["sha256", "size", "data"]).insert(
        [{"sha256": p.sha256, "size": p.size, "data": p.raw} for _, p in fresh]
    )
    email_rows = []
    for i, ((label, parsed), raw_id, match) in enumerate(zip(fresh, raw_ids, matches, strict=True)):
        row = _email_fields(actor, parsed, match, source=label, now=now)
        row["raw_id"] = raw_id
        row["communication_id"] = comm_of.get(i)
        email_rows.append(row)
    # Threaded before they are written, with their ids reserved: each row is written
    # once, with its thread root, instead of inserted then updated (which on SQLite
    # wrote every message's pages, text and all, a second time).
    emails_in = Inserter(EmailMessage, _EMAIL_FIELDS)
    email_ids = emails_in.reserve(len(email_rows))
    emails = [
        _NewEmail(
            pk,
            row["client_id"],
            row["message_id"],
            row["in_reply_to"],
            row["references"],
            row["subject"],
            row["normalised_subject"],
            row["occurred_at"],
        )
        for pk, row in zip(email_ids, email_rows, strict=True)
    ]
    threads = _thread_batch(emails, [p.is_reply_by_subject for _, p in fresh])
    if earlier is not None:
        earlier += _replies_stored_before(emails, threads)
    for row, email in zip(email_rows, emails, strict=True):
        row["thread_root_id"] = email.thread_root_id
    emails_in.insert(email_rows, ids=email_ids)
    Inserter(MessageReference, ["message_id", "ref"]).insert(
        [
            {"message_id": email.pk, "ref": ref}
            for email in emails
            for ref in sorted({r for r in [*email.references, email.in_reply_to] if r})
        ]
    )
    threads.write_moves()
    comms = _new_comms(actor, comm_ids, comm_rows)
    _on_timeline(actor_id, comms)
    email_bodies = {comm_of[i]: fresh[i][1].text[:MAX_BODY_CHARS] for i in matched}
    quotes = {
        comm_of[i]: cut
        for i in matched
        if (cut := indexed_quote(fresh[i][1], emails[i], threads)) is not None
    }
    if indexer is None:
        index_communications(comms, email_bodies, quotes)
    else:
        defer_communications(comm_ids)
        indexer.after_commit(comms, email_bodies, quotes)
    counts.imported = len(emails)
    counts.unmatched = len(emails) - len(matched)
    counts.problems = sum(bool(p.problems) for _, p in fresh)


def indexed_quote(
    parsed: ParsedMessage, email: _NewEmail, threads: _Threads
) -> tuple[int, int] | None:
    """What of an email's text to leave out of search (None: index it all): its quoted
    history, when it is a reply whose parent (In-Reply-To, else the last of References)
    is stored in the same client — the parent's words are indexed there already, and the
    thread shows both. The quote is indexed whenever its source may not be findable: the
    parent not imported (yet), or another client's."""
    cut = parsed.quote_span
    if cut is None:
        return None
    parent_id = email.in_reply_to or (email.references[-1] if email.references else "")
    parent = threads.by_mid.get(parent_id) if parent_id else None
    if parent is None or parent.client_id is None or parent.client_id != email.client_id:
        return None
    return cut


def _new_comms(
    actor: User | None, comm_ids: list[int], comm_rows: list[dict[str, Any]]
) -> list[_NewComm]:
    return [
        _NewComm(
            pk,
            row["client_id"],
            row["direction"],
            row["occurred_at"],
            row["subject"],
            row["summary"],
            actor,
        )
        for pk, row in zip(comm_ids, comm_rows, strict=True)
    ]


def _on_timeline(actor_id: int | None, comms: list[_NewComm]) -> None:
    """The timeline entries of just-inserted email communications, and the
    first-response clocks they stop (as `record_communication` does for one)."""
    from amends.clients.models import TimelineEntry

    Inserter(TimelineEntry, _TIMELINE_FIELDS).insert(
        [
            {
                "client_id": comm.client_id,
                "case_id": None,
                "actor_id": actor_id,
                "kind": f"comm.{comm.channel}",
                "summary": str(comm)[:500],
                "at": comm.occurred_at,
                "subject_type": "communication",
                "subject_id": comm.pk,
            }
            for comm in comms
        ]
    )
    _stop_first_response_clocks_bulk(comms)


_COMM_FIELDS = [
    "client_id",
    "channel",
    "direction",
    "occurred_at",
    "contact_id",
    "person_id",
    "subject",
    "summary",
    "recorded_by_id",
    "tone",
]
_EMAIL_FIELDS = [
    "raw_id",
    "client_id",
    "communication_id",
    "thread_root_id",
    "message_id",
    "in_reply_to",
    "references",
    "from_name",
    "from_address",
    "to_addresses",
    "cc_addresses",
    "bcc_addresses",
    "subject",
    "normalised_subject",
    "sent_at",
    "occurred_at",
    "direction",
    "text_body",
    "attachments",
    "problems",
    "automatic",
    "undelivered",
    "source",
    "imported_by_id",
]
_TIMELINE_FIELDS = [
    "client_id",
    "case_id",
    "actor_id",
    "kind",
    "summary",
    "at",
    "subject_type",
    "subject_id",
]


def _email_communication(
    actor_id: int | None, parsed: ParsedMessage, match: Match, now: Any
) -> dict[str, Any]:
    """The timeline record of an imported email (as `_record_email_communication`), as
    the row to insert."""
    assert match.client_id is not None
    return {
        "client_id": match.client_id,
        "channel": Communication.Channel.EMAIL,
        "direction": match.direction,
        "occurred_at": min(parsed.date or now, now),
        "contact_id": match.contact_id,
        "person_id": match.person_id,
        "subject": parsed.subject[:300],
        "summary": parsed.text[:20000],
        "recorded_by_id": actor_id,
        "tone": _tone(parsed) if match.direction == Communication.Direction.IN else None,
    }


def _tone(parsed: ParsedMessage) -> float | None:
    """The tone of an inbound message: scored by a parsing worker, or here."""
    if parsed.tone_scored:
        return parsed.tone
    from amends.comms import tone

    return tone.score(parsed.text, parsed.quote_span)


def _stop_first_response_clocks_bulk(comms: list[_NewComm]) -> None:
    """`_stop_first_response_clocks` for a batch, in batch order, with one query to find
    the cases still waiting (almost always none)."""
    from amends.cases.models import Case

    replies = [c for c in comms if c.is_reply_to_client]
    if not replies:
        return
    waiting = list(
        Case.objects.filter(
            client_id__in={c.client_id for c in replies}, first_response_at__isnull=True
        )
        .exclude(status__in=Case.CLOSED)
        .select_related("client")
        .order_by("pk")
    )
    for comm in replies:
        for case in waiting:
            if (
                case.first_response_at is None
                and case.client_id == comm.client_id
                and case.opened_at <= comm.occurred_at
            ):
                update_versioned(case, None, first_response_at=comm.occurred_at)
                record_timeline(
                    client=case.client,
                    case=case,
                    actor=comm.recorded_by,
                    kind="case.first_response",
                    at=comm.occurred_at,
                    summary="First response sent: the first-response clock stopped",
                    subject=Communication.objects.get(pk=comm.pk),
                )


@transaction.atomic
def assign_message(
    actor: User | None, message: EmailMessage, client: Client, matcher: Matcher | None = None
) -> Communication:
    """Assign an unmatched email to a client from triage: it joins the client's timeline,
    and its sender (or our recipient) becomes a contact so the next one matches.
    `matcher`: one already loaded (only the firm's own addresses are read from it)."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only an admin can assign messages from triage.")
    message = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if message.client_id is not None:
        raise ValidationError("This message is already assigned to a client.")
    matcher = matcher or Matcher()
    outbound = message.direction != Communication.Direction.IN
    # Mail no person wrote teaches no contact: its sender is a mail server or a robot.
    candidates = (
        []
        if message.direction == Communication.Direction.AUTO
        else (
            [
                a
                for a in [*message.to_addresses, *message.cc_addresses, *message.bcc_addresses]
                if not matcher.is_ours(a)
            ]
            if outbound
            else [message.from_address]
        )
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
    person_id = matcher.users.get(message.from_address) if outbound else None
    comm = place_in_client(actor, message, client, contact.pk if contact else None, person_id)
    # Other messages waiting in triage may be with the same people: they follow.
    from amends.comms.triage_actions import queue_triage_match

    queue_triage_match()
    return comm


def place_in_client(
    actor: User | None,
    message: EmailMessage,
    client: Client,
    contact_id: int | None,
    person_id: int | None,
    placed_next: Container[int] = (),
) -> Communication:
    """Tie a message that waited in triage (locked, with the direction it is to have) to
    `client`: it joins the client's threads and timeline (its tone scored, its text
    indexed), and the unmatched messages that hung off it form their own thread again
    (except those in `placed_next`, about to be placed too: they are threaded then).
    Call inside a transaction."""
    previous_children = list(
        EmailMessage.objects.filter(thread_root=message, client__isnull=True)
        .exclude(pk=message.pk)
        .order_by("occurred_at", "pk")
    )
    EmailMessage.objects.filter(pk=message.pk).update(
        client=client, direction=message.direction, dismissed_at=None
    )
    message.client, message.dismissed_at = client, None
    _thread(message, is_reply_subject(message.subject))
    comm = _record_email_communication(actor, message, contact_id, person_id)
    # The unmatched messages that hung off this one form their own thread again.
    for child in previous_children:
        EmailMessage.objects.filter(pk=child.pk).update(thread_root=child.pk)
        child.thread_root_id = child.pk
        if child.pk not in placed_next:
            _thread(child, False)
    return comm


_WAITING_FIELDS = (
    "pk",
    "message_id",
    "in_reply_to",
    "references",
    "subject",
    "normalised_subject",
    "occurred_at",
)


def _waiting_email(row: tuple[Any, ...], client_id: int | None) -> _NewEmail:
    pk, message_id, in_reply_to, references, subject, normalised_subject, occurred_at = row[:7]
    return _NewEmail(
        pk,
        client_id,
        message_id,
        in_reply_to,
        _json_list(references),
        subject,
        normalised_subject,
        occurred_at,
    )


def _write_roots(emails: list[_NewEmail], **also: dict[int, Any]) -> None:
    """Store each email's thread root (and, by pk, any other column in `also`): one
    UPDATE for each 250 rows."""
    columns = ["thread_root_id", *also]
    EmailMessage.objects.bulk_update(
        [
            EmailMessage(
                pk=email.pk,
                thread_root_id=email.thread_root_id,
                **{name: values[email.pk] for name, values in also.items()},
            )
            for email in emails
        ],
        columns,
        batch_size=250,
    )


def place_batch_in_clients(
    matches: list[tuple[int, Match]], clients: dict[int, Client], placed_next: Container[int]
) -> int:
    """`place_in_client` for many messages waiting in triage at once (the
    `comms.match_triage` job's path), each with the match it now has, oldest first: the
    same threads, timeline entries, tone, clocks and search documents, with a few
    statements for the whole batch instead of dozens for each message. A message no
    longer in triage (assigned by hand meanwhile) is left alone. Answers how many were
    placed. Call inside a transaction."""
    from amends.search.actions import index_communications

    match_of = dict(matches)
    order = {pk: i for i, (pk, _) in enumerate(matches)}
    rows = [
        row
        for row in EmailMessage.objects.select_for_update()
        .filter(pk__in=list(match_of), client__isnull=True, dismissed_at__isnull=True)
        .order_by()
        .values_list(*_WAITING_FIELDS, "text_body")
        if match_of[row[0]].client_id in clients
    ]
    if not rows:
        return 0
    rows.sort(key=lambda row: order[row[0]])
    pks = [row[0] for row in rows]
    now = timezone.now()
    # Threaded in its client as if just stored there (its own row, still in triage, is
    # not read: see `_Threads`).
    emails = [_waiting_email(row, match_of[row[0]].client_id) for row in rows]
    threads = _thread_batch(emails, [is_reply_subject(email.subject) for email in emails])
    comm_rows = []
    for row, email in zip(rows, emails, strict=True):
        match = match_of[email.pk]
        text = row[7]
        comm_rows.append(
            {
                "client_id": match.client_id,
                "channel": Communication.Channel.EMAIL,
                "direction": match.direction,
                "occurred_at": min(email.occurred_at, now),
                "contact_id": match.contact_id,
                "person_id": match.person_id,
                "subject": email.subject[:300],
                "summary": text[:20000],
                "recorded_by_id": None,
                "tone": tone.score(text) if match.direction == Communication.Direction.IN else None,
            }
        )
    comm_ids = Inserter(Communication, _COMM_FIELDS).insert(comm_rows)
    _write_roots(
        emails,
        client_id={pk: match_of[pk].client_id for pk in pks},
        direction={pk: match_of[pk].direction for pk in pks},
        communication_id=dict(zip(pks, comm_ids, strict=True)),
    )
    threads.write_moves()
    # The messages left in triage that hung off these form their own threads again:
    # each its own thread first, then threaded (as if just stored in triage) unless it
    # is about to be placed too.
    children = list(
        EmailMessage.objects.filter(thread_root_id__in=pks, client__isnull=True)
        .exclude(pk__in=pks)
        .order_by("occurred_at", "pk")
        .values_list(*_WAITING_FIELDS)
    )
    if children:
        for chunk in _chunks([row[0] for row in children]):
            EmailMessage.objects.filter(pk__in=chunk).update(thread_root_id=F("pk"))
        left = [_waiting_email(row, None) for row in children if row[0] not in placed_next]
        if left:
            triage_threads = _thread_batch(left, [False] * len(left))
            _write_roots(left)
            triage_threads.write_moves()
    comms = _new_comms(None, comm_ids, comm_rows)
    _on_timeline(None, comms)
    bodies = {pk: row[7][:MAX_BODY_CHARS] for pk, row in zip(comm_ids, rows, strict=True)}
    index_communications(comms, bodies)
    return len(rows)


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
