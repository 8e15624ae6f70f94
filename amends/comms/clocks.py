"""Responsiveness clocks and tone trends, per client and per case (R1, R33).

Every figure is a read for a user, through the permission-scoped queries, and counts the
client's business hours (their time zone and working days, `core.timeclock`).

Definitions (also in docs/user-guide.md, "Responsiveness and tone"):

- A **client message** is an inbound email, call or meeting (notes are not messages).
- **Our reply** to it is the first outbound email, call or meeting to the same client at
  or after it (any case, any thread: the client hears from us either way).
- **Awaiting our reply**: client messages with no reply yet; age = business time since.
- **Reply time** (30 days): for every client message received in the last 30 days that
  got a reply, the business time from it to our reply. We show the median, how many, and
  the slowest. Messages still waiting are not in it (they are in the awaiting list).
- **First response** for a client (30 days): the reply times of the client messages that
  *start a conversation* — the client's first message ever, or the first one after a
  reply of ours (so a follow-up sent while the client was already waiting does not
  restart the clock). For a case: business time from `opened_at` to `first_response_at`
  (still running while no first reply went out).
- **Tone trend**: mean tone of the client's inbound messages per week (weeks start on
  Monday in the client's time zone), last 12 weeks. **Souring** when the mean of the last
  4 weeks is at least 0.3 below the mean of the 8 weeks before, each with at least two
  scored messages.

Reads are bounded (`MAX_INBOUND`, `MAX_OUTBOUND`, `MAX_TONED`) and take a fixed number of
queries however many clients: the inbound in one query, the outbound in another, paired
in Python.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, Q

from amends.accounts.models import User
from amends.clients.models import Client
from amends.clients.queries import list_clients
from amends.comms.models import Communication
from amends.comms.queries import AwaitingReply, awaiting_reply, list_communications
from amends.core.timeclock import business_time_between, humanize_duration

WINDOW = timedelta(days=30)
TREND_WEEKS = 12
RECENT_WEEKS = 4
SOURING_DROP = 0.3
MIN_SCORED = 2
MAX_INBOUND = 5000
MAX_OUTBOUND = 20000
MAX_TONED = 10000
MAX_CLIENTS = 200

CHANNEL = Communication.Channel
DIRECTION = Communication.Direction
MESSAGE_CHANNELS = [CHANNEL.EMAIL, CHANNEL.CALL, CHANNEL.MEETING]


@dataclass(frozen=True)
class Reply:
    """One client message of the window and our reply to it."""

    message_id: int
    client_id: int
    subject: str
    received_at: datetime
    replied_at: datetime
    took: timedelta  # business time
    starts_conversation: bool


@dataclass
class ReplyStats:
    count: int = 0
    median: timedelta | None = None
    slowest: Reply | None = None

    @classmethod
    def of(cls, replies: list[Reply]) -> ReplyStats:
        if not replies:
            return cls()
        seconds = statistics.median(r.took.total_seconds() for r in replies)
        slowest = max(replies, key=lambda r: (r.took, r.received_at))
        return cls(len(replies), timedelta(seconds=round(seconds)), slowest)


@dataclass(frozen=True)
class TonePoint:
    week_start: date
    mean: float | None
    count: int

    @property
    def label(self) -> str:
        return _fmt(self.mean)


@dataclass
class ToneTrend:
    points: list[TonePoint]
    recent_mean: float | None = None
    recent_count: int = 0
    earlier_mean: float | None = None
    earlier_count: int = 0

    @property
    def direction(self) -> str:
        """souring, warming, steady, or unknown (too few scored messages to say)."""
        if self.recent_mean is None or self.earlier_mean is None:
            return "unknown"
        if self.recent_count < MIN_SCORED or self.earlier_count < MIN_SCORED:
            return "unknown"
        change = self.recent_mean - self.earlier_mean
        if change <= -SOURING_DROP:
            return "souring"
        if change >= SOURING_DROP:
            return "warming"
        return "steady"

    @property
    def souring(self) -> bool:
        return self.direction == "souring"

    @property
    def reason(self) -> str:
        """Why the direction is what it is, with the numbers."""
        recent = (
            f"{_fmt(self.recent_mean)} over {self.recent_count} message(s) "
            f"in the last {RECENT_WEEKS} weeks"
        )
        earlier = (
            f"{_fmt(self.earlier_mean)} over {self.earlier_count} "
            f"in the {TREND_WEEKS - RECENT_WEEKS} weeks before"
        )
        if self.direction == "unknown":
            return (
                f"Not enough scored client messages to tell ({recent}; {earlier}; "
                f"at least {MIN_SCORED} needed in each)."
            )
        return f"Mean tone {recent}, against {earlier}."

    @property
    def recent_label(self) -> str:
        return _fmt(self.recent_mean)

    @property
    def earlier_label(self) -> str:
        return _fmt(self.earlier_mean)

    @property
    def scored(self) -> int:
        return sum(p.count for p in self.points)


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:+.2f}"


@dataclass
class Responsiveness:
    """Every clock for one client, or one case of it."""

    client: Client
    awaiting: list[AwaitingReply]
    replies: ReplyStats
    tone: ToneTrend
    first_responses: ReplyStats | None = None  # per client
    case: Any = None
    case_first_response: timedelta | None = None  # per case
    case_first_response_running: bool = False
    since: datetime | None = None

    @property
    def oldest_waiting(self) -> timedelta | None:
        return max((a.waiting for a in self.awaiting), default=None)

    @property
    def has_activity(self) -> bool:
        """Something to show: a message waiting, a reply in the window, or a scored tone."""
        return bool(self.awaiting or self.replies.count or self.tone.scored)

    @property
    def oldest_waiting_label(self) -> str:
        oldest = self.oldest_waiting
        return humanize_duration(oldest) if oldest is not None else ""


@dataclass
class _Prior:
    last_in: datetime | None = None
    last_out: datetime | None = None


def _pair(
    user: User,
    clients: dict[int, Client],
    now: datetime,
    *,
    case: Any = None,
) -> dict[int, list[Reply]]:
    """Reply to every client message of the last 30 days, per client. Three queries."""
    since = now - WINDOW
    ids = list(clients)
    scoped = list_communications(user).filter(client_id__in=ids)
    inbound_qs = scoped.filter(
        direction=DIRECTION.IN, channel__in=MESSAGE_CHANNELS, occurred_at__gte=since
    ).filter(occurred_at__lte=now)
    if case is not None:
        inbound_qs = inbound_qs.filter(case=case)
    inbound = list(
        inbound_qs.order_by("-occurred_at", "-pk").values_list(
            "pk", "client_id", "subject", "occurred_at"
        )[:MAX_INBOUND]
    )
    inbound.reverse()
    outbound: dict[int, list[datetime]] = defaultdict(list)
    for client_id, at in (
        scoped.filter(
            direction=DIRECTION.OUT,
            channel__in=MESSAGE_CHANNELS,
            occurred_at__gte=since,
            occurred_at__lte=now,
            undelivered=False,  # returned by mail servers: no reply
        )
        .order_by("occurred_at")
        .values_list("client_id", "occurred_at")[:MAX_OUTBOUND]
    ):
        outbound[client_id].append(at)
    prior: dict[int, _Prior] = defaultdict(_Prior)
    if case is None:  # whether the window's first message starts a conversation
        for client_id, last_in, last_out in (
            scoped.filter(channel__in=MESSAGE_CHANNELS, occurred_at__lt=since)
            .values("client_id")
            .order_by()
            .annotate(
                last_in=Max("occurred_at", filter=Q(direction=DIRECTION.IN)),
                last_out=Max("occurred_at", filter=Q(direction=DIRECTION.OUT, undelivered=False)),
            )
            .values_list("client_id", "last_in", "last_out")
        ):
            prior[client_id] = _Prior(last_in, last_out)

    result: dict[int, list[Reply]] = defaultdict(list)
    previous: dict[int, datetime | None] = {}
    for pk, client_id, subject, at in inbound:
        outs = outbound[client_id]
        before = prior[client_id]
        prev_in = previous.get(client_id, before.last_in)
        previous[client_id] = at
        i = bisect_left(outs, at)
        if i == len(outs):
            continue  # still waiting: in the awaiting list, not in the reply times
        if prev_in is None:
            starts = True
        else:
            j = bisect_left(outs, prev_in)
            starts = (j < len(outs) and outs[j] <= at) or (
                before.last_out is not None and before.last_out >= prev_in
            )
        hours = clients[client_id].working_hours
        result[client_id].append(
            Reply(
                message_id=pk,
                client_id=client_id,
                subject=subject,
                received_at=at,
                replied_at=outs[i],
                took=business_time_between(at, outs[i], hours),
                starts_conversation=starts,
            )
        )
    return result


def _week_start(at: datetime, client: Client) -> date:
    local = at.astimezone(client.working_hours.tz).date()
    return local - timedelta(days=local.weekday())


def _tone_trends(
    user: User, clients: dict[int, Client], now: datetime, *, case: Any = None
) -> dict[int, ToneTrend]:
    """Weekly mean tone of each client's inbound messages over the last 12 weeks. One query."""
    qs = list_communications(user).filter(
        client_id__in=list(clients),
        direction=DIRECTION.IN,
        tone__isnull=False,
        occurred_at__gte=now - timedelta(weeks=TREND_WEEKS, days=1),
        occurred_at__lte=now,
    )
    if case is not None:
        qs = qs.filter(case=case)
    scores: dict[int, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for client_id, at, tone in qs.order_by("-occurred_at").values_list(
        "client_id", "occurred_at", "tone"
    )[:MAX_TONED]:
        scores[client_id][_week_start(at, clients[client_id])].append(float(tone or 0.0))
    trends = {}
    for client_id, client in clients.items():
        this_week = _week_start(now, client)
        weeks = [this_week - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
        by_week = scores.get(client_id, {})
        points = [
            TonePoint(w, round(statistics.fmean(v), 3) if v else None, len(v))
            for w in weeks
            for v in [by_week.get(w, [])]
        ]
        recent = [t for w in weeks[-RECENT_WEEKS:] for t in by_week.get(w, [])]
        earlier = [t for w in weeks[:-RECENT_WEEKS] for t in by_week.get(w, [])]
        trends[client_id] = ToneTrend(
            points,
            round(statistics.fmean(recent), 3) if recent else None,
            len(recent),
            round(statistics.fmean(earlier), 3) if earlier else None,
            len(earlier),
        )
    return trends


def tone_trend(user: User, client: Client, now: datetime, *, case: Any = None) -> ToneTrend:
    """The weekly tone of one client (or one case of it) the user may see."""
    return _tone_trends(user, {client.pk: client}, now, case=case)[client.pk]


def client_responsiveness(user: User, client: Client, now: datetime) -> Responsiveness:
    """The clocks of one client the user may see (fetched with `get_client_for`)."""
    clients = {client.pk: client}
    replies = _pair(user, clients, now)[client.pk]
    return Responsiveness(
        client=client,
        awaiting=awaiting_reply(user, now, client=client),
        replies=ReplyStats.of(replies),
        first_responses=ReplyStats.of([r for r in replies if r.starts_conversation]),
        tone=_tone_trends(user, clients, now)[client.pk],
        since=now - WINDOW,
    )


def case_responsiveness(user: User, case: Any, now: datetime) -> Responsiveness:
    """The clocks of one case the user may see (fetched with `get_case_for`): its client
    messages, the case's first-response clock, and the tone of its messages."""
    client = case.client
    clients = {client.pk: client}
    replies = _pair(user, clients, now, case=case)[client.pk]
    end = case.first_response_at or now
    return Responsiveness(
        client=client,
        case=case,
        awaiting=awaiting_reply(user, now, client=client, case=case),
        replies=ReplyStats.of(replies),
        tone=_tone_trends(user, clients, now, case=case)[client.pk],
        case_first_response=business_time_between(case.opened_at, end, client.working_hours),
        case_first_response_running=case.first_response_at is None and not case.is_closed,
        since=now - WINDOW,
    )


def overview(
    user: User,
    now: datetime,
    *,
    awaiting: list[AwaitingReply] | None = None,
    active_only: bool = False,
) -> list[Responsiveness]:
    """The clocks of every client the user may see (at most `MAX_CLIENTS`, those with the
    oldest waiting message first, then by name). Pass `awaiting` when already read;
    `active_only` leaves out clients with nothing to show."""
    clients = {c.pk: c for c in list_clients(user).order_by("name")[:MAX_CLIENTS]}
    if not clients:
        return []
    if awaiting is None:
        awaiting = awaiting_reply(user, now)
    waiting: dict[int, list[AwaitingReply]] = defaultdict(list)
    for item in awaiting:
        waiting[item.message.client_id].append(item)
    pairs = _pair(user, clients, now)
    trends = _tone_trends(user, clients, now)
    rows = [
        Responsiveness(
            client=client,
            awaiting=waiting.get(pk, []),
            replies=ReplyStats.of(pairs.get(pk, [])),
            first_responses=ReplyStats.of([r for r in pairs.get(pk, []) if r.starts_conversation]),
            tone=trends[pk],
            since=now - WINDOW,
        )
        for pk, client in clients.items()
    ]
    if active_only:
        rows = [r for r in rows if r.has_activity]
    rows.sort(key=lambda r: (r.oldest_waiting is None, -(r.oldest_waiting or timedelta(0))))
    return rows
