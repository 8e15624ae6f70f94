"""API: The firm's playbook, editable by admins (R35): coach rule settings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema

from amends.core.api_support import (
    ADMIN_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Str,
    Version,
    actor,
)
from amends.playbook import actions
from amends.playbook.coaching import MAX_DRAFT, coach_case_draft
from amends.playbook.queries import RuleView, get_rule, list_rules

router = Router(tags=["Playbook"])


class CoachIn(Schema):
    text: Annotated[Str, Field(max_length=MAX_DRAFT)]
    case: Id | None = None
    kind: (
        Literal[
            "first_response",
            "full_response",
            "call_recap",
            "budget_note",
            "change_impact",
            "handoff_intro",
            "checkin_invitation",
            "free",
        ]
        | None
    ) = Field(
        None,
        description="The kind of message. Routine kinds (budget note, change impact, "
        "hand-off, check-in invitation, free) are not asked to apologise or to answer "
        "every open concern; omitted or a response kind gets every rule.",
    )


class FindingOut(Schema):
    rule: str
    severity: str
    start: int
    end: int
    text: str
    why: str
    requirement: str
    suggestion: str


class CoverageOut(Schema):
    concern: int
    text: str
    covered: bool
    evidence: str


class ReportOut(Schema):
    blocking: bool
    findings: list[FindingOut]
    coverage: list[CoverageOut]


class RuleOut(Schema):
    code: str
    title: str
    requirement: str
    why: str
    suggestion: str
    default_severity: str
    severity: str
    enabled: bool
    extra_phrases: list[str]
    extra_phrases_help: str
    note: str
    examples_bad: list[str]
    examples_good: list[str]
    version: int


class RulePatch(Schema):
    version: Version
    enabled: bool | None = None
    severity: Literal["", "block", "warn", "info"] | None = None
    extra_phrases: (
        Annotated[list[Annotated[Str, Field(max_length=200)]], Field(max_length=50)] | None
    ) = None
    note: Annotated[Str, Field(max_length=2000)] | None = None


def _rule_out(v: RuleView) -> dict[str, Any]:
    r, s = v.rule, v.setting
    return {
        "code": r.code,
        "title": r.title,
        "requirement": r.requirement,
        "why": r.why,
        "suggestion": r.suggestion,
        "default_severity": r.severity,
        "severity": v.severity,
        "enabled": s.enabled,
        "extra_phrases": list(s.extra_phrases or []),
        "extra_phrases_help": r.extra_phrases_help,
        "note": s.note,
        "examples_bad": list(r.examples_bad),
        "examples_good": list(r.examples_good),
        "version": s.version,
    }


@router.post("/coach", response={200: ReportOut, **WRITE_ERRORS}, summary="Coach a draft")
def coach(request: HttpRequest, payload: CoachIn) -> dict[str, Any]:
    """Check a draft reply against the coach's rules (R10–R13, R28), as tuned by the
    admins, and, with `case`, against that case's open concerns and questions (R6).
    Nothing is stored."""
    return coach_case_draft(actor(request), payload.text, payload.case, kind=payload.kind).as_dict()


def _admin(request: HttpRequest) -> None:
    if not actor(request).is_admin:
        raise PermissionDenied("Only an admin can see and tune the coach's rules.")


@router.get(
    "/coach/rules",
    response={200: list[RuleOut], **READ_ERRORS, 403: ADMIN_WRITE_ERRORS[403]},
    summary="List the coach's rules",
)
def coach_rules(request: HttpRequest) -> list[dict[str, Any]]:
    """Admins: every rule with its default text and what was tuned. Others get 403."""
    _admin(request)
    return [_rule_out(v) for v in list_rules()]


@router.patch(
    "/coach/rules/{code}",
    response={200: RuleOut, **ADMIN_WRITE_ERRORS},
    summary="Tune a coach rule",
)
def tune_coach_rule(request: HttpRequest, code: str, payload: RulePatch) -> dict[str, Any]:
    """Admins: turn a rule off or on, change its severity ("" = the rule's default), set
    its extra phrases (replacing the list) and a note. Send the `version` you read."""
    get_rule(code[:40])  # an unknown code is 404 for everyone (the codes are public)
    _admin(request)
    actions.tune_rule(
        actor(request),
        code[:40],
        version=payload.version,
        enabled=payload.enabled,
        severity=payload.severity,
        extra_phrases=payload.extra_phrases,
        note=payload.note,
    )
    return _rule_out(get_rule(code[:40]))
