"""Permission-scoped reads about clients. Outsiders get NotFound, never a hint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast, Substr

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.clients.models import Client, Contact, Engagement, TimelineEntry
from amends.comms.models import Communication, EmailMessage
from amends.core.errors import NotFound, ValidationError


def list_clients(user: User, *, search: str = "") -> QuerySet[Client]:
    """Clients the user may see, with the number of open cases."""
    qs = scope_to_user(Client.objects.all(), user, "id").select_related("owner", "backup")
    if search:
        qs = qs.filter(name__icontains=search[:100])
    return qs.annotate(open_cases=Count("cases", filter=~Q(cases__status__in=["resolved", "lost"])))


def get_client_for(user: User, client_id: object) -> Client:
    try:
        return list_clients(user).get(pk=int(str(client_id)))
    except (Client.DoesNotExist, ValueError, TypeError):
        raise NotFound("client") from None


def list_contacts(user: User, *, client: Client | None = None) -> QuerySet[Contact]:
    qs = scope_to_user(Contact.objects.select_related("client"), user)
    return qs.filter(client=client) if client is not None else qs


def get_contact_for(user: User, contact_id: object) -> Contact:
    try:
        return list_contacts(user).get(pk=int(str(contact_id)))
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise NotFound("contact") from None


def list_engagements(user: User, *, client: Client | None = None) -> QuerySet[Engagement]:
    qs = scope_to_user(Engagement.objects.select_related("client"), user)
    return qs.filter(client=client) if client is not None else qs


def get_engagement_for(user: User, engagement_id: object) -> Engagement:
    try:
        return list_engagements(user).get(pk=int(str(engagement_id)))
    except (Engagement.DoesNotExist, ValueError, TypeError):
        raise NotFound("engagement") from None


# ---- the timeline ------------------------------------------------------------------------

# What a timeline entry can be filtered by: a communication's channel, or one of the two
# kinds of entries that are not communications.
COMM_CHANNELS = ("email", "call", "meeting", "note")
OTHER_KINDS = ("case", "client")
TIMELINE_KINDS = COMM_CHANNELS + OTHER_KINDS
TIMELINE_KIND_LABELS = {
    "email": "Emails",
    "call": "Calls",
    "meeting": "Meetings",
    "note": "Notes",
    "case": "Case events",
    "client": "Client record",
}
DIRECTIONS = ("in", "out", "internal", "auto")

# Entries written by `comms.actions.record_communication` point at their Communication.
_IS_COMM = Q(kind__startswith="comm.", subject_type="communication")


def _one_or_many(
    name: str, value: str | Iterable[str] | None, allowed: tuple[str, ...]
) -> set[str]:
    values = {value} if isinstance(value, str) else set(value or ())
    values.discard("")
    unknown = sorted(values - set(allowed))
    if unknown:
        raise ValidationError({name: f"“{unknown[0][:40]}” is not one of: {', '.join(allowed)}."})
    return values


def _with_contact(comms: QuerySet[Communication], contact: Contact) -> QuerySet[Communication]:
    """Communications with the contact: as their contact, or among a meeting's attendees.

    Attendees are a JSON list of {"name", "email", "contact"}; neither engine can index
    "any element has contact = N" portably, so the JSON text is matched instead, within
    the contact's own client only (both engines write `"contact": N` with that spacing).
    """
    pk = contact.pk
    return (
        comms.filter(client_id=contact.client_id)
        .annotate(attendees_text=Cast("attendees", TextField()))
        .filter(
            Q(contact=contact)
            | Q(attendees_text__contains=f'"contact": {pk}}}')
            | Q(attendees_text__contains=f'"contact": {pk},')
        )
    )


def list_timeline(
    user: User,
    *,
    client: Client | None = None,
    case: Any = None,
    contact: Contact | None = None,
    channel: str | Iterable[str] | None = None,
    direction: str | Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[TimelineEntry]:
    """Timeline entries in order, newest first, for what the user may see.

    `channel` keeps communications of those channels and, with "case" or "client", the
    entries that are not communications (about a case, or about the client record).
    `direction` and `contact` keep communications only. A communication is placed by its
    current case, direction and channel (it may have been edited since it was recorded).
    `since` and `until` are inclusive, `before` exclusive (the end of a day range).
    Callers pass `client`, `case` and `contact` fetched through permission-scoped reads.
    """
    channels = _one_or_many("channel", channel, TIMELINE_KINDS)
    directions = _one_or_many("direction", direction, DIRECTIONS)
    qs = scope_to_user(TimelineEntry.objects.select_related("actor", "case", "client"), user)
    if client is not None:
        qs = qs.filter(client=client)
    if case is not None:
        # Narrow to the case's client first: the (client, -at) index does the work.
        qs = qs.filter(client_id=case.client_id)
    if contact is not None:
        qs = qs.filter(client_id=contact.client_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lte=until)
    if before is not None:
        qs = qs.filter(at__lt=before)
    if not (case is not None or contact is not None or channels or directions):
        return qs

    comm_channels = channels & set(COMM_CHANNELS)
    other_kinds = channels & set(OTHER_KINDS)
    wanted = Q(pk__in=[])
    if comm_channels or not channels:
        comms = Communication.objects.all()
        if comm_channels:
            comms = comms.filter(channel__in=comm_channels)
        if directions:
            comms = comms.filter(direction__in=directions)
        if case is not None:
            comms = comms.filter(client_id=case.client_id, case=case)
        if contact is not None:
            comms = _with_contact(comms, contact)
        wanted |= _IS_COMM & Q(subject_id__in=comms.values("pk"))
    if (other_kinds or not channels) and not directions and contact is None:
        others = ~_IS_COMM
        if case is not None:
            others &= Q(case=case)
        if other_kinds == {"case"}:
            others &= Q(case__isnull=False)
        elif other_kinds == {"client"}:
            others &= Q(case__isnull=True)
        wanted |= others
    return qs.filter(wanted)


def day_range(
    first: date | None, last: date | None, tz_name: str
) -> tuple[datetime | None, datetime | None]:
    """The moments from the start of day `first` to the end of day `last` in the zone
    `tz_name` (as `since`, inclusive, and `before`, exclusive), for a date-range filter."""
    tz = ZoneInfo(tz_name)
    since = datetime.combine(first, time.min, tzinfo=tz) if first else None
    before = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz) if last else None
    return since, before


@dataclass
class EntryLinks:
    """What a timeline entry about a communication links to."""

    communication: Communication
    email_id: int | None = None
    thread_id: int | None = None


def with_links(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """The entries of one page, each with `.links` (an EntryLinks, or None when it is not
    about a communication): two queries for the whole page, whatever its size."""
    entries = list(entries)
    comm_ids = {e.subject_id for e in entries if e.subject_type == "communication" and e.subject_id}
    client_ids = {e.client_id for e in entries}
    comms: dict[int, Communication] = {}
    emails: dict[int, tuple[int, int]] = {}
    if comm_ids:
        # The body can be 20,000 characters: a page needs only its opening.
        found = (
            Communication.objects.filter(pk__in=comm_ids, client_id__in=client_ids)
            .select_related("contact", "case")
            .defer("summary")
            .annotate(snippet=Substr("summary", 1, 200))
        )
        comms = {c.pk: c for c in found}
        for comm_id, email_id, root_id in EmailMessage.objects.filter(
            communication_id__in=list(comms)
        ).values_list("communication_id", "pk", "thread_root_id"):
            emails[comm_id] = (email_id, root_id or email_id)
    for entry in entries:
        comm = comms.get(entry.subject_id or 0) if entry.subject_type == "communication" else None
        if comm is None:
            entry.links = None  # type: ignore[attr-defined]
            continue
        ids = emails.get(comm.pk)
        entry.links = EntryLinks(comm, *ids) if ids else EntryLinks(comm)  # type: ignore[attr-defined]
    return entries
