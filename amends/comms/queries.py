"""Permission-scoped reads about communications, and the reply clocks (R1, R22)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.clients.models import Client
from amends.comms.models import Communication, EmailMessage, UpcomingMeeting
from amends.core.errors import NotFound
from amends.core.timeclock import add_business_time, business_time_between

CHANNEL = Communication.Channel
DIRECTION = Communication.Direction


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
    """Imported emails no client matched, waiting in triage. Admins only, for now."""
    if not (user.is_authenticated and user.is_active and user.is_admin):
        return EmailMessage.objects.none()
    return EmailMessage.objects.filter(client__isnull=True).order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class WaitingDomain:
    """A domain whose people wrote the mail waiting in triage."""

    domain: str
    messages: int
    latest: datetime
    public: bool  # gmail.com and the like: never a client's domain


def waiting_domains(user: User, limit: int = 8) -> list[WaitingDomain]:
    """Admins: the domains of the senders of the mail waiting in triage, those with the
    most messages first: adding one to a client takes all of it there at once."""
    from django.db.models import Count, Max, Value
    from django.db.models.functions import Lower, StrIndex, Substr

    from amends.clients.models import is_public_mail_domain

    domain = Lower(Substr("from_address", StrIndex("from_address", Value("@")) + 1))
    rows = (
        list_unmatched(user)
        .filter(direction=DIRECTION.IN, from_address__contains="@")
        .annotate(domain=domain)
        .order_by()
        .values("domain")
        .annotate(messages=Count("pk"), latest=Max("occurred_at"))
        .order_by("-messages", "domain")[: max(1, min(int(limit), 100))]
    )
    return [
        WaitingDomain(r["domain"], r["messages"], r["latest"], is_public_mail_domain(r["domain"]))
        for r in rows
        if r["domain"]
    ]


def list_thread(user: User, message: EmailMessage) -> QuerySet[EmailMessage]:
    """The messages of `message`'s thread the user may see, oldest first."""
    root = message.thread_root_id or message.pk
    qs = list_unmatched(user) if message.client_id is None else list_emails(user)
    return qs.filter(thread_root_id=root).order_by("occurred_at", "id")
