"""API: cases, their lifecycle, everything inside them, and what needs attention.

The records inside a case (concerns, expectations, actions, commitments, concessions,
check-ins, milestones, positives) get the same four operations each, registered from
`amends.cases.parts.PARTS` with the explicit schemas of `amends.cases.schemas`:
`GET/POST /cases/{case_id}/<kind>s` and `GET/PATCH /<kind>s/{part_id}`.

(No `from __future__ import annotations` in the API modules: ninja reads the views'
annotations at import time, and its `paginate` wrapper cannot resolve postponed ones.)
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from amends.accounts.models import User
from amends.cases import actions, lifecycle, queries
from amends.cases.models import Case, CaseChild, Commitment
from amends.cases.parts import PARTS, Part
from amends.cases.schemas import (
    PART_SCHEMAS,
    AttentionOut,
    CaseDetailOut,
    CaseFilter,
    CaseIn,
    CaseOut,
    CasePatch,
    CaseRef,
    CommitmentOut,
    KeptIn,
    MessageRef,
    MissedIn,
    TransitionIn,
)
from amends.clients.api import CaseTimelineFilter, TimelinePage, timeline_for
from amends.clients.queries import get_client_for
from amends.clients.schemas import TimelineEntryOut
from amends.core.api_support import READ_ERRORS, WRITE_ERRORS, Id, Page, actor
from amends.core.timeclock import humanize_duration

router = Router(tags=["Cases"])

# Explicit, engine-independent orderings (SQLite and PostgreSQL sort NULLs differently).
_PART_ORDER: dict[str, tuple[Any, ...]] = {
    "concern": ("raised_at", "id"),
    "expectation": ("created_at", "id"),
    "action": (F("deadline").asc(nulls_last=True), "id"),
    "commitment": ("due_at", "id"),
    "concession": ("created_at", "id"),
    "checkin": ("scheduled_at", "id"),
    "milestone": (F("due_on").asc(nulls_last=True), "id"),
    "positive": ("-noted_at", "-id"),
}


# --------------------------------------------------------------------- case detail


def _move(move: lifecycle.Move) -> dict[str, Any]:
    return {
        "to": str(move.target),
        "label": move.label,
        "params": list(move.params),
        "explanation": move.explanation,
    }


_RECORD_FIELDS = ("total", "kept_on_time", "kept_late", "missed", "overdue", "pending")


def case_detail(case: Case, now: datetime) -> dict[str, Any]:
    """The case with its first-response clock, promise record, guidance and moves."""
    clock = queries.first_response_clock(case, now)
    record = queries.promise_record(list(case.commitments.all()))
    guide = queries.guidance(case, now)
    return {
        **CaseOut.model_validate(case).model_dump(),
        "first_response_clock": {
            "running": clock.running,
            "elapsed_seconds": int(clock.elapsed.total_seconds()),
            "elapsed": humanize_duration(clock.elapsed),
        },
        "promises": {
            **{name: getattr(record, name) for name in _RECORD_FIELDS},
            "settled": record.settled,
            "on_time_share": record.on_time_share,
        },
        "guidance": {
            "headline": guide.headline,
            "next_move": _move(guide.next_move) if guide.next_move else None,
            "missing": guide.missing,
            "hints": [vars(step) for step in guide.hints],
        },
        "moves": [_move(m) for m in lifecycle.moves_from(case)],
    }


def _detail_for(user: User, case_id: int) -> dict[str, Any]:
    return case_detail(queries.get_case_for(user, case_id), timezone.now())


# --------------------------------------------------------------------------- cases


@router.get("/cases", response={200: list[CaseOut], **READ_ERRORS}, summary="List cases")
@paginate(Page)
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> QuerySet[Case]:
    """Cases on the clients you can see, most recently opened first. Filter by `client`
    (an id you cannot see answers 404), `status`, `open` and `search`."""
    user = actor(request)
    client = get_client_for(user, filters.client) if filters.client is not None else None
    return queries.list_cases(
        user,
        client=client,
        status=filters.status,
        open_only=filters.open,
        search=filters.search,
    )


@router.post("/cases", response={201: CaseDetailOut, **WRITE_ERRORS}, summary="Open a case")
def open_case(request: HttpRequest, payload: CaseIn) -> Status:
    """Open a case at the first sign of trouble: the first-response clock starts at
    `opened_at` (R1). The point of contact defaults to the client's owner (R2)."""
    user = actor(request)
    client = get_client_for(user, payload.client)
    fields = payload.model_dump(exclude={"client"}, exclude_none=True)
    case = actions.open_case(user, client, **fields)
    return Status(201, _detail_for(user, case.pk))


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **READ_ERRORS}, summary="Get a case")
def get_case(request: HttpRequest, case_id: Id) -> dict[str, Any]:
    """One case, with its first-response clock (business time), its promise record and
    on-time share (R21), the method's guidance — including exactly what the next move
    still needs — and the lifecycle moves it allows from its status."""
    return _detail_for(actor(request), case_id)


@router.patch(
    "/cases/{case_id}", response={200: CaseDetailOut, **WRITE_ERRORS}, summary="Edit a case"
)
def update_case(request: HttpRequest, case_id: Id, payload: CasePatch) -> dict[str, Any]:
    """Change the fields you send. A new point of contact is a hand-off, recorded on the
    timeline (R3)."""
    user = actor(request)
    case = queries.get_case_for(user, case_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    actions.update_case(user, case, version=payload.version, **fields)
    return _detail_for(user, case.pk)


@router.post(
    "/cases/{case_id}/transitions",
    response={200: CaseDetailOut, **WRITE_ERRORS},
    summary="Move a case along its lifecycle",
)
def transition_case(request: HttpRequest, case_id: Id, payload: TransitionIn) -> dict[str, Any]:
    """Move the case to `to` (see `moves` on the case for what is possible). When the
    method's preconditions are not met, nothing changes and the answer is 409
    `preconditions_unmet` with `missing`: exactly what must be done first. Moving to
    `lost` needs a `reason`; resolving needs the client's `confirmation` (unless one
    is already recorded). Send `version` to refuse the move if the case changed."""
    user = actor(request)
    case = queries.get_case_for(user, case_id)
    actions.transition_case(
        user,
        case,
        to=payload.to,
        version=payload.version,
        reason=payload.reason,
        confirmation=payload.confirmation,
    )
    return _detail_for(user, case.pk)


@router.get(
    "/cases/{case_id}/timeline",
    response={200: list[TimelineEntryOut], **READ_ERRORS},
    summary="A case's timeline",
)
@paginate(TimelinePage)
def case_timeline(
    request: HttpRequest, case_id: Id, filters: Query[CaseTimelineFilter]
) -> QuerySet[Any]:
    """Everything that happened on the case, newest first (R7): its messages, calls and
    meetings (with their `communication`, `email` and `thread` ids) and every step of the
    case. Filtered like a client's timeline; dates are the client's days."""
    user = actor(request)
    return timeline_for(user, filters, case=queries.get_case_for(user, case_id))


# ----------------------------------------------------------- records inside a case


def _register_part(part: Part) -> None:
    """Add list, add, get and edit operations for one kind of record inside a case."""
    kind, plural = part.kind, f"{part.kind}s"
    schemas = PART_SCHEMAS[kind]
    create_schema, patch_schema, out_schema = schemas.create, schemas.patch, schemas.out
    label = part.label
    about = f"({part.requirement})"

    def listed(user: User, case: Case | None = None) -> QuerySet[Any]:
        qs = queries.list_parts(user, kind, case=case)
        if kind == "concern":
            qs = qs.prefetch_related("actions")
        return qs.order_by(*_PART_ORDER[kind])

    @router.get(
        f"/cases/{{case_id}}/{plural}",
        response={200: list[out_schema], **READ_ERRORS},  # type: ignore[valid-type]
        summary=f"List a case's {label}s",
        description=f"The {label}s of the case {about}.",
        operation_id=f"list_{plural}",
        url_name=f"list_{plural}",
    )
    @paginate(Page)
    def list_view(request: HttpRequest, case_id: Id) -> QuerySet[Any]:
        user = actor(request)
        return listed(user, queries.get_case_for(user, case_id))

    @router.post(
        f"/cases/{{case_id}}/{plural}",
        response={201: out_schema, **WRITE_ERRORS},
        summary=f"Add a {label}",
        description=(
            f"Record a {label} in the case {about}; it goes on the timeline. Linked records "
            "(owner, contact, concern, expectation, communication) must belong to the "
            "case's client and team: 422 otherwise."
        ),
        operation_id=f"add_{kind}",
        url_name=f"add_{kind}",
    )
    def create_view(request: HttpRequest, case_id: Id, payload: create_schema) -> Status:  # type: ignore[valid-type]
        user = actor(request)
        case = queries.get_case_for(user, case_id)
        # Only what the client sent: the model's own defaults apply to the rest.
        fields = payload.model_dump(exclude_unset=True, exclude_none=True)  # type: ignore[attr-defined]
        obj = actions.add_to_case(user, case, kind, **fields)
        return Status(201, listed(user).get(pk=obj.pk))

    @router.get(
        f"/{plural}/{{part_id}}",
        response={200: out_schema, **READ_ERRORS},
        summary=f"Get a {label}",
        description=f"One {label} {about}, in a case you can see.",
        operation_id=f"get_{kind}",
        url_name=f"get_{kind}",
    )
    def get_view(request: HttpRequest, part_id: Id) -> CaseChild:
        return queries.get_part_for(actor(request), kind, part_id)

    @router.patch(
        f"/{plural}/{{part_id}}",
        response={200: out_schema, **WRITE_ERRORS},
        summary=f"Edit a {label}",
        description=(
            f"Change the fields of the {label} you send, given the `version` you read "
            "(409 `stale_edit` if it changed since). A status change goes on the timeline."
        ),
        operation_id=f"update_{kind}",
        url_name=f"update_{kind}",
    )
    def update_view(request: HttpRequest, part_id: Id, payload: patch_schema) -> CaseChild:  # type: ignore[valid-type]
        user = actor(request)
        obj = queries.get_part_for(user, kind, part_id)
        fields = payload.model_dump(exclude_unset=True, exclude={"version"})  # type: ignore[attr-defined]
        actions.update_in_case(user, obj, version=payload.version, **fields)  # type: ignore[attr-defined]
        return listed(user).get(pk=obj.pk)


for _part in PARTS.values():
    _register_part(_part)


def _commitment_for(user: User, commitment_id: int) -> Commitment:
    return queries.get_part_for(user, "commitment", commitment_id)  # type: ignore[return-value]


@router.post(
    "/commitments/{commitment_id}/kept",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="Mark a promise kept",
)
def mark_commitment_kept(
    request: HttpRequest, commitment_id: Id, payload: KeptIn | None = None
) -> CaseChild:
    """The promise was kept `at` (default: now): on time if no later than it was due
    (R21). Send `version` to refuse it if the commitment changed since you read it."""
    user = actor(request)
    payload = payload or KeptIn()
    commitment = _commitment_for(user, commitment_id)
    actions.mark_commitment_kept(user, commitment, version=payload.version, at=payload.at)
    return queries.get_part_for(user, "commitment", commitment.pk)


@router.post(
    "/commitments/{commitment_id}/missed",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="Mark a promise missed",
)
def mark_commitment_missed(
    request: HttpRequest, commitment_id: Id, payload: MissedIn | None = None
) -> CaseChild:
    """The promise was not kept (R21). Say so to the client, and make a smaller one."""
    user = actor(request)
    payload = payload or MissedIn()
    commitment = _commitment_for(user, commitment_id)
    actions.mark_commitment_missed(user, commitment, version=payload.version)
    return queries.get_part_for(user, "commitment", commitment.pk)


# ---------------------------------------------------------------- needs attention


def _case_ref(case: Case) -> dict[str, Any]:
    return CaseRef.model_validate(case).model_dump()


def _message_ref(message: Any) -> dict[str, Any]:
    return MessageRef.model_validate(message).model_dump()


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def _due(when: datetime, now: datetime) -> str:
    if when <= now:
        return f"overdue by {humanize_duration(now - when)}"
    return f"due in {humanize_duration(when - now)}"


def attention_body(user: User, now: datetime) -> dict[str, Any]:
    """The "needs attention" lists for `user`, with ages in seconds and in words."""
    att = queries.needs_attention(user, now)
    return {
        "total": att.total,
        "clocks": [
            {
                "case": _case_ref(case),
                "elapsed_seconds": _seconds(elapsed),
                "elapsed": humanize_duration(elapsed),
            }
            for case, elapsed in att.clocks
        ],
        "awaiting_reply": [
            {
                "message": _message_ref(item.message),
                "waiting_seconds": _seconds(item.waiting),
                "waiting": humanize_duration(item.waiting),
            }
            for item in att.awaiting_reply
        ],
        "not_delivered": [
            {
                "email": m.pk,
                "client": m.client_id,
                "subject": getattr(m, "returned_subject", None) or m.subject,
                "undelivered": m.undelivered,
                "returned_at": m.occurred_at,
            }
            for m in att.not_delivered
        ],
        "commitments": [
            {
                "id": c.pk,
                "case": _case_ref(c.case),
                "what": c.what,
                "owner": c.owner_id,
                "due_at": c.due_at,
                "outcome": c.outcome,
                "overdue_seconds": _seconds(now - c.due_at),
                "due": _due(c.due_at, now),
            }
            for c in att.commitments
        ],
        "actions_overdue": [
            {
                "id": a.pk,
                "case": _case_ref(a.case),
                "title": a.title,
                "owner": a.owner_id,
                "deadline": a.deadline,
                "overdue_days": (now.date() - a.deadline).days if a.deadline else 0,
            }
            for a in att.actions_overdue
        ],
        "checkins_due": [
            {
                "id": ci.pk,
                "case": _case_ref(ci.case),
                "scheduled_at": ci.scheduled_at,
                "overdue_seconds": _seconds(now - ci.scheduled_at),
                "due": _due(ci.scheduled_at, now),
            }
            for ci in att.checkins_due
        ],
        "missing_recaps": [
            {
                "call": _message_ref(item.call),
                "recap_due_at": item.due_at,
                "overdue_seconds": _seconds(now - item.due_at),
                "overdue": humanize_duration(now - item.due_at),
            }
            for item in att.missing_recaps
        ],
        "agreed_without_checkin": [_case_ref(case) for case in att.agreed_without_checkin],
    }


@router.get(
    "/me/attention",
    response={200: AttentionOut, **READ_ERRORS},
    summary="What needs my attention",
    tags=["People and tokens"],
)
def my_attention(request: HttpRequest) -> dict[str, Any]:
    """Everything you should act on now across the clients you can see: first-response
    clocks still running, client messages awaiting a reply, promises and check-ins due,
    overdue actions, calls without a recap, and agreed cases with no next check-in.
    Ages are given in seconds and in words; clocks and waits count business time."""
    return attention_body(actor(request), timezone.now())
