"""Reads for sharing: the team's (permission-scoped) and the client's (by secret token).

`client_document` is the ONLY way the public page and the PDF get their content: it
copies, field by field, what is marked for the client into plain dataclasses, so the
templates and the PDF builder never hold a model (and cannot reach anything internal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, QuerySet
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.cases.models import (
    Action,
    Case,
    CheckIn,
    Commitment,
    Concession,
    Expectation,
    Milestone,
)
from amends.core.errors import NotFound
from amends.sharing.models import ClientFeedback, ClientUpdate, ShareLink, ShareView

# A token from `secrets.token_urlsafe(32)` is 43 characters; anything much longer is junk.
TOKEN_MAX = 100


# ------------------------------------------------------------------ the team's reads


def list_links(user: User, case: Case) -> QuerySet[ShareLink]:
    """Links of a case the user fetched through `get_case_for` (scoped again here)."""
    return scope_to_user(ShareLink.objects.filter(case=case), user, "case__client").select_related(
        "created_by"
    )


def get_link_for(user: User, link_id: object) -> ShareLink:
    try:
        return scope_to_user(
            ShareLink.objects.select_related("case__client"), user, "case__client"
        ).get(pk=int(str(link_id)))
    except (ShareLink.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound from None


def list_views(user: User, link: ShareLink) -> QuerySet[ShareView]:
    return scope_to_user(ShareView.objects.filter(link=link), user, "link__case__client")


def list_updates(user: User, case: Case) -> QuerySet[ClientUpdate]:
    return scope_to_user(ClientUpdate.objects.filter(case=case), user, "case__client")


def list_feedback(user: User, case: Case) -> QuerySet[ClientFeedback]:
    return scope_to_user(ClientFeedback.objects.filter(case=case), user, "case__client")


# --------------------------------------------------------------- the client's reads


def resolve_token(raw: object) -> ShareLink | None:
    """The live link behind a secret, or None (unknown, expired and revoked alike).

    Only the SHA-256 digest is looked up, so the database comparison never sees the
    secret and its timing says nothing about it.
    """
    if not isinstance(raw, str) or not 20 <= len(raw) <= TOKEN_MAX:
        return None
    return (
        ShareLink.objects.select_related("case__client", "case__point_of_contact")
        .filter(digest=ShareLink.digest_of(raw), revoked_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )


def first_name(user: User | None) -> str:
    """How the client is told who does something: a first name, never a login or email."""
    if user is None:
        return ""
    name = (user.first_name or "").strip() or (user.display_name or "").strip()
    return name.split()[0] if name else ""


@dataclass(frozen=True)
class PlanStep:
    title: str
    horizon: str
    owner: str
    deadline: date | None
    measure: str
    status: str
    done: bool


@dataclass(frozen=True)
class MilestoneRow:
    title: str
    due_on: date | None
    reached_at: datetime | None


@dataclass(frozen=True)
class PromiseRow:
    what: str
    due_at: datetime
    outcome: str  # pending / overdue / kept_on_time / kept_late / missed
    outcome_label: str
    kept_at: datetime | None


@dataclass(frozen=True)
class AmendRow:
    kind: str
    description: str
    value: str
    status: str


@dataclass(frozen=True)
class CheckInRow:
    scheduled_at: datetime
    held: bool


@dataclass(frozen=True)
class Update:
    text: str
    published_at: datetime
    by: str


OUTCOME_LABELS = {
    "kept_on_time": "Kept on time",
    "kept_late": "Kept, late",
    "missed": "Missed",
    "overdue": "Overdue",
    "pending": "Not yet due",
}


@dataclass
class ClientDocument:
    """Everything the client may see about one case, and nothing else."""

    client_name: str
    contact_name: str
    tz: str
    generated_at: datetime
    update: Update | None = None
    expectations: list[str] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    promises: list[PromiseRow] = field(default_factory=list)
    amends: list[AmendRow] = field(default_factory=list)
    checkins: list[CheckInRow] = field(default_factory=list)

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.plan if s.done)

    @property
    def promises_settled(self) -> int:
        return sum(1 for p in self.promises if p.outcome != "pending")

    @property
    def promises_on_time(self) -> int:
        return sum(1 for p in self.promises if p.outcome == "kept_on_time")

    @property
    def on_time_percent(self) -> int | None:
        settled = self.promises_settled
        return round(100 * self.promises_on_time / settled) if settled else None

    @property
    def next_checkin(self) -> CheckInRow | None:
        upcoming = [c for c in self.checkins if not c.held and c.scheduled_at >= self.generated_at]
        return upcoming[0] if upcoming else None


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}" if value else ""


def client_document(link: ShareLink, now: datetime | None = None) -> ClientDocument:
    """The client's view of the link's case, read live (R20)."""
    case = link.case
    tz = ZoneInfo(case.client.timezone)
    now = now or timezone.now()
    doc = ClientDocument(
        client_name=case.client.name,
        contact_name=first_name(case.point_of_contact),
        tz=case.client.timezone,
        generated_at=now.astimezone(tz),
    )
    latest = ClientUpdate.objects.filter(case=case).select_related("by").first()
    if latest is not None:
        doc.update = Update(latest.text, latest.published_at.astimezone(tz), first_name(latest.by))
    doc.expectations = [
        e.expected_by_client
        for e in Expectation.objects.filter(case=case, for_client=True, agreed=True)
    ]
    actions = (
        Action.objects.filter(case=case, for_client=True)
        .exclude(status=Action.Status.DROPPED)
        .select_related("owner")
        .order_by(F("deadline").asc(nulls_last=True), "id")
    )
    doc.plan = [
        PlanStep(
            title=a.title,
            horizon=a.get_horizon_display(),
            owner=first_name(a.owner),
            deadline=a.deadline,
            measure=a.success_measure,
            status=a.get_status_display(),
            done=a.status == Action.Status.DONE,
        )
        for a in actions
    ]
    doc.milestones = [
        MilestoneRow(m.title, m.due_on, m.reached_at.astimezone(tz) if m.reached_at else None)
        for m in Milestone.objects.filter(case=case, for_client=True).order_by(
            F("due_on").asc(nulls_last=True), "id"
        )
    ]
    doc.promises = [
        PromiseRow(
            what=c.what,
            due_at=c.due_at.astimezone(tz),
            outcome=c.outcome,
            outcome_label=OUTCOME_LABELS[c.outcome],
            kept_at=c.kept_at.astimezone(tz) if c.kept_at else None,
        )
        for c in Commitment.objects.filter(case=case, for_client=True)
    ]
    agreed = [Concession.Status.ACCEPTED, Concession.Status.DELIVERED]
    doc.amends = [
        AmendRow(
            kind=c.get_kind_display(),
            description=c.description,
            value=_money(c.value, c.currency),
            status=c.get_status_display(),
        )
        for c in Concession.objects.filter(case=case, for_client=True, status__in=agreed)
    ]
    doc.checkins = [
        CheckInRow(c.scheduled_at.astimezone(tz), c.held_at is not None)
        for c in CheckIn.objects.filter(case=case, for_client=True)
    ]
    return doc
