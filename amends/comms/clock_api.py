"""API: responsiveness clocks and tone trends (R1, R33), added to the root API in `amends.api`.

Durations are business time in the client's working hours, in whole seconds. The
definitions are in `comms/clocks.py` and docs/user-guide.md ("Responsiveness and tone").
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from amends.cases.queries import get_case_for
from amends.clients.queries import get_client_for
from amends.comms import clocks
from amends.core.api_support import READ_ERRORS, Id, actor

router = Router(tags=["Communications"])


class ClientRef(Schema):
    id: int
    name: str
    timezone: str


class AwaitingOut(Schema):
    communication: int
    client: int
    case: int | None
    channel: str
    subject: str
    received_at: datetime
    waiting_seconds: int


class ReplyOut(Schema):
    communication: int
    subject: str
    received_at: datetime
    replied_at: datetime
    seconds: int


class ReplyStatsOut(Schema):
    count: int
    median_seconds: int | None
    slowest: ReplyOut | None


class CaseFirstResponseOut(Schema):
    opened_at: datetime
    first_response_at: datetime | None
    running: bool
    seconds: int


class TonePointOut(Schema):
    week_start: date
    mean: float | None
    count: int


class ToneOut(Schema):
    weeks: list[TonePointOut]
    recent_mean: float | None
    recent_count: int
    earlier_mean: float | None
    earlier_count: int
    direction: str
    souring: bool
    reason: str


class ResponsivenessOut(Schema):
    client: ClientRef
    case: int | None
    computed_at: datetime
    window_start: datetime
    awaiting: list[AwaitingOut]
    oldest_waiting_seconds: int | None
    replies_30d: ReplyStatsOut
    first_responses_30d: ReplyStatsOut | None
    first_response: CaseFirstResponseOut | None
    tone: ToneOut


class OverviewOut(Schema):
    computed_at: datetime
    clients: list[ResponsivenessOut]


def _seconds(value: Any) -> int | None:
    return None if value is None else int(value.total_seconds())


def _stats(stats: clocks.ReplyStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    slowest = stats.slowest
    return {
        "count": stats.count,
        "median_seconds": _seconds(stats.median),
        "slowest": None
        if slowest is None
        else {
            "communication": slowest.message_id,
            "subject": slowest.subject,
            "received_at": slowest.received_at,
            "replied_at": slowest.replied_at,
            "seconds": _seconds(slowest.took),
        },
    }


def body(r: clocks.Responsiveness, now: datetime) -> dict[str, Any]:
    """The JSON body of one client's (or case's) clocks."""
    tone = r.tone
    case = r.case
    return {
        "client": {"id": r.client.pk, "name": r.client.name, "timezone": r.client.timezone},
        "case": case.pk if case is not None else None,
        "computed_at": now,
        "window_start": r.since or now - clocks.WINDOW,
        "awaiting": [
            {
                "communication": a.message.pk,
                "client": a.message.client_id,
                "case": a.message.case_id,
                "channel": a.message.channel,
                "subject": a.message.subject,
                "received_at": a.message.occurred_at,
                "waiting_seconds": _seconds(a.waiting),
            }
            for a in r.awaiting
        ],
        "oldest_waiting_seconds": _seconds(r.oldest_waiting),
        "replies_30d": _stats(r.replies),
        "first_responses_30d": _stats(r.first_responses),
        "first_response": None
        if case is None
        else {
            "opened_at": case.opened_at,
            "first_response_at": case.first_response_at,
            "running": r.case_first_response_running,
            "seconds": _seconds(r.case_first_response),
        },
        "tone": {
            "weeks": [vars(p) for p in tone.points],
            "recent_mean": tone.recent_mean,
            "recent_count": tone.recent_count,
            "earlier_mean": tone.earlier_mean,
            "earlier_count": tone.earlier_count,
            "direction": tone.direction,
            "souring": tone.souring,
            "reason": tone.reason,
        },
    }


@router.get(
    "/clients/{client_id}/responsiveness",
    response={200: ResponsivenessOut, **READ_ERRORS},
    summary="A client's responsiveness clocks and tone",
)
def client_responsiveness(request: HttpRequest, client_id: Id) -> dict[str, Any]:
    """Client messages awaiting our reply (oldest first, ages in business seconds), the
    median reply and first-response times over the last 30 days with the slowest, and the
    weekly tone of the client's messages over 12 weeks with its direction."""
    user = actor(request)
    client = get_client_for(user, client_id)
    now = timezone.now()
    return body(clocks.client_responsiveness(user, client, now), now)


@router.get(
    "/cases/{case_id}/responsiveness",
    response={200: ResponsivenessOut, **READ_ERRORS},
    summary="A case's responsiveness clocks and tone",
)
def case_responsiveness(request: HttpRequest, case_id: Id) -> dict[str, Any]:
    """The case's first-response clock, its client messages awaiting our reply, the median
    reply time over the last 30 days, and the weekly tone of its client messages."""
    user = actor(request)
    case = get_case_for(user, case_id)
    now = timezone.now()
    return body(clocks.case_responsiveness(user, case, now), now)


@router.get(
    "/responsiveness",
    response={200: OverviewOut, **READ_ERRORS},
    summary="Responsiveness across my clients",
)
def my_responsiveness(request: HttpRequest) -> dict[str, Any]:
    """The clocks of every client you can see (at most 200), the client with the oldest
    message awaiting our reply first."""
    user = actor(request)
    now = timezone.now()
    return {"computed_at": now, "clients": [body(r, now) for r in clocks.overview(user, now)]}
