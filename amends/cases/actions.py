"""Every write about cases and what lives inside them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import is_on_team
from amends.cases import lifecycle
from amends.cases.models import Action, Case, CaseChild, Commitment, Concern, Expectation
from amends.cases.parts import PARTS, part_for_model
from amends.clients.actions import record_timeline
from amends.clients.models import Client, Contact, Engagement
from amends.core.errors import PreconditionsUnmet, ValidationError
from amends.core.models import update_versioned
from amends.search.actions import index_object

CASE_FIELDS = {"title", "summary", "severity", "point_of_contact", "engagement", "opened_at"}
_FUTURE_SLACK = timedelta(minutes=5)


def _resolve_links(case: Case, fields: dict[str, Any]) -> dict[str, Any]:
    """Turn ids into objects and prove each link stays inside this case's client."""
    out = dict(fields)
    for name in ("owner", "point_of_contact"):
        if name in out and out[name] is not None:
            user = (
                out[name]
                if isinstance(out[name], User)
                else (User.objects.filter(pk=_int(name, out[name]), is_active=True).first())
            )
            if user is None or not is_on_team(user, case.client_id):
                raise ValidationError({name: "Choose someone on this client's team."})
            out[name] = user
    for name, model, scope in (
        ("concern", Concern, {"case": case}),
        ("expectation", Expectation, {"case": case}),
        ("contact", Contact, {"client_id": case.client_id}),
        ("engagement", Engagement, {"client_id": case.client_id}),
    ):
        if name in out and out[name] is not None:
            pk = out[name].pk if hasattr(out[name], "pk") else _int(name, out[name])
            obj = model._default_manager.filter(pk=pk, **scope).first()
            if obj is None:
                raise ValidationError({name: f"That {name} is not part of this case."})
            out[name] = obj
    if "communication" in out and out["communication"] is not None:
        from amends.comms.models import Communication

        value = out["communication"]
        pk = value.pk if hasattr(value, "pk") else _int("communication", value)
        comm = Communication.objects.filter(pk=pk, client_id=case.client_id).first()
        if comm is None:
            raise ValidationError({"communication": "That message is not from this client."})
        out["communication"] = comm
    return out


def _int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: "Expected an id."}) from None


def _not_in_future(name: str, value: datetime | None) -> None:
    if value is not None and value > timezone.now() + _FUTURE_SLACK:
        raise ValidationError({name: "This cannot be in the future."})


@transaction.atomic
def open_case(actor: User, client: Client, **fields: Any) -> Case:
    """Open a case at the first sign of trouble; the first-response clock starts (R1)."""
    unknown = set(fields) - CASE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    fields.setdefault("point_of_contact", client.owner)
    fields.setdefault("opened_at", timezone.now())
    if fields.get("point_of_contact") is None:
        fields["point_of_contact"] = client.owner
    probe = Case(client=client)
    fields = _resolve_links(probe, fields)
    _not_in_future("opened_at", fields["opened_at"])
    case = Case(client=client, created_by=actor, status_changed_at=timezone.now(), **fields)
    case.full_clean()
    case.save()
    record_timeline(
        client=client,
        case=case,
        actor=actor,
        kind="case.opened",
        at=case.opened_at,
        summary=f"Case opened: {case.title} ({case.get_severity_display()})",
        subject=case,
    )
    reply = lifecycle.first_reply(case)
    if reply is not None:
        update_versioned(case, None, first_response_at=reply.occurred_at)
    index_object(case)
    return case


@transaction.atomic
def update_case(actor: User, case: Case, *, version: int | None, **fields: Any) -> Case:
    """Change a case's details. A new point of contact is a hand-off, on the timeline (R3)."""
    unknown = set(fields) - CASE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    if "point_of_contact" in fields and fields["point_of_contact"] is None:
        raise ValidationError({"point_of_contact": "A case always has a point of contact."})
    fields = _resolve_links(case, fields)
    _not_in_future("opened_at", fields.get("opened_at"))
    old_poc = Case.objects.select_related("point_of_contact").get(pk=case.pk).point_of_contact
    update_versioned(case, version, **fields)
    if case.point_of_contact_id != old_poc.pk:
        record_timeline(
            client=case.client,
            case=case,
            actor=actor,
            kind="case.handoff",
            summary=f"Point of contact handed from {old_poc} to {case.point_of_contact}",
            subject=case,
        )
    index_object(case)
    return case


@transaction.atomic
def transition_case(
    actor: User,
    case: Case,
    *,
    to: str,
    version: int | None = None,
    reason: str = "",
    confirmation: str = "",
    now: datetime | None = None,
) -> Case:
    """Move a case along its lifecycle, or raise PreconditionsUnmet saying what is missing."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    if version is not None and int(version) != case.version:
        from amends.core.errors import StaleEdit

        raise StaleEdit("case", case.pk, int(version), case.version)
    params = {"reason": reason.strip()[:5000], "confirmation": confirmation.strip()[:5000]}
    missing = lifecycle.unmet(case, to, now, params)
    if missing:
        raise PreconditionsUnmet(to, missing)
    old = case.get_status_display()
    changes: dict[str, Any] = {"status": to, "status_changed_at": now}
    if to == Case.Status.ACKNOWLEDGED and case.first_response_at is None:
        reply = lifecycle.first_reply(case)
        changes["first_response_at"] = reply.occurred_at if reply else now
    if to == Case.Status.LOST:
        changes.update(lost_reason=params["reason"], closed_at=now)
    if to == Case.Status.RESOLVED:
        changes["closed_at"] = now
        if params["confirmation"]:
            changes.update(client_confirmation=params["confirmation"], client_confirmed_at=now)
    if to not in Case.CLOSED:
        changes["closed_at"] = None
    update_versioned(case, None, **changes)
    summary = f"Status: {old} → {case.get_status_display()}"
    if to == Case.Status.LOST:
        summary += f" — {params['reason'][:300]}"
    record_timeline(
        client=case.client,
        case=case,
        actor=actor,
        kind=f"case.{to}",
        at=now,
        summary=summary,
        subject=case,
    )
    return case


def _normalise(part_kind: str, fields: dict[str, Any], obj: CaseChild | None) -> dict[str, Any]:
    """Keep status and its timestamp consistent (kept → kept_at, done → done_at)."""
    now = timezone.now()
    if part_kind == "commitment":
        status = fields.get("status", getattr(obj, "status", Commitment.Status.PENDING))
        if status == Commitment.Status.KEPT and not (
            fields.get("kept_at") or getattr(obj, "kept_at", None)
        ):
            fields["kept_at"] = now
        if status != Commitment.Status.KEPT and "status" in fields:
            fields["kept_at"] = None
        _not_in_future("kept_at", fields.get("kept_at"))
    if part_kind == "action" and "status" in fields:
        fields["done_at"] = now if fields["status"] == Action.Status.DONE else None
    answered_now = part_kind == "concern" and (fields.get("answer") or "").strip()
    if answered_now and "status" not in fields and getattr(obj, "status", "open") == "open":
        # Writing an answer answers the concern (R6), unless it was closed otherwise.
        fields["status"] = Concern.Status.ANSWERED
    if part_kind == "checkin":
        _not_in_future("held_at", fields.get("held_at"))
    if part_kind == "milestone":
        _not_in_future("reached_at", fields.get("reached_at"))
    return fields


def _happened_at(obj: CaseChild) -> datetime:
    """When the thing happened, for the timeline: its own time if it has one (a concern
    raised last week is placed last week), else now."""
    for name in ("kept_at", "done_at", "held_at", "reached_at", "raised_at", "noted_at"):
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return timezone.now()


@transaction.atomic
def add_to_case(actor: User, case: Case, kind: str, /, **fields: Any) -> CaseChild:
    """Record a concern, expectation, action, promise, concession, check-in, milestone or
    positive inside a case, and put it on the timeline."""
    part = PARTS.get(kind)
    if part is None:
        raise ValidationError(f"Unknown kind “{kind}”.")
    unknown = set(fields) - set(part.fields)
    if unknown:
        raise ValidationError(f"Unknown field(s) for a {part.label}: {', '.join(sorted(unknown))}.")
    fields = _normalise(kind, _resolve_links(case, fields), None)
    obj = part.model(case=case, created_by=actor, **fields)
    obj.full_clean()
    obj.save()
    record_timeline(
        client=case.client,
        case=case,
        actor=actor,
        kind=f"{kind}.added",
        at=_happened_at(obj),
        summary=part.describe(obj),
        subject=obj,
    )
    index_object(obj)
    return obj


@transaction.atomic
def update_in_case(actor: User, obj: CaseChild, *, version: int | None, **fields: Any) -> CaseChild:
    """Edit something inside a case, refusing a stale edit. Status changes reach the timeline."""
    part = part_for_model(obj)
    unknown = set(fields) - set(part.fields)
    if unknown:
        raise ValidationError(f"Unknown field(s) for a {part.label}: {', '.join(sorted(unknown))}.")
    case = obj.case
    fields = _normalise(part.kind, _resolve_links(case, fields), obj)
    # Compare with what is stored: a form bound to `obj` may already have changed it.
    old_status = None
    if hasattr(obj, "status"):
        manager: Any = type(obj)._default_manager
        old_status = manager.filter(pk=obj.pk).values_list("status", flat=True).first()
    update_versioned(obj, version, **fields)
    new_status = getattr(obj, "status", None)
    if old_status != new_status:
        label = obj.get_status_display()  # type: ignore[attr-defined]
        summary = f"{part.describe(obj)} — now {label.lower()}"
        if isinstance(obj, Commitment) and obj.outcome in ("kept_on_time", "kept_late"):
            summary += " (on time)" if obj.outcome == "kept_on_time" else " (late)"
        record_timeline(
            client=case.client,
            case=case,
            actor=actor,
            kind=f"{part.kind}.{new_status}",
            at=_happened_at(obj),
            summary=summary,
            subject=obj,
        )
    elif part.kind == "checkin" and "held_at" in fields and fields["held_at"]:
        record_timeline(
            client=case.client,
            case=case,
            actor=actor,
            kind="checkin.held",
            at=fields["held_at"],
            summary=f"{part.describe(obj)} held",
            subject=obj,
        )
    elif part.kind == "milestone" and fields.get("reached_at"):
        record_timeline(
            client=case.client,
            case=case,
            actor=actor,
            kind="milestone.reached",
            at=fields["reached_at"],
            summary=f"{part.describe(obj)} reached",
            subject=obj,
        )
    index_object(obj)
    return obj


def mark_commitment_kept(
    actor: User,
    commitment: Commitment,
    *,
    version: int | None = None,
    at: datetime | None = None,
) -> Commitment:
    """A promise kept: on time if `at` is no later than its due time (R21)."""
    return update_in_case(
        actor,
        commitment,
        version=version,
        status=Commitment.Status.KEPT,
        kept_at=at or timezone.now(),
    )  # type: ignore[return-value]


def mark_commitment_missed(
    actor: User, commitment: Commitment, *, version: int | None = None
) -> Commitment:
    return update_in_case(actor, commitment, version=version, status=Commitment.Status.MISSED)  # type: ignore[return-value]
