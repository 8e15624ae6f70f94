"""What lives inside a case, described once for actions, pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from amends.cases import models as m


@dataclass(frozen=True)
class Part:
    kind: str
    model: type[m.CaseChild]
    fields: tuple[str, ...]
    label: str
    plural: str
    describe: Callable[[Any], str]
    requirement: str  # the method requirement the part serves


def _local(when: Any, case: m.Case) -> str:
    """A time as the client reads it, with the zone named."""
    tz = case.client.timezone
    return f"{when.astimezone(ZoneInfo(tz)):%a %d %b %Y %H:%M} ({tz})"


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


PARTS: dict[str, Part] = {
    p.kind: p
    for p in [
        Part(
            "concern",
            m.Concern,
            ("text", "kind", "source", "communication", "raised_at", "status", "answer"),
            "concern",
            "concerns",
            lambda o: f"Concern: “{_clip(o.text)}”",
            "R5, R6",
        ),
        Part(
            "expectation",
            m.Expectation,
            (
                "expected_by_client",
                "expected_by_team",
                "delivered",
                "constraint",
                "constraint_reason",
                "agreed",
                "for_client",
            ),
            "expectation",
            "expectations",
            lambda o: f"Expectation: {_clip(o.expected_by_client)}",
            "R16",
        ),
        Part(
            "action",
            m.Action,
            (
                "title",
                "horizon",
                "owner",
                "deadline",
                "success_measure",
                "status",
                "concern",
                "expectation",
                "for_client",
            ),
            "action",
            "actions",
            lambda o: f"Action: {_clip(o.title)}",
            "R18",
        ),
        Part(
            "commitment",
            m.Commitment,
            ("what", "to_whom", "contact", "owner", "due_at", "status", "kept_at", "for_client"),
            "commitment",
            "commitments",
            lambda o: f"Promise to the client: {_clip(o.what)}",
            "R21",
        ),
        Part(
            "concession",
            m.Concession,
            ("kind", "description", "value", "cost", "currency", "status", "for_client"),
            "concession",
            "concessions",
            lambda o: f"Concession ({o.get_kind_display()}): {_clip(o.description)}",
            "R17",
        ),
        Part(
            "checkin",
            m.CheckIn,
            ("scheduled_at", "agenda", "held_at", "notes", "outcome", "for_client"),
            "check-in",
            "check-ins",
            lambda o: f"Check-in {_local(o.scheduled_at, o.case)}",
            "R19, R24, R26",
        ),
        Part(
            "milestone",
            m.Milestone,
            ("title", "due_on", "reached_at", "for_client"),
            "milestone",
            "milestones",
            lambda o: f"Milestone: {_clip(o.title)}",
            "R20",
        ),
        Part(
            "positive",
            m.Positive,
            ("text", "by_client", "noted_at"),
            "positive",
            "positives",
            lambda o: f"Positive: {_clip(o.text)}",
            "R25",
        ),
    ]
}


def part_for_model(obj: object) -> Part:
    for part in PARTS.values():
        if isinstance(obj, part.model):
            return part
    raise KeyError(type(obj).__name__)
