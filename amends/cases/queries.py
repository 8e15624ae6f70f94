"""Permission-scoped reads about cases, their clocks, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.cases import lifecycle
from amends.cases.models import Action, Case, CaseChild, CheckIn, Commitment, Concern
from amends.cases.parts import PARTS
from amends.clients.models import Client
from amends.core.errors import NotFound
from amends.core.timeclock import business_time_between

S = Case.Status


def list_cases(
    user: User,
    *,
    client: Client | None = None,
    status: str | None = None,
    open_only: bool = False,
    search: str = "",
) -> QuerySet[Case]:
    qs = scope_to_user(Case.objects.all(), user).select_related(
        "client", "point_of_contact", "engagement"
    )
    if client is not None:
        qs = qs.filter(client=client)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status__in=Case.CLOSED)
    if search:
        qs = qs.filter(Q(title__icontains=search[:100]) | Q(client__name__icontains=search[:100]))
    return qs


def get_case_for(user: User, case_id: object) -> Case:
    try:
        return list_cases(user).get(pk=int(str(case_id)))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound("case") from None


def list_parts(user: User, kind: str, *, case: Case | None = None) -> QuerySet[Any]:
    part = PARTS.get(kind)
    if part is None:
        raise NotFound(kind)
    qs = scope_to_user(part.model._default_manager.select_related("case"), user, "case__client")
    return qs.filter(case=case) if case is not None else qs


def get_part_for(user: User, kind: str, part_id: object) -> CaseChild:
    qs = list_parts(user, kind)
    try:
        return qs.get(pk=int(str(part_id)))
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(kind) from None


@dataclass
class FirstResponseClock:
    running: bool
    elapsed: timedelta  # business time since the first sign of trouble (or until the reply)


def first_response_clock(case: Case, now: datetime) -> FirstResponseClock:
    hours = case.client.working_hours
    end = case.first_response_at or now
    return FirstResponseClock(
        running=case.first_response_at is None and not case.is_closed,
        elapsed=business_time_between(case.opened_at, end, hours),
    )


@dataclass
class PromiseRecord:
    """How the firm keeps its small promises (R21): the share kept on time."""

    total: int = 0
    kept_on_time: int = 0
    kept_late: int = 0
    missed: int = 0
    overdue: int = 0
    pending: int = 0

    @property
    def settled(self) -> int:
        return self.kept_on_time + self.kept_late + self.missed + self.overdue

    @property
    def on_time_share(self) -> float | None:
        return self.kept_on_time / self.settled if self.settled else None


def promise_record(commitments: list[Commitment]) -> PromiseRecord:
    record = PromiseRecord(total=len(commitments))
    for c in commitments:
        setattr(record, c.outcome, getattr(record, c.outcome) + 1)
    return record


@dataclass
class Step:
    text: str
    requirement: str = ""
    done: bool = False


@dataclass
class Guidance:
    """What the method asks next, derived from the case's state and preconditions."""

    headline: str
    next_move: lifecycle.Move | None
    missing: list[str] = field(default_factory=list)
    hints: list[Step] = field(default_factory=list)


_FORWARD = {
    S.OPEN: S.ACKNOWLEDGED,
    S.ACKNOWLEDGED: S.ASSESSING,
    S.ASSESSING: S.AGREED,
    S.AGREED: S.REBUILDING,
    S.REBUILDING: S.RESOLVED,
}
_HEADLINES = {
    S.OPEN: "Reply to the client now: thank them, say sorry, and say when you will be back.",
    S.ACKNOWLEDGED: "Listen before solving: capture what the client said, in their words.",
    S.ASSESSING: "Agree a measurable plan with the client.",
    S.AGREED: "Start delivering: small promises, kept on time.",
    S.REBUILDING: "Keep promises, check in regularly, report progress.",
    S.RESOLVED: "Resolved. Run the blameless review so it does not happen again.",
    S.LOST: "Lost. Run the blameless review so the firm learns from it.",
}


def guidance(case: Case, now: datetime) -> Guidance:
    target = _FORWARD.get(S(case.status))
    move = lifecycle.find_move(case, target) if target else None
    missing = lifecycle.unmet(case, target, now) if target else []
    if target == S.RESOLVED:
        # The confirmation is given with the move itself; only say so when all else is done.
        missing = [m for m in missing if "confirmed" not in m] or missing
    hints: list[Step] = []
    if case.status in (S.ACKNOWLEDGED, S.ASSESSING):
        hints += [
            Step(
                "Capture each concern verbatim, with where it was said.",
                "R5",
                case.concerns.exists(),
            ),
            Step(
                "Record what the client expected, what the team expected, and what was delivered.",
                "R16",
                case.expectations.exists(),
            ),
            Step("Prefer a prepared 30-minute call to a long email.", "R14"),
        ]
    if case.status in (S.AGREED, S.REBUILDING):
        hints += [
            Step(
                "Make small promises and keep them on time.",
                "R21",
                case.commitments.filter(status=Commitment.Status.KEPT).exists(),
            ),
            Step("Note what goes well and say it out loud.", "R25", case.positives.exists()),
            Step(
                "Always have the next check-in scheduled.",
                "R19",
                case.checkins.filter(held_at__isnull=True, scheduled_at__gt=now).exists(),
            ),
        ]
    return Guidance(_HEADLINES[S(case.status)], move, missing, hints)


@dataclass
class Attention:
    """Everything on the "Needs attention" home page for one user."""

    clocks: list[tuple[Case, timedelta]] = field(default_factory=list)
    awaiting_reply: list[Any] = field(default_factory=list)
    not_delivered: list[Any] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)
    actions_overdue: list[Action] = field(default_factory=list)
    checkins_due: list[CheckIn] = field(default_factory=list)
    missing_recaps: list[Any] = field(default_factory=list)
    agreed_without_checkin: list[Case] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(v) for v in vars(self).values())


def needs_attention(user: User, now: datetime, *, soon: timedelta = timedelta(days=2)) -> Attention:
    """What the user should act on now, across the clients they may see."""
    from amends.comms.queries import awaiting_reply, calls_missing_recap, not_delivered

    open_cases = list_cases(user, open_only=True)
    att = Attention()
    for case in open_cases.filter(first_response_at__isnull=True).order_by("opened_at"):
        att.clocks.append((case, first_response_clock(case, now).elapsed))
    att.awaiting_reply = awaiting_reply(user, now)
    att.not_delivered = not_delivered(user, now)
    att.commitments = list(
        list_parts(user, "commitment")
        .filter(status=Commitment.Status.PENDING, due_at__lte=now + soon)
        .exclude(case__status__in=Case.CLOSED)
        .select_related("case__client", "owner")
        .order_by("due_at")
    )
    att.actions_overdue = list(
        list_parts(user, "action")
        .filter(status__in=Action.OPEN_STATUSES, deadline__lt=now.date())
        .exclude(case__status__in=Case.CLOSED)
        .select_related("case__client", "owner")
        .order_by("deadline")
    )
    att.checkins_due = list(
        list_parts(user, "checkin")
        .filter(held_at__isnull=True, scheduled_at__lte=now + soon)
        .exclude(case__status__in=Case.CLOSED)
        .select_related("case__client")
        .order_by("scheduled_at")
    )
    att.missing_recaps = calls_missing_recap(user, now)
    upcoming = CheckIn.objects.filter(
        case=OuterRef("pk"), held_at__isnull=True, scheduled_at__gt=now
    )
    att.agreed_without_checkin = list(
        open_cases.filter(status__in=[S.AGREED, S.REBUILDING])
        .annotate(has_next=Exists(upcoming))
        .filter(has_next=False)
    )
    return att


def open_concerns(case: Case) -> list[Concern]:
    return [
        c for c in case.concerns.prefetch_related("actions") if not lifecycle.concern_is_answered(c)
    ]
