"""Writes for imported meetings and calls: .ics calendars and CSV call logs (issue 3).

Each meeting or call becomes a `Communication` (channel meeting/call/note) through the
normal `actions.record_communication` (timeline and search index), with its end,
location, attendees (matched to contacts), `external_id` and `source`. Re-importing is
idempotent: the same `external_id` for the same client creates nothing new; a changed
event (new time, title, attendees… as after a higher SEQUENCE) updates the entry, and
the SEQUENCE is kept (`external_revision`) so an older copy of the event — last month's
export imported after this week's — never undoes a newer one (counted as `outdated`).

Meetings that have not happened yet are not communications (a communication cannot be
in the future): they are kept as `UpcomingMeeting`s — what is coming up with the client
(R22), on the client page and in the API — and counted as `upcoming`. Once the meeting
is over, the worker records it (`record_past_meetings`) as a later import would, and
drops the upcoming one; a cancelled event drops it too, and so does a later copy of the
same whole calendar that no longer holds it (deleted, not cancelled); anyone on the
client's team can remove one that is no longer planned.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from amends.accounts.models import TeamMembership, User
from amends.clients.models import Client, Contact
from amends.comms import calendars, csv_import
from amends.comms.actions import ImportSummary, Matcher, record_communication, sync_timeline
from amends.comms.importing import SourceError
from amends.comms.models import CancelledMeeting, Communication, UpcomingMeeting
from amends.comms.outlook import PST_SUFFIXES
from amends.search.actions import index_object

logger = logging.getLogger("amends.comms")

MAX_CALENDAR_FILES = 5_000
MAX_ROWS_REPORTED = 1_000
BATCH_SIZE = 200


@dataclass
class RowReport:
    """What happened (or, in a dry run, would happen) to one CSV row."""

    line: int
    status: str  # create, update, unchanged, error, unmatched
    message: str = ""
    client: str = ""
    when: str = ""
    subject: str = ""


@dataclass
class MeetingImportSummary(ImportSummary):
    """An ImportSummary with what only meetings and calls have."""

    updated: int = 0
    outdated: int = 0  # older copies of events already imported in a newer version
    cancelled: int = 0
    upcoming: int = 0
    removed: int = 0  # still to come, but no longer in a later copy of their calendar
    not_meetings: int = 0  # all-day events no one is invited to, in an import for a client
    declined: int = 0  # meetings every one of ours invited declined: not held with us
    dry_run: bool = False
    rows: list[RowReport] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def check_may_import(actor: User | None, client: Client | None) -> None:
    """Only an admin may import for every client; anyone else names one of theirs."""
    if actor is None or actor.is_admin:
        return
    if client is None or not TeamMembership.objects.filter(user=actor, client=client).exists():
        raise PermissionDenied("Only an admin can import for every client; name your client.")


def _zone(client: Client | None) -> tzinfo:
    try:
        return ZoneInfo(client.timezone) if client is not None else UTC
    except Exception:
        return UTC


# --- Storing one meeting or call ------------------------------------------------------

_COMPARED = ("subject", "summary", "occurred_at", "ends_at", "location", "attendees")


def upsert_communication(
    actor: User | None,
    client: Client,
    *,
    fields: dict[str, Any],
    extra: dict[str, Any],
    dry_run: bool = False,
) -> str:
    """Create the communication or bring the existing one (same client and external id)
    up to date. Answers created, updated or unchanged (what would happen, in a dry run)."""
    external = extra["external_id"]
    existing = Communication.objects.filter(client=client, external_id=external).first()
    if existing is not None:
        revision = extra.get("external_revision")
        if revision is not None and revision < existing.external_revision:
            return "outdated"  # an older copy of the event: the newer one stands
        wanted = {**fields, **extra}
        changes = {
            name: wanted[name]
            for name in _COMPARED
            if name in wanted and getattr(existing, name) != wanted[name]
        }
        if not changes:
            if revision is not None and revision > existing.external_revision and not dry_run:
                Communication.objects.filter(pk=existing.pk).update(external_revision=revision)
            return "unchanged"
        if dry_run:
            return "update"
        if revision is not None:
            changes["external_revision"] = revision
        for name, value in changes.items():
            setattr(existing, name, value)
        Communication.objects.filter(pk=existing.pk).update(**changes, version=existing.version + 1)
        existing.version += 1
        sync_timeline(existing)
        index_object(existing)
        return "updated"
    if dry_run:
        return "create"
    comm = record_communication(actor, client, **fields)
    Communication.objects.filter(pk=comm.pk).update(**extra)
    for name, value in extra.items():
        setattr(comm, name, value)
    index_object(comm)
    return "created"


def _count(summary: MeetingImportSummary, outcome: str) -> None:
    if outcome in ("created", "create"):
        summary.imported += 1
    elif outcome in ("updated", "update"):
        summary.updated += 1
    elif outcome == "outdated":
        summary.outdated += 1
    else:
        summary.duplicates += 1


# --- Calendars ------------------------------------------------------------------------


@dataclass
class _MeetingMatch:
    client_id: int | None
    contact_id: int | None
    direction: str
    person_id: int | None
    attendees: list[dict[str, Any]]


def match_meeting(meeting: calendars.Meeting, matcher: Matcher) -> _MeetingMatch:
    """The client: the first person who is one of its contacts, else the forced client
    (but for an all-day event no one is invited to), else the first whose domain is the
    client's. Out if we organised it (or nobody is named as organiser: our own
    calendar), in if the client did; internal when nobody from outside the firm took
    part."""
    people = meeting.people
    outside = [p for p in people if p.email and not matcher.is_ours(p.email)]
    client_id: int | None = None
    for person in outside:
        if person.email in matcher.contacts:
            client_id = matcher.contacts[person.email][0]
            break
    if client_id is None and matcher.forced is not None and not _no_one_invited(meeting):
        client_id = matcher.forced.pk
    if client_id is None:
        for person in outside:
            client_id = matcher.domains.get(person.email.rsplit("@", 1)[-1])
            if client_id is not None:
                break
    organiser = meeting.organizer.email if meeting.organizer else ""
    ours = not organiser or matcher.is_ours(organiser)
    direction = Communication.Direction.OUT if ours else Communication.Direction.IN
    if not outside:
        direction = Communication.Direction.INTERNAL
    person_id = matcher.users.get(organiser) if organiser else None
    if person_id is None:
        person_id = next((matcher.users[p.email] for p in people if p.email in matcher.users), None)
    attendees = []
    contact_id = None
    for person in people:
        contact = matcher.contacts.get(person.email) if person.email else None
        contact_pk = contact[1] if contact and contact[0] == client_id else None
        if contact_pk is not None and contact_id is None:
            contact_id = contact_pk
        attendees.append({"name": person.name, "email": person.email, "contact": contact_pk})
    return _MeetingMatch(client_id, contact_id, direction, person_id, attendees)


def _declined_by_all_of_ours(meeting: calendars.Meeting, matcher: Matcher) -> bool:
    """A meeting every one of ours invited has declined (as the calendar export of one
    of them says: Google's and Apple's hold the invitations you declined), and none of
    ours organises: it was not held with us, so it is no meeting with the client."""
    if not meeting.declined:
        return False
    if meeting.organizer is not None and matcher.is_ours(meeting.organizer.email):
        return False
    ours = {p.email for p in meeting.attendees if p.email and matcher.is_ours(p.email)}
    return bool(ours) and ours <= meeting.declined


def _no_one_invited(meeting: calendars.Meeting) -> bool:
    """An all-day event no one is invited to — a holiday, a birthday, a day off, as
    calendars hold many — is no meeting with a client, even in an import for one."""
    return meeting.all_day and not meeting.attendees


class _Lookup:
    """Clients, contacts and users by id, loaded once per import."""

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}
        self.contacts: dict[int, Contact] = {}
        self.users: dict[int, User] = {}

    def client(self, pk: int) -> Client:
        if pk not in self.clients:
            self.clients[pk] = Client.objects.get(pk=pk)
        return self.clients[pk]

    def contact(self, pk: int | None) -> Contact | None:
        if pk is None:
            return None
        if pk not in self.contacts:
            self.contacts[pk] = Contact.objects.get(pk=pk)
        return self.contacts[pk]

    def user(self, pk: int | None) -> User | None:
        if pk is None:
            return None
        if pk not in self.users:
            self.users[pk] = User.objects.get(pk=pk)
        return self.users[pk]


def store_meeting(
    actor: User | None,
    meeting: calendars.Meeting,
    *,
    matcher: Matcher,
    lookup: _Lookup,
    summary: MeetingImportSummary,
    source: str,
    now: datetime,
    only_upcoming: bool = False,
    calendar: str = "",
) -> None:
    """Record one calendar occurrence, counting what happened in `summary` (with
    `only_upcoming`, one that is not still to come is left alone). `calendar`: the key of
    the whole calendar it was read from (`calendar_key`), "" for an invitation."""
    match = match_meeting(meeting, matcher)
    if match.client_id is None:
        if matcher.forced is not None and _no_one_invited(meeting):
            summary.not_meetings += 1
        else:
            summary.unmatched += 1
        return
    client = lookup.client(match.client_id)
    start, end = meeting.resolve(_zone(client))
    revision = _revision(meeting)
    if only_upcoming and start <= now:
        return
    if _declined_by_all_of_ours(meeting, matcher):
        summary.declined += 1
        if start > now:  # declined since it was imported: no longer coming up
            UpcomingMeeting.objects.filter(client=client, external_id=meeting.external_id).delete()
        return
    if is_cancelled(meeting.external_id, client, revision):
        summary.cancelled += 1
        return
    if start > now:
        summary.upcoming += 1
        planned = {
            "starts_at": start,
            "ends_at": end,
            "subject": meeting.summary[:300],
            "description": meeting.description[:20000],
            "location": meeting.location[:500],
            "attendees": match.attendees,
            "direction": match.direction,
            "contact": lookup.contact(match.contact_id),
            "person": lookup.user(match.person_id),
            "source": source[:1000],
        }
        if calendar:  # an invitation leaves the calendar it is in as it was
            planned["calendar"] = calendar
        try:
            with transaction.atomic():
                if matcher.forced is None:
                    # The attendees now point to another client: it is no longer the
                    # first one's meeting.
                    UpcomingMeeting.objects.filter(external_id=meeting.external_id).exclude(
                        client=client
                    ).delete()
                upsert_upcoming(client, meeting.external_id, revision, planned)
        except IntegrityError:
            pass  # a concurrent import stored it first
        except Exception as exc:  # one bad meeting never stops the rest
            summary.rejected.append(
                (meeting.label, f"could not be stored: {type(exc).__name__}: {exc}")
            )
        return
    fields = {
        "channel": Communication.Channel.MEETING,
        "direction": match.direction,
        "occurred_at": start,
        "contact": lookup.contact(match.contact_id),
        "person": lookup.user(match.person_id),
        "subject": meeting.summary[:300] or "(no title)",
        "summary": meeting.description[:20000],
    }
    extra = {
        "ends_at": end,
        "location": meeting.location[:500],
        "attendees": match.attendees,
        "external_id": meeting.external_id,
        "external_revision": revision,
        "source": source[:1000],
    }
    try:
        with transaction.atomic():
            outcome = upsert_communication(actor, client, fields=fields, extra=extra)
            # It has happened: no longer coming up.
            UpcomingMeeting.objects.filter(client=client, external_id=meeting.external_id).delete()
    except IntegrityError:
        outcome = "unchanged"  # a concurrent import stored it first
    except Exception as exc:  # one bad meeting never stops the rest
        summary.rejected.append(
            (meeting.label, f"could not be stored: {type(exc).__name__}: {exc}")
        )
        return
    _count(summary, outcome)


def upsert_upcoming(
    client: Client, external_id: str, revision: int, planned: dict[str, Any]
) -> str:
    """Keep a meeting still to come, or bring the one kept up to date (a moved or renamed
    event). An older copy of the event (a lower SEQUENCE) changes nothing. Answers
    created, updated, unchanged or outdated. The calendar it was read from is kept up to
    date too, without counting as a change: the meeting itself is the same."""
    existing = UpcomingMeeting.objects.filter(client=client, external_id=external_id).first()
    if existing is None:
        UpcomingMeeting.objects.create(
            client=client, external_id=external_id, external_revision=revision, **planned
        )
        return "created"
    if revision < existing.external_revision:
        return "outdated"
    changes = {
        name: value
        for name, value in planned.items()
        if name not in ("source", "calendar") and getattr(existing, name) != value
    }
    saved = dict(changes)
    if planned.get("calendar", existing.calendar) != existing.calendar:
        saved["calendar"] = planned["calendar"]
    if not saved and revision == existing.external_revision:
        return "unchanged"
    for name, value in {**saved, "external_revision": revision}.items():
        setattr(existing, name, value)
    existing.save()
    return "updated" if changes else "unchanged"


# --- Invitations in email ------------------------------------------------------------

_METHOD = re.compile(r"^METHOD:[ \t]*([A-Za-z-]+)", re.MULTILINE)


def meetings_from_invitations(
    actor: User | None, invitations: list[tuple[str, str]], matcher: Matcher
) -> int:
    """Keep the meetings still to come from meeting invitations found in email — (the
    text/calendar part, where it came from) — as a calendar import would: an invitation
    (iTIP `METHOD:REQUEST`) adds or moves the upcoming meeting (an older copy, by its
    SEQUENCE, changes nothing), a cancellation (`METHOD:CANCEL`) takes it away, and so
    does a reply in which one of ours declines (`_declined_by_us`). Other replies,
    counter-proposals and calendar files sent without a method are left alone; so are
    occurrences already past (a calendar export records those). Never raises for what
    the invitation holds; answers how many meetings were kept."""
    now = timezone.now()
    until = calendars.default_window(now)[1]
    lookup = _Lookup()
    kept = MeetingImportSummary()
    for text, label in invitations:
        try:
            with transaction.atomic():  # a savepoint: a failure undoes this invitation only
                _from_invitation(actor, text, label, matcher, lookup, kept, now, until)
        except Exception:  # the mail is kept whatever its invitation holds
            logger.exception("Could not read the meeting invitation in %s.", label[:200])
    return kept.upcoming


def _from_invitation(
    actor: User | None,
    text: str,
    label: str,
    matcher: Matcher,
    lookup: _Lookup,
    kept: MeetingImportSummary,
    now: datetime,
    until: datetime,
) -> None:
    found = _METHOD.search(text[:20_000])
    method = found.group(1).upper() if found else ""
    if method == "REPLY":
        _declined_by_us(text, matcher)
        return
    if method not in ("REQUEST", "CANCEL"):
        return
    read = calendars.read_calendar(text, since=now, until=until, label=label[:200])
    if method == "CANCEL":
        mark_cancelled([*read.cancelled_meetings, *read.meetings], matcher)
        return
    mark_cancelled(read.cancelled_meetings, matcher)
    for meeting in read.meetings:
        store_meeting(
            actor,
            meeting,
            matcher=matcher,
            lookup=lookup,
            summary=kept,
            source=f"invitation in {label} {meeting.external_id}"[:1000],
            now=now,
            only_upcoming=True,
        )


def _declined_by_us(text: str, matcher: Matcher) -> None:
    """A reply in which one of ours declines: the meeting (that occurrence, or every one
    of the series) is no longer coming up — unless someone else of ours is invited, who
    may still go. Other replies change nothing."""
    for reply in calendars.read_declines(text):
        declined = {a for a in reply.declined if matcher.is_ours(a)}
        if not declined:
            continue
        if reply.recurrence is not None:
            planned = UpcomingMeeting.objects.filter(
                external_id=calendars.external_id(reply.uid, reply.recurrence)
            )
        else:
            planned = UpcomingMeeting.objects.filter(
                Q(external_id=calendars.external_id(reply.uid, None))
                | Q(external_id__startswith=f"{reply.uid}@")
            )
        for meeting in planned:
            invited = {
                str(a.get("email") or "").lower() for a in meeting.attendees if isinstance(a, dict)
            }
            if not {a for a in invited - declined if a and matcher.is_ours(a)}:
                UpcomingMeeting.objects.filter(pk=meeting.pk).delete()


def record_past_meetings(now: datetime, *, limit: int = 500) -> int:
    """Record on the timeline the kept meetings whose time is over (their end has
    passed; one without an end, once it has started), as the next import of their
    calendar would: the same communication, with the same external id, so that import
    then finds it unchanged. Run by the worker every little while, so a meeting held
    leaves "Coming up" for the timeline without anyone importing again. A meeting taken
    off the calendar without being cancelled goes before its time with the next import
    of that calendar (`remove_taken_off`), or by hand.

    Safe with several workers: each meeting is claimed by deleting its row, as it was
    read (a meeting moved meanwhile by an import is left for the next run), in the
    transaction that records it. Answers how many were recorded."""
    due = (
        UpcomingMeeting.objects.filter(starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__lte=now))
        .select_related("client", "contact", "person")
        .order_by("starts_at", "id")[:limit]
    )
    recorded = 0
    for meeting in due:
        try:
            recorded += record_meeting_held(meeting)
        except Exception:  # one bad meeting never stops the rest; it stays listed
            logger.exception("Could not record the meeting %s as held.", meeting.pk)
    return recorded


def record_meeting_held(meeting: UpcomingMeeting) -> bool:
    """Record one kept meeting as held, claiming it by deleting its row as it was read:
    False when another worker already did, or an import has moved or changed it since
    (the next run sees it as it is now)."""
    fields = {
        "channel": Communication.Channel.MEETING,
        "direction": meeting.direction,
        "occurred_at": meeting.starts_at,
        "contact": meeting.contact,
        "person": meeting.person,
        "subject": meeting.subject[:300] or "(no title)",
        "summary": meeting.description[:20000],
    }
    extra = {
        "ends_at": meeting.ends_at,
        "location": meeting.location,
        "attendees": meeting.attendees,
        "external_id": meeting.external_id,
        "external_revision": meeting.external_revision,
        "source": meeting.source,
    }
    try:
        with transaction.atomic():
            claimed = UpcomingMeeting.objects.filter(
                pk=meeting.pk,
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                external_revision=meeting.external_revision,
            ).delete()[0]
            if not claimed:
                return False
            outcome = upsert_communication(None, meeting.client, fields=fields, extra=extra)
    except IntegrityError:
        return False  # an import recorded it at the same moment
    return outcome in ("created", "updated")


def remove_upcoming_meeting(actor: User, meeting: UpcomingMeeting) -> None:
    """Take away a meeting that is no longer planned (deleted from the calendar rather
    than cancelled, and brought by an invitation or a calendar not imported again, so
    no import will: `remove_taken_off`). Callers fetch it through `get_upcoming_for`, so
    only someone who may see the client gets here. Removing twice is harmless. A later
    import of a calendar that still holds the event brings it back."""
    UpcomingMeeting.objects.filter(pk=meeting.pk).delete()


CANCELLED_PREFIX = "Cancelled: "


def mark_cancelled(cancelled: list[calendars.Meeting], matcher: Matcher) -> int:
    """Meetings cancelled (each occurrence at the SEQUENCE of its cancellation): those
    still to come are no longer coming up, unless what is kept is a newer copy than the
    cancellation; those imported before as held say so in their subject (the entry stays,
    as the record of what was planned). Each is remembered (`CancelledMeeting`), so an
    older copy of the event read later does not bring it back. Answers how many were
    marked or taken away."""
    revisions: dict[str, int] = {}
    for meeting in cancelled:
        revision = _revision(meeting)
        revisions[meeting.external_id] = max(revision, revisions.get(meeting.external_id, 0))
    _remember_cancelled(revisions, matcher.forced)
    by_revision: dict[int, list[str]] = {}
    for external_id, revision in revisions.items():
        by_revision.setdefault(revision, []).append(external_id)
    marked = 0
    for revision, ids in by_revision.items():
        for start in range(0, len(ids), 500):
            planned = UpcomingMeeting.objects.filter(
                external_id__in=ids[start : start + 500], external_revision__lte=revision
            )
            if matcher.forced is not None:
                planned = planned.filter(client=matcher.forced)
            marked += planned.delete()[0]
    external_ids = list(revisions)
    for start in range(0, len(external_ids), 500):
        found = Communication.objects.filter(
            external_id__in=external_ids[start : start + 500],
            channel=Communication.Channel.MEETING,
        ).exclude(subject__startswith=CANCELLED_PREFIX)
        if matcher.forced is not None:
            found = found.filter(client=matcher.forced)
        for comm in found:
            with transaction.atomic():
                subject = (CANCELLED_PREFIX + comm.subject)[:300]
                Communication.objects.filter(pk=comm.pk).update(
                    subject=subject, version=comm.version + 1
                )
                comm.subject, comm.version = subject, comm.version + 1
                sync_timeline(comm)
                index_object(comm)
            marked += 1
    return marked


STAMP_BITS = 34  # seconds since 1970, to the year 2514


def revision_of(sequence: int, stamp: datetime | None) -> int:
    """Which copy of an event is newer, as one number: its SEQUENCE first (the organiser
    counts each change that matters), then when the copy was made (LAST-MODIFIED or
    DTSTAMP), so that of two exports at the same SEQUENCE — a title changed, which
    does not count — the later stands, whatever order they are imported in."""
    seconds = int(stamp.timestamp()) if stamp is not None else 0
    seconds = max(0, min(seconds, 2**STAMP_BITS - 1))
    return (max(0, min(sequence, 2**28 - 1)) << STAMP_BITS) | seconds


def sequence_of(revision: int) -> int:
    return revision >> STAMP_BITS


def _revision(meeting: calendars.Meeting) -> int:
    return revision_of(meeting.sequence, meeting.stamp)


def _remember_cancelled(revisions: dict[str, int], client: Client | None) -> None:
    """Keep each cancellation (`CancelledMeeting`) at the highest SEQUENCE seen."""
    external_ids = list(revisions)
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        known = CancelledMeeting.objects.filter(external_id__in=chunk, client=client)
        seen: set[str] = set()
        for row in known:
            seen.add(row.external_id)
            if row.revision < revisions[row.external_id]:
                CancelledMeeting.objects.filter(pk=row.pk).update(
                    revision=revisions[row.external_id], cancelled_at=timezone.now()
                )
        CancelledMeeting.objects.bulk_create(
            CancelledMeeting(external_id=eid, client=client, revision=revisions[eid])
            for eid in chunk
            if eid not in seen
        )


def is_cancelled(external_id: str, client: Client, revision: int) -> bool:
    """Whether this copy of a meeting (at `revision`, its SEQUENCE) is no newer than a
    cancellation of it we know of. A newer copy means the organiser has reinstated the
    meeting: the cancellation is forgotten."""
    known = CancelledMeeting.objects.filter(external_id=external_id).filter(
        Q(client__isnull=True) | Q(client=client)
    )
    revisions = list(known.values_list("revision", flat=True)[:20])
    if not revisions:
        return False
    if max(revisions) >= revision:
        return True
    known.delete()
    return False


def calendar_files(path: str | os.PathLike[str]) -> list[Path]:
    """The .ics file (or Outlook data file, or saved Outlook calendar item) at `path`,
    or the .ics files, Outlook data files and calendar items in the folder (and its
    subfolders). A .msg file in a folder is listed when it holds a calendar item, not
    an email."""
    from amends.comms.outlook import is_msg_calendar_item

    root = Path(path)
    if root.is_symlink() and root.is_dir():
        raise SourceError(f"{os.fsdecode(root)} is a symbolic link; give the real folder.")
    if root.is_file():
        return [root]
    if root.is_dir():
        wanted = (".ics", *PST_SUFFIXES)  # Outlook data files: their calendar folders
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file()
            and (
                p.suffix.lower() in wanted
                or (p.suffix.lower() == ".msg" and is_msg_calendar_item(p))
            )
        )
        if len(files) > MAX_CALENDAR_FILES:
            raise SourceError(f"The folder holds more than {MAX_CALENDAR_FILES:,} calendars.")
        return files
    raise SourceError(f"{os.fsdecode(root)} does not exist or cannot be read.")


def _calendar_documents(
    files: list[Path], max_bytes: int, rejected: list[tuple[str, str]], cut_short: set[Path]
) -> Iterator[tuple[Path, str, str, bytes, bool]]:
    """(file, label, short label, iCalendar text, whole) for each calendar the files
    hold: an .ics file is one, and so is a calendar item saved from Outlook (.msg, written
    as one by `comms.outlook`), an Outlook data file one or more for each of its calendar
    folders (`comms.outlook`, read by a process of its own; not `whole` when some of its
    items could not be written in it, and added to `cut_short` when its reading stopped
    before the end). What cannot be read goes to `rejected`, but for an Outlook data
    file that cannot be opened at all: its mail is imported beside its calendars, and
    that import says why."""
    from amends.comms.importing import clean_text
    from amends.comms.outlook import MSG_MAGIC, PST_MAGIC, msg_calendar, pst_calendars

    for file in files:
        label = os.fsdecode(file)
        try:
            size = file.stat().st_size
            with file.open("rb") as fh:
                head = fh.read(4)
            if head == PST_MAGIC or file.suffix.lower() in PST_SUFFIXES:
                if head != PST_MAGIC:
                    continue
                shown = clean_text(label)
                for found in pst_calendars(file, shown, max_bytes):
                    if found.rejected and not found.unopened:
                        rejected.append((found.label, found.rejected))
                        cut_short.add(file)
                    rejected.extend(found.problems)
                    if found.calendar is not None:
                        short = file.name + found.label[len(shown) :]
                        yield file, found.label, short, found.calendar, not found.problems
                continue
            if size > max_bytes:
                rejected.append(
                    (label, f"the file is larger than {max_bytes / 1024 / 1024:g} MB; not imported")
                )
                continue
            data = file.read_bytes()
        except OSError as exc:
            rejected.append((label, f"cannot be read: {exc.strerror or exc}"))
            continue
        if data.startswith(MSG_MAGIC):  # an appointment saved from Outlook (.msg)
            document, why = msg_calendar(data, label)
            if document is None:
                if why:  # else an email, which the mail import reads
                    rejected.append((label, why))
                continue
            data = document
        yield file, label, file.name, data, True


def import_calendar_path(
    actor: User | None,
    path: str | os.PathLike[str],
    *,
    client: Client | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Callable[[ImportSummary], None] | None = None,
    max_bytes: int = calendars.DEFAULT_MAX_CALENDAR_BYTES,
) -> MeetingImportSummary:
    """Import every meeting between `since` and `until` (default: a year back to 90 days
    ahead) from an .ics file, the calendars of an Outlook data file (.pst, .ost), or a
    folder of them. Idempotent; a bad event is rejected with its reason and the rest
    continue. Raises SourceError when the path is unusable.

    A whole calendar (`CalendarRead.name`) read again by the same person is compared with
    what its last copy left coming up: a meeting in the window that it no longer holds
    was taken off the calendar (deleted, not cancelled), and is taken off "Coming up"
    (`remove_taken_off`) instead of being recorded as held once its time has passed."""
    check_may_import(actor, client)
    now = timezone.now()
    default_since, default_until = calendars.default_window(now)
    since, until = since or default_since, until or default_until
    if until <= since:
        raise SourceError("The end of the window must be after its start.")
    files = calendar_files(path)
    summary = MeetingImportSummary(source=os.fsdecode(path), kind="ics")
    matcher = Matcher(client)
    lookup = _Lookup()
    # Each whole calendar's key: the events its copies hold in the window, or None when a
    # copy could not be read whole (then nothing is taken off: it may be what was lost).
    held: dict[str, set[str] | None] = {}
    keys: dict[Path, set[str]] = {}  # the calendars each file held
    cut_short: set[Path] = set()  # data files whose reading stopped before the end
    documents = _calendar_documents(files, max_bytes, summary.rejected, cut_short)
    # How many meetings there are is known once every calendar is read: until then, with
    # more than one to come, no total is given (a bar would run back at each new file).
    one_document = len(files) == 1 and files[0].suffix.lower() not in PST_SUFFIXES
    total = 0
    for file, label, shown, data, whole in documents:
        read = calendars.read_calendar(
            data, since=since, until=until, label=shown, max_bytes=max_bytes
        )
        total += len(read.meetings)
        summary.total = total if one_document else None
        summary.cancelled += read.cancelled
        summary.rejected.extend(read.rejected)
        summary.rejected.extend(read.left_out)
        summary.updated += mark_cancelled(read.cancelled_meetings, matcher)
        key = calendar_key(actor, read.name) if read.name else ""
        if key:
            keys.setdefault(file, set()).add(key)
            known = held.setdefault(key, set())
            if known is not None and read.complete and whole:
                known.update(m.external_id for m in (*read.meetings, *read.cancelled_meetings))
            else:
                held[key] = None
        for start in range(0, len(read.meetings), BATCH_SIZE):
            with transaction.atomic():
                for meeting in read.meetings[start : start + BATCH_SIZE]:
                    summary.seen += 1
                    store_meeting(
                        actor,
                        meeting,
                        matcher=matcher,
                        lookup=lookup,
                        summary=summary,
                        source=f"{label} {meeting.external_id}",
                        now=now,
                        calendar=key,
                    )
                    if progress is not None:
                        progress(summary)
    summary.total = total
    for file in cut_short:  # what its calendars lack may be what was not read
        held.update(dict.fromkeys(keys.get(file, ()), None))
    for key, present in held.items():
        if present is not None:
            summary.removed += remove_taken_off(
                key, present, since=since, until=until, client=matcher.forced
            )
    return summary


def calendar_key(actor: User | None, name: str) -> str:
    """Which whole calendar a meeting still to come was read from: the calendar's name as
    one person imports it (two people's calendars called "Work" are not the same one)."""
    basis = f"{actor.pk if actor is not None else ''}\0{name}"
    return hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()


# Meetings this close to either end of the window are left alone: the file's reading of
# an all-day or floating event near the edge may differ from the time kept.
_EDGE = timedelta(days=1)


def remove_taken_off(
    key: str, present: set[str], *, since: datetime, until: datetime, client: Client | None
) -> int:
    """Take off "Coming up" the meetings last read from the whole calendar `key` that its
    new copy no longer holds (`present`: the external ids it holds in the window from
    `since` to `until`), for `client` only when the import was for one. Answers how many.
    As with a meeting removed by hand, a later copy that holds it again brings it back."""
    kept = UpcomingMeeting.objects.filter(
        calendar=key, starts_at__gt=since + _EDGE, starts_at__lt=until - _EDGE
    )
    if client is not None:
        kept = kept.filter(client=client)
    gone = [
        pk
        for pk, external_id in kept.values_list("pk", "external_id")
        if external_id not in present
    ]
    removed = 0
    for start in range(0, len(gone), 500):
        removed += UpcomingMeeting.objects.filter(pk__in=gone[start : start + 500]).delete()[0]
    return removed


# --- CSV ------------------------------------------------------------------------------


class _CsvResolver:
    """Turns a row's names into the clients, contacts and people the actor may use."""

    def __init__(self, actor: User | None, client: Client | None) -> None:
        from amends.clients.queries import list_clients

        self.forced = client
        self.visible = (Client.objects.all() if actor is None else list_clients(actor)).order_by(
            "pk"
        )
        self.by_id = {c.pk: c for c in self.visible}
        self.by_name: dict[str, list[Client]] = {}
        for item in self.by_id.values():
            self.by_name.setdefault(item.name.strip().lower(), []).append(item)
        self.matcher = Matcher(client)
        self.contacts: dict[int, tuple[dict[str, Contact], dict[str, Contact]]] = {}
        self.people = {
            key.lower(): u
            for u in User.objects.filter(is_active=True)
            for key in (u.username, u.email, u.display_name)
            if key
        }

    def client(self, row: csv_import.CsvRow) -> Client:
        if row.client:
            if row.client.isdigit() and int(row.client) in self.by_id:
                return self.by_id[int(row.client)]
            named = self.by_name.get(row.client.lower(), [])
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                raise ValueError(
                    f"Client: more than one client is called “{row.client}”; use its id."
                )
            raise ValueError(f"Client: there is no client “{row.client}” among yours.")
        email = row.contact_email
        if email:
            hit = self.matcher.contacts.get(email)
            if hit is not None and hit[0] in self.by_id:
                return self.by_id[hit[0]]
        if self.forced is not None:
            return self.forced
        if email:
            pk = self.matcher.domains.get(email.rsplit("@", 1)[-1])
            if pk is not None and pk in self.by_id:
                return self.by_id[pk]
        raise LookupError("matches no client: map a client column, or choose a client")

    def contact(self, client: Client, row: csv_import.CsvRow) -> Contact | None:
        if client.pk not in self.contacts:
            by_email: dict[str, Contact] = {}
            by_name: dict[str, Contact] = {}
            for contact in Contact.objects.filter(client=client).order_by("pk"):
                if contact.email:
                    by_email.setdefault(contact.email.lower(), contact)
                by_name.setdefault(contact.name.strip().lower(), contact)
            self.contacts[client.pk] = (by_email, by_name)
        by_email, by_name = self.contacts[client.pk]
        if row.contact_email and row.contact_email in by_email:
            return by_email[row.contact_email]
        if row.contact_name:
            return by_name.get(row.contact_name.strip().lower())
        return None

    def person(self, row: csv_import.CsvRow) -> User | None:
        if not row.person:
            return None
        user = self.people.get(row.person.lower())
        if user is None:
            raise ValueError(f"Person: nobody at the firm is called “{row.person}”.")
        return user


def _row_external_id(row: csv_import.CsvRow, client_ref: str) -> str:
    if row.external_id:
        return f"csv:{row.external_id}"
    basis = "|".join(
        [
            row.when.isoformat(),
            row.channel,
            client_ref,
            row.contact_email,
            row.contact_name,
            row.subject,
            row.summary,
        ]
    )
    return "csv:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:40]


def _csv_fields(
    row: csv_import.CsvRow, client: Client, resolver: _CsvResolver, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    zone = _zone(client)
    start = row.when if row.when.tzinfo else row.when.replace(tzinfo=zone)
    if start > now + timedelta(minutes=5):
        raise ValueError("Date: the call is in the future.")
    end = None
    if row.end is not None:
        end = row.end if row.end.tzinfo else row.end.replace(tzinfo=zone)
    elif row.duration is not None:
        end = start + row.duration
    channel = row.channel or Communication.Channel.CALL
    direction = row.direction or (
        Communication.Direction.INTERNAL
        if channel == Communication.Channel.NOTE
        else Communication.Direction.OUT
    )
    contact = resolver.contact(client, row)
    person = resolver.person(row)
    attendees = []
    if row.contact_email or row.contact_name:
        attendees.append(
            {
                "name": row.contact_name or (contact.name if contact else ""),
                "email": row.contact_email or (contact.email if contact else ""),
                "contact": contact.pk if contact else None,
            }
        )
    fields = {
        "channel": channel,
        "direction": direction,
        "occurred_at": start,
        "contact": contact,
        "person": person,
        "subject": row.subject[:300],
        "summary": row.summary[:20000],
    }
    extra = {
        "ends_at": end,
        "location": "",
        "attendees": attendees,
        "external_id": _row_external_id(row, row.client or str(client.pk)),
        "source": "",
    }
    return fields, extra


def _report(summary: MeetingImportSummary, report: RowReport) -> None:
    if len(summary.rows) < MAX_ROWS_REPORTED:
        summary.rows.append(report)


def import_csv(
    actor: User | None,
    data: bytes,
    mapping: dict[str, str] | None = None,
    *,
    client: Client | None = None,
    day_first: bool = False,
    dry_run: bool = False,
    label: str = "upload.csv",
    guess_rest: bool = False,
    progress: Callable[[ImportSummary], None] | None = None,
    max_bytes: int = csv_import.DEFAULT_MAX_CSV_BYTES,
) -> MeetingImportSummary:
    """Import calls and meeting notes from CSV bytes. `mapping` (field -> column; guessed
    from the header when None). With `dry_run` nothing is written and `rows` says what
    would happen to each row. Raises csv_import.CsvError for an unreadable file and
    csv_import.MappingError for a bad mapping; a bad row is listed with its line."""
    if client is not None:
        check_may_import(actor, client)
    table = csv_import.read_table(data, max_bytes=max_bytes)
    if mapping is None:
        mapping = csv_import.suggest_mapping(table.headers)
    elif guess_rest:
        guessed = csv_import.suggest_mapping(table.headers)
        taken = set(mapping.values())
        guessed = {k: v for k, v in guessed.items() if v not in taken}
        mapping = {**guessed, **mapping}
    mapping = csv_import.check_mapping(mapping, table.headers)
    if actor is not None and not actor.is_admin and client is None and "client" not in mapping:
        raise PermissionDenied(
            "Choose one of your clients, or map a column naming the client of each row."
        )
    summary = MeetingImportSummary(
        source=label,
        kind="csv",
        total=len(table.rows),
        dry_run=dry_run,
        columns=table.headers,
        mapping=mapping,
    )
    if table.truncated:
        summary.rejected.append(
            (label, f"only the first {csv_import.MAX_ROWS:,} rows were read; split the file")
        )
    resolver = _CsvResolver(actor, client)
    now = timezone.now()
    items = list(csv_import.read_rows(table, mapping, day_first=day_first))
    for start in range(0, len(items), BATCH_SIZE):
        with transaction.atomic():
            for item in items[start : start + BATCH_SIZE]:
                summary.seen += 1
                _import_row(actor, item, resolver, summary, label, now, dry_run)
                if progress is not None:
                    progress(summary)
    return summary


def _import_row(
    actor: User | None,
    item: csv_import.CsvRow | csv_import.RowError,
    resolver: _CsvResolver,
    summary: MeetingImportSummary,
    label: str,
    now: datetime,
    dry_run: bool,
) -> None:
    if isinstance(item, csv_import.RowError):
        summary.rejected.append((f"line {item.line}", item.message))
        _report(summary, RowReport(item.line, "error", item.message))
        return
    when = item.when.isoformat(sep=" ", timespec="minutes")
    try:
        client = resolver.client(item)
    except LookupError as exc:
        summary.unmatched += 1
        _report(
            summary, RowReport(item.line, "unmatched", str(exc), when=when, subject=item.subject)
        )
        return
    except ValueError as exc:
        summary.rejected.append((f"line {item.line}", str(exc)))
        _report(summary, RowReport(item.line, "error", str(exc), when=when, subject=item.subject))
        return
    base = RowReport(item.line, "", client=client.name, when=when, subject=item.subject[:120])
    try:
        fields, extra = _csv_fields(item, client, resolver, now)
        extra["source"] = f"{label} line {item.line}"[:1000]
        with transaction.atomic():
            outcome = upsert_communication(
                actor, client, fields=fields, extra=extra, dry_run=dry_run
            )
    except IntegrityError:
        outcome = "unchanged"
    except Exception as exc:
        message = str(exc) if isinstance(exc, ValueError) else f"could not be stored: {exc}"
        if hasattr(exc, "messages"):
            message = " ".join(str(m) for m in exc.messages)
        summary.rejected.append((f"line {item.line}", message))
        base.status, base.message = "error", message
        _report(summary, base)
        return
    _count(summary, outcome)
    base.status = {"created": "create", "updated": "update"}.get(outcome, outcome)
    _report(summary, base)


def csv_preview(
    data: bytes, *, max_bytes: int = csv_import.DEFAULT_MAX_CSV_BYTES
) -> dict[str, Any]:
    """The columns, the suggested mapping and the first rows (for the mapping step)."""
    table = csv_import.read_table(data, max_bytes=max_bytes)
    return {
        "columns": table.headers,
        "suggested": csv_import.suggest_mapping(table.headers),
        "sample": [cells for _, cells in table.rows[:5]],
        "rows": len(table.rows),
        "delimiter": table.delimiter,
        "encoding": table.encoding,
    }


__all__ = [
    "MeetingImportSummary",
    "RowReport",
    "csv_preview",
    "import_calendar_path",
    "import_csv",
]


# --- Uploads (page and API) -----------------------------------------------------------

META = "owner.json"


def _check_upload_client(
    actor: User, client: Client | None, mapping: dict[str, str] | None
) -> None:
    from amends.accounts.queries import is_on_team
    from amends.core.errors import NotFound, ValidationError

    if client is not None and not actor.is_admin and not is_on_team(actor, client.pk):
        raise NotFound("client")
    if client is None and not actor.is_admin and not (mapping and mapping.get("client")):
        raise ValidationError(
            {"client": "Choose one of your clients (or map a column naming each row's client)."}
        )


def start_meeting_import(
    actor: User,
    *,
    relative: str,
    kind: str,
    name: str,
    client: Client | None = None,
    mapping: dict[str, str] | None = None,
    day_first: bool = False,
) -> Any:
    """Queue a `comms.import` job for a stored .ics or .csv upload (`relative` from
    `uploads.store_upload`). The caller fetched `client` through `get_client_for`."""
    from amends.core.errors import ValidationError
    from amends.watch.actions import enqueue_job

    if kind not in ("ics", "csv"):
        raise ValidationError({"file": "Upload an .ics calendar or a .csv call log."})
    if kind == "ics" and client is None and not actor.is_admin:
        raise ValidationError({"client": "Choose one of your clients to import into."})
    _check_upload_client(actor, client, mapping)
    payload: dict[str, Any] = {
        "path": relative,
        "client": client.pk if client is not None else None,
        "actor": actor.pk,
        "name": os.path.basename(name)[:200],
        "format": kind,
    }
    if kind == "csv":
        payload["mapping"] = mapping or {}
        payload["day_first"] = bool(day_first)
    return enqueue_job(actor, kind="comms.import", payload=payload, client=client)


def save_pending_csv(actor: User, relative: str, name: str) -> str:
    """Remember who uploaded a CSV awaiting its mapping; answers the upload's token."""
    import json

    from amends.comms.uploads import resolve_upload, upload_token

    path = resolve_upload(relative)
    (path.parent / META).write_text(
        json.dumps({"owner": actor.pk, "name": os.path.basename(name)[:200], "path": relative})
    )
    return upload_token(relative)


def pending_csv(actor: User, token: str) -> dict[str, Any]:
    """The CSV upload `token` names, if `actor` uploaded it; NotFound otherwise (an
    outsider learns nothing, not even that it exists)."""
    import json

    from amends.comms.uploads import upload_by_token
    from amends.core.errors import NotFound

    path = upload_by_token(token)
    if path is None or path.suffix != ".csv":
        raise NotFound("upload")
    try:
        meta = json.loads((path.parent / META).read_text())
    except (OSError, ValueError):
        raise NotFound("upload") from None
    if meta.get("owner") != actor.pk:
        raise NotFound("upload")
    return {**meta, "file": path, "token": token}
