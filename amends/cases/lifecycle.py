"""The case lifecycle as an explicit state machine (DESIGN.md).

Each move names where it may start, where it goes, and a precondition that returns the
list of what is missing in plain words; an empty list means the move may happen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import formats

from amends.cases.models import Action, Case, Commitment, Concern

S = Case.Status


def _when(dt: datetime) -> str:
    return formats.date_format(dt, "j M Y H:i")


def first_reply(case: Case) -> Any:
    """The first reply to the client on or after the case opened, if any."""
    from amends.comms.models import Communication

    qs = Communication.objects.filter(
        client_id=case.client_id,
        direction=Communication.Direction.OUT,
        occurred_at__gte=case.opened_at,
        undelivered=False,  # returned by mail servers: the client never read it
    ).exclude(channel=Communication.Channel.NOTE)
    qs = qs.filter(Q(case=case) | Q(case__isnull=True))
    return qs.order_by("occurred_at").first()


def concern_is_answered(concern: Concern) -> bool:
    if concern.status != Concern.Status.OPEN or concern.answer.strip():
        return True
    return any(a.status != Action.Status.DROPPED for a in concern.actions.all())


def _needs_reply(case: Case, now: datetime, params: dict[str, str]) -> list[str]:
    if case.first_response_at or first_reply(case):
        return []
    return [
        f"Record a reply to the client sent after the case opened ({_when(case.opened_at)}): "
        "an email, call or meeting to the client. This stops the first-response clock."
    ]


def _plan_is_agreed(case: Case, now: datetime, params: dict[str, str]) -> list[str]:
    missing: list[str] = []
    concerns = list(case.concerns.prefetch_related("actions"))
    if not concerns:
        missing.append("Record at least one of the client's concerns, in their words.")
    for concern in concerns:
        if not concern_is_answered(concern):
            missing.append(
                f"Concern “{concern!s}” is not answered: link an action to it or write the answer."
            )
    actions = [a for a in case.actions.all() if a.status != Action.Status.DROPPED]
    if not actions:
        missing.append("Add at least one action to the plan.")
    for action in actions:
        gaps = [
            name
            for name, ok in (
                ("an owner", action.owner_id),
                ("a deadline", action.deadline),
                ("a measure of success", action.success_measure.strip()),
            )
            if not ok
        ]
        if gaps:
            missing.append(f"Action “{action.title}” needs " + _and(gaps) + ".")
    if not case.checkins.filter(held_at__isnull=True, scheduled_at__gt=now).exists():
        missing.append("Schedule the next check-in with the client.")
    return missing


def _can_resolve(case: Case, now: datetime, params: dict[str, str]) -> list[str]:
    missing = [
        f"Promise “{c.what}” was due {_when(c.due_at)} and is still open: mark it kept or missed."
        for c in case.commitments.filter(status=Commitment.Status.PENDING, due_at__lt=now)
    ]
    if not (params.get("confirmation") or case.client_confirmation).strip():
        missing.append("Record how the client confirmed that the relationship is repaired.")
    return missing


def _has_reason(case: Case, now: datetime, params: dict[str, str]) -> list[str]:
    if (params.get("reason") or "").strip():
        return []
    return ["Say why the relationship was lost."]


def _nothing(case: Case, now: datetime, params: dict[str, str]) -> list[str]:
    return []


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


Check = Callable[[Case, datetime, dict[str, str]], list[str]]


@dataclass(frozen=True)
class Move:
    target: str
    sources: tuple[str, ...]
    label: str
    check: Check = _nothing
    params: tuple[str, ...] = field(default=())
    explanation: str = ""


OPEN_STATES = (S.OPEN, S.ACKNOWLEDGED, S.ASSESSING, S.AGREED, S.REBUILDING)

MOVES: tuple[Move, ...] = (
    Move(
        S.ACKNOWLEDGED,
        (S.OPEN,),
        "Acknowledge",
        _needs_reply,
        explanation="The client has had a real reply (R1).",
    ),
    Move(
        S.ASSESSING,
        (S.ACKNOWLEDGED, S.AGREED, S.REBUILDING),
        "Assess",
        explanation="Listen: capture concerns, establish what happened (R5–R9).",
    ),
    Move(
        S.AGREED,
        (S.ASSESSING,),
        "Agree the plan",
        _plan_is_agreed,
        explanation="Every concern answered, every action owned and dated (R6, R18).",
    ),
    Move(
        S.REBUILDING,
        (S.AGREED,),
        "Start rebuilding",
        explanation="Keep small promises and check in regularly (R21, R22).",
    ),
    Move(
        S.RESOLVED,
        (S.AGREED, S.REBUILDING),
        "Resolve",
        _can_resolve,
        ("confirmation",),
        explanation="No overdue promise and the client confirms (R21).",
    ),
    Move(
        S.LOST,
        OPEN_STATES,
        "Mark lost",
        _has_reason,
        ("reason",),
        explanation="The relationship ended; say why, for the post-mortem.",
    ),
    Move(
        S.ASSESSING, (S.RESOLVED, S.LOST), "Reopen", explanation="Trouble came back: listen again."
    ),
)


def moves_from(case: Case) -> list[Move]:
    return [m for m in MOVES if case.status in m.sources]


def find_move(case: Case, target: str) -> Move | None:
    return next((m for m in moves_from(case) if m.target == target), None)


def unmet(
    case: Case, target: str, now: datetime, params: dict[str, str] | None = None
) -> list[str]:
    """What is missing before `case` may move to `target` (empty: allowed)."""
    move = find_move(case, target)
    if move is None:
        allowed = ", ".join(sorted({m.target for m in moves_from(case)})) or "none"
        label = S(target).label if target in S.values else repr(target)
        state = case.get_status_display().lower()
        article = "An" if state[0] in "aeiou" else "A"
        return [f"{article} {state} case cannot move to {label}; possible moves: {allowed}."]
    return move.check(case, now, params or {})
