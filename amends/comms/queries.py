"""Permission-scoped reads about communications, and the reply clocks (R1, R22)."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.clients.models import Client, is_public_mail_domain
from amends.comms.models import Communication, EmailMessage, UpcomingMeeting
from amends.core.errors import NotFound
from amends.core.timeclock import add_business_time, business_time_between

CHANNEL = Communication.Channel
DIRECTION = Communication.Direction


def our_addresses() -> set[str]:
    """The users' own addresses, lower-cased (a colleague's gmail.com address is ours)."""
    emails = User.objects.exclude(email="").values_list("email", flat=True)
    return {e.lower() for e in emails}


def our_domains() -> set[str]:
    """The firm's own email domains: setting AMENDS_OUR_DOMAINS (comma-separated), else
    the domains of the users' own addresses."""
    configured: list[str] = list(getattr(settings, "AMENDS_OUR_DOMAINS", []))
    domains = {d.strip().lower().lstrip("@") for d in configured if d.strip()}
    if domains:
        return domains
    # A colleague's gmail.com address is ours (`Matcher.users`); gmail.com is not.
    domains = {e.rsplit("@", 1)[1] for e in our_addresses() if "@" in e}
    return {d for d in domains if not is_public_mail_domain(d)}


def list_communications(
    user: User, *, client: Client | None = None, case: object = None
) -> QuerySet[Communication]:
    qs = scope_to_user(
        Communication.objects.select_related("client", "case", "contact", "person"), user
    )
    if client is not None:
        qs = qs.filter(client=client)
    if case is not None:
        qs = qs.filter(case=case)
    return qs


def get_communication_for(user: User, comm_id: object) -> Communication:
    try:
        return list_communications(user).get(pk=int(str(comm_id)))
    except (Communication.DoesNotExist, ValueError, TypeError):
        raise NotFound("communication") from None


def list_upcoming_meetings(
    user: User, now: datetime, *, client: Client | None = None
) -> QuerySet[UpcomingMeeting]:
    """Meetings from imported calendars still to come (or under way) with the clients
    `user` may see, soonest first (R22)."""
    qs = scope_to_user(UpcomingMeeting.objects.select_related("client", "contact", "person"), user)
    if client is not None:
        qs = qs.filter(client=client)
    return qs.filter(Q(starts_at__gte=now) | Q(ends_at__gt=now)).order_by("starts_at", "id")


def get_upcoming_for(user: User, meeting_id: object) -> UpcomingMeeting:
    """One upcoming meeting of a client `user` may see (whether or not its time is past)."""
    try:
        return scope_to_user(UpcomingMeeting.objects.select_related("client"), user).get(
            pk=int(str(meeting_id))
        )
    except (UpcomingMeeting.DoesNotExist, ValueError, TypeError):
        raise NotFound("upcoming meeting") from None


@dataclass
class ComingUp:
    """One thing planned with a client: a meeting from a calendar or a case's check-in."""

    at: datetime
    ends_at: datetime | None
    title: str
    meeting: UpcomingMeeting | None = None
    checkin: object = None  # a cases.CheckIn


def coming_up(user: User, client: Client, now: datetime, *, limit: int = 6) -> list[ComingUp]:
    """What is planned with `client` next, soonest first: the meetings in imported
    calendars and the open cases' check-ins not yet held (R22)."""
    from amends.cases.models import Case
    from amends.cases.queries import list_parts

    items = [
        ComingUp(m.starts_at, m.ends_at, m.title, meeting=m)
        for m in list_upcoming_meetings(user, now, client=client)[:limit]
    ]
    checkins = (
        list_parts(user, "checkin")
        .filter(case__client=client, held_at__isnull=True, scheduled_at__gte=now)
        .exclude(case__status__in=Case.CLOSED)
        .select_related("case")
        .order_by("scheduled_at")[:limit]
    )
    items += [
        ComingUp(c.scheduled_at, None, f"Check-in: {c.case.title}", checkin=c) for c in checkins
    ]
    items.sort(key=lambda item: item.at)
    return items[:limit]


@dataclass
class AwaitingReply:
    message: Communication
    waiting: timedelta  # in the client's business hours


def awaiting_reply(
    user: User, now: datetime, *, client: Client | None = None, case: object = None
) -> list[AwaitingReply]:
    """Client messages with no reply of ours after them, oldest first (R1)."""
    later_reply = Communication.objects.filter(
        client=OuterRef("client"),
        direction=DIRECTION.OUT,
        channel__in=[CHANNEL.EMAIL, CHANNEL.CALL, CHANNEL.MEETING],
        occurred_at__gte=OuterRef("occurred_at"),
        undelivered=False,  # returned by mail servers: the client never read it
    )
    qs = (
        list_communications(user, client=client, case=case)
        .filter(direction=DIRECTION.IN)
        .exclude(channel=CHANNEL.NOTE)
        .annotate(answered=Exists(later_reply))
        .filter(answered=False)
        .order_by("occurred_at")
    )
    return [
        AwaitingReply(m, business_time_between(m.occurred_at, now, m.client.working_hours))
        for m in qs[:200]
    ]


@dataclass
class MissingRecap:
    call: Communication
    due_at: datetime


# Calls and meetings older than this no longer ask for a recap on the lists of what needs
# attention: a recap weeks late is not something to do now, and a calendar imported with a
# year of history would otherwise bury this week's misses under hundreds of old ones.
RECAP_WINDOW = timedelta(days=14)


def calls_missing_recap(
    user: User,
    now: datetime,
    *,
    client: Client | None = None,
    case: object = None,
    within: timedelta | None = RECAP_WINDOW,
) -> list[MissingRecap]:
    """Calls and meetings with the client with no written recap within one working day
    (R22), held in the last `within` (None: whenever they were held)."""
    qs = list_communications(user, client=client, case=case)
    if within is not None:
        qs = qs.filter(occurred_at__gte=now - within)
    qs = (
        qs.filter(channel__in=[CHANNEL.CALL, CHANNEL.MEETING])
        .exclude(direction=DIRECTION.INTERNAL)
        .annotate(
            has_recap=Exists(
                Communication.objects.filter(
                    recap_of=OuterRef("pk"), channel=CHANNEL.EMAIL, direction=DIRECTION.OUT
                )
            )
        )
        .filter(has_recap=False)
        .order_by("occurred_at")
    )
    flagged = []
    for call in qs[:500]:
        hours = call.client.working_hours
        due = add_business_time(call.occurred_at, hours.day_length, hours)
        if due < now:
            flagged.append(MissingRecap(call, due))
    return flagged


def recap_was_late(recap: Communication) -> bool:
    """True when a recap went out more than one working day after its call."""
    call = recap.recap_of
    if call is None:
        return False
    hours = call.client.working_hours
    return recap.occurred_at > add_business_time(call.occurred_at, hours.day_length, hours)


NOT_DELIVERED_FOR = timedelta(days=14)
MAX_NOT_DELIVERED = 200


def not_delivered(user: User, now: datetime, *, client: Client | None = None) -> list[EmailMessage]:
    """Delivery failures of the last two weeks in mail with clients the user may see,
    newest first, but those after which someone wrote to the client again (R1, R33: an
    answer that never arrived leaves the client waiting)."""
    written_since = Communication.objects.filter(
        client=OuterRef("client"),
        direction=DIRECTION.OUT,
        channel=CHANNEL.EMAIL,
        occurred_at__gt=OuterRef("occurred_at"),
        undelivered=False,
    )
    returned = EmailMessage.objects.filter(
        client=OuterRef("client"), message_id=OuterRef("in_reply_to")
    ).exclude(message_id="")
    found = (
        list_emails(user, client=client)
        .filter(automatic="bounce", occurred_at__gte=now - NOT_DELIVERED_FOR, occurred_at__lte=now)
        .exclude(Exists(written_since))
        # The subject of the email it returns, when that email is stored too.
        .annotate(returned_subject=Subquery(returned.values("subject")[:1]))
        .order_by("-occurred_at", "-pk")
    )
    return list(found[:MAX_NOT_DELIVERED])


def list_emails(user: User, *, client: Client | None = None) -> QuerySet[EmailMessage]:
    """Imported emails matched to clients the user may see (unmatched ones are in triage)."""
    qs = scope_to_user(
        EmailMessage.objects.filter(client__isnull=False).select_related("client"), user
    )
    return qs.filter(client=client) if client is not None else qs


def get_email_for(user: User, email_id: object) -> EmailMessage:
    """One imported email the user may see; unmatched ones only for admins."""
    qs = list_emails(user) | list_unmatched(user)
    try:
        return qs.get(pk=int(str(email_id)))
    except (EmailMessage.DoesNotExist, ValueError, TypeError):
        raise NotFound("email") from None


def list_unmatched(user: User) -> QuerySet[EmailMessage]:
    """Imported emails no client matched (waiting in triage, or dismissed from it).
    Admins only, for now."""
    if not (user.is_authenticated and user.is_active and user.is_admin):
        return EmailMessage.objects.none()
    return EmailMessage.objects.filter(client__isnull=True).order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class ThreadClient:
    """The client whose mail a message in triage answers (by its headers)."""

    id: int
    name: str
    email: int  # the client's message it answers (nearest first)


# How many of a message's References are looked at (the nearest ones).
_HINT_REFERENCES = 20


def thread_clients(user: User, messages: Iterable[EmailMessage]) -> dict[int, ThreadClient]:
    """For messages waiting in triage (a page of them): the client each one answers by
    its headers — the message named by In-Reply-To, then by References from the
    nearest — among the emails `user` may see. A reply from someone no contact or
    domain matches (a client's colleague writing from home) is thus shown with the
    client whose thread it is in, to assign in one click; it is not placed by itself,
    since a forward to someone outside may carry the same headers. Two queries at most
    for a page; by message pk."""
    wanted: dict[int, list[str]] = {}
    for message in messages:
        if message.client_id is not None:
            continue
        references = message.references if isinstance(message.references, list) else []
        named = [message.in_reply_to, *reversed(references[-_HINT_REFERENCES:])]
        ids = list(dict.fromkeys(r for r in named if isinstance(r, str) and r))
        if ids:
            wanted[message.pk] = ids
    every = sorted({r for ids in wanted.values() for r in ids})
    known: dict[str, ThreadClient] = {}
    for start in range(0, len(every), 500):
        rows = (
            list_emails(user)
            .filter(message_id__in=every[start : start + 500])
            .order_by("occurred_at", "pk")
            .values_list("pk", "message_id", "client_id", "client__name")
        )
        for pk, message_id, client_id, name in rows:
            known.setdefault(message_id, ThreadClient(client_id, name, pk))
    found: dict[int, ThreadClient] = {}
    for pk, ids in wanted.items():
        hint = next((known[r] for r in ids if r in known), None)
        if hint is not None:
            found[pk] = hint
    return found


def list_triage(user: User, *, dismissed: bool = False) -> QuerySet[EmailMessage]:
    """The triage list: unmatched emails still waiting, newest first; or, with
    `dismissed`, those an admin set aside as no client's, most recently set aside first."""
    waiting = list_unmatched(user).filter(dismissed_at__isnull=not dismissed)
    return waiting.order_by("-dismissed_at", "-id") if dismissed else waiting


def waiting_selected(user: User, ids: Iterable[int]) -> tuple[list[EmailMessage], list[int]]:
    """The messages among `ids` still waiting in triage for `user` (oldest first, so
    that a thread's first message is placed before its replies), and the ids that are
    not (placed, dismissed, unknown, or not the user's to see)."""
    wanted = list(dict.fromkeys(ids))
    messages = list(list_triage(user).filter(pk__in=wanted).order_by("occurred_at", "pk"))
    there = {message.pk for message in messages}
    return messages, [pk for pk in wanted if pk not in there]


def waiting_with_domain(user: User, domain: str) -> list[int]:
    """The ids of the mail still waiting in triage that the domains panel counts for
    `domain`: mail to us from someone there, mail we sent to someone there."""
    domain = domain.strip().lower()
    rows = (
        list_triage(user)
        .order_by()
        .values_list("id", "direction", "from_address", *_RECIPIENT_COLUMNS)
    )
    found = []
    for pk, direction, sender, *lists in rows.iterator(chunk_size=2000):
        if direction == Communication.Direction.IN:
            addresses = [sender or ""]
        else:
            addresses = [a for listed in lists for a in (listed or []) if isinstance(a, str)]
        if any(a.rpartition("@")[2].lower() == domain for a in addresses if "@" in a):
            found.append(pk)
    return found


@dataclass(frozen=True)
class WaitingDomain:
    """A domain whose people the mail waiting in triage is with."""

    domain: str
    messages: int
    latest: datetime
    public: bool  # gmail.com and the like: never a client's domain


# The domain of an address (what follows its first "@", lower-cased; "" without one),
# and each address of a JSON list column as rows of `a.value`, in SQLite and PostgreSQL.
_DOMAIN_OF = {
    "sqlite": "CASE WHEN instr({0}, '@') > 0 THEN lower(substr({0}, instr({0}, '@') + 1)) END",
    "postgresql": (
        "CASE WHEN strpos({0}, '@') > 0 THEN lower(substr({0}, strpos({0}, '@') + 1)) END"
    ),
}
_EACH_ADDRESS = {
    "sqlite": "json_each(m.{0}) a",
    "postgresql": "jsonb_array_elements_text(m.{0}) a(value)",
}


def waiting_domains(user: User, limit: int = 8) -> list[WaitingDomain]:
    """Admins: the domains of the people the mail waiting in triage is with — the
    sender's of mail to us, every recipient's but ours of mail from us — those with the
    most messages first (a message counts once for each). Adding one to a client takes
    all of that mail there at once."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    waiting = (
        list_triage(user)
        .order_by()
        .values("id", "occurred_at", "direction", "from_address", *_RECIPIENT_COLUMNS)
    )
    try:
        inner, params = waiting.query.sql_with_params()
    except EmptyResultSet:  # not an admin: no waiting mail to see
        return []
    vendor = connection.vendor
    if vendor not in _DOMAIN_OF:  # pragma: no cover - the two engines Amends runs on
        raise NotImplementedError(vendor)
    domain_of = _DOMAIN_OF[vendor]
    parts = [
        f"SELECT m.id, m.occurred_at, {domain_of.format('m.from_address')} AS domain"  # noqa: S608
        " FROM m WHERE m.direction = %s"
    ]
    parts += [
        f"SELECT m.id, m.occurred_at, {domain_of.format('a.value')} AS domain"  # noqa: S608
        f" FROM m, {_EACH_ADDRESS[vendor].format(column)} WHERE m.direction = %s"
        for column in _RECIPIENT_COLUMNS
    ]
    ours = sorted(our_domains())
    not_ours = f" AND w.domain NOT IN ({', '.join(['%s'] * len(ours))})" if ours else ""
    sql = (
        f"WITH m AS ({inner})"  # noqa: S608 (our own SQL; values are parameters)
        " SELECT w.domain, COUNT(DISTINCT w.id), MAX(w.occurred_at)"
        f" FROM ({' UNION ALL '.join(parts)}) w"
        f" WHERE w.domain <> ''{not_ours}"
        " GROUP BY w.domain ORDER BY 2 DESC, w.domain LIMIT %s"
    )
    directions = [DIRECTION.IN] + [DIRECTION.OUT] * len(_RECIPIENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *directions, *ours, max(1, min(int(limit), 100))])
        rows = cursor.fetchall()
    # SQLite's driver gives the text it stores; psycopg an aware datetime.
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    return [
        WaitingDomain(
            d,
            count,
            convert(latest, None, connection) if convert else latest,
            is_public_mail_domain(d),
        )
        for d, count, latest in rows
    ]


_RECIPIENT_COLUMNS = ("to_addresses", "cc_addresses", "bcc_addresses")


def outside_recipients(
    message: EmailMessage, ours: set[str], users: Container[str] = (), shown: int = 3
) -> tuple[list[str], int]:
    """The first `shown` recipients (To, then Cc) of a message we sent who are neither at
    one of `ours` domains nor one of the `users`' addresses (those the triage is about),
    and how many more there are."""
    outside = [
        a
        for a in dict.fromkeys([*message.to_addresses, *message.cc_addresses])
        if isinstance(a, str)
        and a.lower() not in users
        and a.rsplit("@", 1)[-1].lower() not in ours
    ]
    return outside[:shown], max(0, len(outside) - shown)


def list_thread(user: User, message: EmailMessage) -> QuerySet[EmailMessage]:
    """The messages of `message`'s thread the user may see, oldest first."""
    root = message.thread_root_id or message.pk
    qs = list_unmatched(user) if message.client_id is None else list_emails(user)
    return qs.filter(thread_root_id=root).order_by("occurred_at", "id")
