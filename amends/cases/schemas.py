"""API input and output shapes for cases and everything inside them.

Each kind of record inside a case (`amends.cases.parts.PARTS`) has three explicit
schemas: `<Kind>In` to add one, `<Kind>Patch` to edit one (every field optional, plus the
`version` read), and `<Kind>Out`. `PART_SCHEMAS` maps each kind to them; a test keeps
them in step with `PARTS` and the models' choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from amends.cases import lifecycle
from amends.cases.models import Concern
from amends.core.api_support import Id, InSchema, Moment, OutSchema, Str, Version, optional

# The models' choices, spelled out so that the OpenAPI lists them (a test checks them).
CaseStatus = Literal[
    "open", "acknowledged", "assessing", "agreed", "rebuilding", "resolved", "lost"
]
Severity = Literal["low", "medium", "high", "critical"]
ConcernKind = Literal["concern", "question", "feeling"]
ConcernStatus = Literal["open", "answered", "withdrawn"]
Horizon = Literal["immediate", "short", "long"]
ActionStatus = Literal["planned", "in_progress", "done", "dropped"]
CommitmentStatus = Literal["pending", "kept", "missed"]
Outcome = Literal["pending", "overdue", "kept_on_time", "kept_late", "missed"]
ConcessionKind = Literal["discount", "credit", "free_work", "invoice_reduction", "other"]
ConcessionStatus = Literal["offered", "accepted", "declined", "delivered"]

_ON_TEAM = "A user id; they must be on the client's team."
_NOT_FUTURE = "Not in the future."
_FOR_CLIENT = "Shown on the document shared with the client (R20)."


# --------------------------------------------------------------------------- cases


class CaseOut(OutSchema):
    """A case: one damaged relationship being repaired."""

    id: int
    version: int
    client: int = Field(validation_alias="client_id")
    client_name: str = Field(validation_alias="client.name")
    engagement: int | None = Field(validation_alias="engagement_id")
    title: str
    summary: str
    severity: Severity
    point_of_contact: int = Field(
        validation_alias="point_of_contact_id",
        description="The one person who speaks for the firm on this case (R2).",
    )
    status: CaseStatus
    opened_at: datetime = Field(description="The first sign of trouble.")
    first_response_at: datetime | None = Field(description="When the first real reply went out.")
    status_changed_at: datetime
    closed_at: datetime | None
    lost_reason: str
    client_confirmation: str
    client_confirmed_at: datetime | None
    created_by: int | None = Field(validation_alias="created_by_id")
    created_at: datetime


class ClockOut(OutSchema):
    running: bool = Field(description="True until the first real reply to the client.")
    elapsed_seconds: int = Field(description="Business time, in the client's working hours.")
    elapsed: str = Field(description="The same, for people: '3d 4h', '2h 5m'.")


class PromiseRecordOut(OutSchema):
    """How the firm keeps its small promises on this case (R21)."""

    total: int
    kept_on_time: int
    kept_late: int
    missed: int
    overdue: int
    pending: int
    settled: int
    on_time_share: float | None = Field(
        description="Kept on time ÷ settled (kept, missed or overdue); null when none is."
    )


class MoveOut(OutSchema):
    """A lifecycle move the case may attempt from its current status."""

    to: CaseStatus
    label: str
    params: list[str] = Field(description="Extra fields the move takes: reason, confirmation.")
    explanation: str


class StepOut(OutSchema):
    text: str
    requirement: str = Field(description="The method requirement, e.g. R5.")
    done: bool


class GuidanceOut(OutSchema):
    """What the method asks next."""

    headline: str
    next_move: MoveOut | None
    missing: list[str] = Field(description="What the next move still needs, in plain words.")
    hints: list[StepOut]


class CaseDetailOut(CaseOut):
    """A case with its clock, promise record, guidance and the moves it allows."""

    first_response_clock: ClockOut
    promises: PromiseRecordOut
    guidance: GuidanceOut
    moves: list[MoveOut]


class CaseIn(InSchema):
    client: Id
    title: Str = Field(max_length=200)
    severity: Severity = "medium"
    point_of_contact: Id | None = Field(None, description=_ON_TEAM + " Default: the owner.")
    engagement: Id | None = Field(None, description="An engagement of the same client.")
    opened_at: Moment | None = Field(
        None, description="The first sign of trouble (default: now); may be backdated."
    )
    summary: Str = Field("", max_length=10000)


class CasePatch(InSchema):
    version: Version
    title: Str = optional(max_length=200)
    summary: Str = optional(max_length=10000)
    severity: Severity = optional()
    point_of_contact: Id = optional(description="A hand-off (R3). " + _ON_TEAM)
    engagement: Id | None = Field(None, description="`null` unlinks the engagement.")
    opened_at: Moment = optional()


class CaseFilter(Schema):
    client: Id | None = Field(None, description="Only this client's cases.")
    status: CaseStatus | None = None
    open: bool = Field(False, description="Only cases not resolved or lost.")
    search: Str = Field("", max_length=100, description="Part of the title or client name.")


class TransitionIn(InSchema):
    to: CaseStatus
    reason: Str = Field("", max_length=5000, description="Why it was lost (moving to lost).")
    confirmation: Str = Field(
        "", max_length=5000, description="How the client confirmed the repair (resolving)."
    )
    version: Version | None = None


# -------------------------------------------------------------- parts: shared


class PartOut(OutSchema):
    """Fields every record inside a case shares."""

    id: int
    version: int
    case: int = Field(validation_alias="case_id")
    client: int = Field(validation_alias="case.client_id")
    created_by: int | None = Field(validation_alias="created_by_id")
    created_at: datetime


# ---------------------------------------------------------------------- concerns


class ConcernOut(PartOut):
    """What the client said, verbatim (R5)."""

    text: str
    kind: ConcernKind
    source: str
    communication: int | None = Field(validation_alias="communication_id")
    raised_at: datetime
    status: ConcernStatus
    answer: str
    answered: bool = Field(
        False, description="Answered in words, or by a linked action that is not dropped (R6)."
    )

    @staticmethod
    def resolve_answered(obj: Concern) -> bool:
        return lifecycle.concern_is_answered(obj)


class ConcernIn(InSchema):
    text: Str = Field(max_length=5000, description="In the client's own words.")
    kind: ConcernKind = "concern"
    source: Str = Field("", max_length=300, description="Where the client said it.")
    communication: Id | None = Field(None, description="The message it came from.")
    raised_at: Moment | None = Field(None, description="Default: now.")
    status: ConcernStatus = "open"
    answer: Str = Field("", max_length=5000)


class ConcernPatch(InSchema):
    version: Version
    text: Str = optional(max_length=5000)
    kind: ConcernKind = optional()
    source: Str = optional(max_length=300)
    communication: Id | None = None
    raised_at: Moment = optional()
    status: ConcernStatus = optional()
    answer: Str = optional(max_length=5000)


# ------------------------------------------------------------------ expectations


class ExpectationOut(PartOut):
    """Expected by the client, by the team, and what was delivered (R16)."""

    expected_by_client: str
    expected_by_team: str
    delivered: str
    constraint: str
    constraint_reason: str
    agreed: bool
    for_client: bool


class ExpectationIn(InSchema):
    expected_by_client: Str = Field(max_length=5000)
    expected_by_team: Str = Field("", max_length=5000)
    delivered: Str = Field("", max_length=5000)
    constraint: Str = Field("", max_length=5000)
    constraint_reason: Str = Field("", max_length=5000)
    agreed: bool = False
    for_client: bool = Field(True, description=_FOR_CLIENT)


class ExpectationPatch(InSchema):
    version: Version
    expected_by_client: Str = optional(max_length=5000)
    expected_by_team: Str = optional(max_length=5000)
    delivered: Str = optional(max_length=5000)
    constraint: Str = optional(max_length=5000)
    constraint_reason: Str = optional(max_length=5000)
    agreed: bool = optional()
    for_client: bool = optional()


# ----------------------------------------------------------------------- actions


class ActionOut(PartOut):
    """A step of the plan: owned, dated, measurable, answering something (R18)."""

    title: str
    horizon: Horizon
    owner: int | None = Field(validation_alias="owner_id")
    deadline: date | None
    success_measure: str
    status: ActionStatus
    concern: int | None = Field(validation_alias="concern_id")
    expectation: int | None = Field(validation_alias="expectation_id")
    done_at: datetime | None
    for_client: bool


class ActionIn(InSchema):
    title: Str = Field(max_length=300)
    horizon: Horizon = "immediate"
    owner: Id | None = Field(None, description=_ON_TEAM)
    deadline: date | None = None
    success_measure: Str = Field("", max_length=500)
    status: ActionStatus = "planned"
    concern: Id | None = Field(None, description="The concern (of this case) it answers.")
    expectation: Id | None = Field(None, description="The expectation (of this case) it serves.")
    for_client: bool = Field(True, description=_FOR_CLIENT)


class ActionPatch(InSchema):
    version: Version
    title: Str = optional(max_length=300)
    horizon: Horizon = optional()
    owner: Id | None = Field(None, description=_ON_TEAM)
    deadline: date | None = None
    success_measure: Str = optional(max_length=500)
    status: ActionStatus = optional()
    concern: Id | None = None
    expectation: Id | None = None
    for_client: bool = optional()


# ------------------------------------------------------------------- commitments


class CommitmentOut(PartOut):
    """A promise made to the client (R21)."""

    what: str
    to_whom: str
    contact: int | None = Field(validation_alias="contact_id")
    owner: int | None = Field(validation_alias="owner_id")
    due_at: datetime
    status: CommitmentStatus
    kept_at: datetime | None
    outcome: Outcome = Field(description="kept_on_time, kept_late, missed, overdue or pending.")
    for_client: bool


class CommitmentIn(InSchema):
    what: Str = Field(max_length=500)
    to_whom: Str = Field("", max_length=200)
    contact: Id | None = Field(None, description="A contact of the same client.")
    owner: Id | None = Field(None, description=_ON_TEAM)
    due_at: Moment
    status: CommitmentStatus = "pending"
    kept_at: Moment | None = Field(None, description=_NOT_FUTURE)
    for_client: bool = Field(True, description=_FOR_CLIENT)


class CommitmentPatch(InSchema):
    version: Version
    what: Str = optional(max_length=500)
    to_whom: Str = optional(max_length=200)
    contact: Id | None = None
    owner: Id | None = None
    due_at: Moment = optional()
    status: CommitmentStatus = optional()
    kept_at: Moment | None = Field(None, description=_NOT_FUTURE)
    for_client: bool = optional()


class KeptIn(InSchema):
    at: Moment | None = Field(
        default=None, description="When it was kept (default: now). " + _NOT_FUTURE
    )
    version: Version | None = None


class MissedIn(InSchema):
    version: Version | None = None


# ------------------------------------------------------------------- concessions

_AMOUNT = "Up to 10 digits before the point and 2 after; not negative."


class ConcessionOut(PartOut):
    """Amends offered to the client, and their cost to the firm (R17)."""

    kind: ConcessionKind
    description: str
    value: Decimal
    cost: Decimal
    currency: str
    status: ConcessionStatus
    for_client: bool


class ConcessionIn(InSchema):
    kind: ConcessionKind
    description: Str = Field(max_length=500)
    value: Decimal = Field(Decimal("0"), max_digits=12, decimal_places=2, ge=0, description=_AMOUNT)
    cost: Decimal = Field(Decimal("0"), max_digits=12, decimal_places=2, ge=0, description=_AMOUNT)
    currency: Str = Field("GBP", max_length=3)
    status: ConcessionStatus = "offered"
    for_client: bool = Field(True, description=_FOR_CLIENT)


class ConcessionPatch(InSchema):
    version: Version
    kind: ConcessionKind = optional()
    description: Str = optional(max_length=500)
    value: Decimal = optional(max_digits=12, decimal_places=2, ge=0)
    cost: Decimal = optional(max_digits=12, decimal_places=2, ge=0)
    currency: Str = optional(max_length=3)
    status: ConcessionStatus = optional()
    for_client: bool = optional()


# ---------------------------------------------------------------------- check-ins


class CheckInOut(PartOut):
    """A scheduled conversation with the client (R19, R24, R26)."""

    scheduled_at: datetime
    agenda: str
    held_at: datetime | None
    notes: str
    outcome: str
    for_client: bool


class CheckInIn(InSchema):
    scheduled_at: Moment
    agenda: Str = Field("", max_length=10000)
    held_at: Moment | None = Field(None, description=_NOT_FUTURE)
    notes: Str = Field("", max_length=20000)
    outcome: Str = Field("", max_length=5000)
    for_client: bool = Field(True, description=_FOR_CLIENT)


class CheckInPatch(InSchema):
    version: Version
    scheduled_at: Moment = optional()
    agenda: Str = optional(max_length=10000)
    held_at: Moment | None = Field(None, description=_NOT_FUTURE)
    notes: Str = optional(max_length=20000)
    outcome: Str = optional(max_length=5000)
    for_client: bool = optional()


# --------------------------------------------------------------------- milestones


class MilestoneOut(PartOut):
    """A step of progress worth marking (R20)."""

    title: str
    due_on: date | None
    reached_at: datetime | None
    for_client: bool


class MilestoneIn(InSchema):
    title: Str = Field(max_length=300)
    due_on: date | None = None
    reached_at: Moment | None = Field(None, description=_NOT_FUTURE)
    for_client: bool = Field(True, description=_FOR_CLIENT)


class MilestonePatch(InSchema):
    version: Version
    title: Str = optional(max_length=300)
    due_on: date | None = None
    reached_at: Moment | None = Field(None, description=_NOT_FUTURE)
    for_client: bool = optional()


# ---------------------------------------------------------------------- positives


class PositiveOut(PartOut):
    """Something that went well, or a helpful act of the client's (R25)."""

    text: str
    by_client: bool
    noted_at: datetime


class PositiveIn(InSchema):
    text: Str = Field(max_length=5000)
    by_client: bool = False
    noted_at: Moment | None = Field(None, description="Default: now.")


class PositivePatch(InSchema):
    version: Version
    text: Str = optional(max_length=5000)
    by_client: bool = optional()
    noted_at: Moment = optional()


# ------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class PartSchemas:
    create: type[Schema]
    patch: type[Schema]
    out: type[PartOut]


PART_SCHEMAS: dict[str, PartSchemas] = {
    "concern": PartSchemas(ConcernIn, ConcernPatch, ConcernOut),
    "expectation": PartSchemas(ExpectationIn, ExpectationPatch, ExpectationOut),
    "action": PartSchemas(ActionIn, ActionPatch, ActionOut),
    "commitment": PartSchemas(CommitmentIn, CommitmentPatch, CommitmentOut),
    "concession": PartSchemas(ConcessionIn, ConcessionPatch, ConcessionOut),
    "checkin": PartSchemas(CheckInIn, CheckInPatch, CheckInOut),
    "milestone": PartSchemas(MilestoneIn, MilestonePatch, MilestoneOut),
    "positive": PartSchemas(PositiveIn, PositivePatch, PositiveOut),
}


# ---------------------------------------------------------------- needs attention


class CaseRef(OutSchema):
    id: int
    title: str
    client: int = Field(validation_alias="client_id")
    client_name: str = Field(validation_alias="client.name")
    status: CaseStatus
    severity: Severity


class MessageRef(OutSchema):
    id: int
    client: int = Field(validation_alias="client_id")
    client_name: str = Field(validation_alias="client.name")
    case: int | None = Field(validation_alias="case_id")
    channel: str
    direction: str
    title: str
    occurred_at: datetime


class ClockItem(OutSchema):
    case: CaseRef
    elapsed_seconds: int = Field(description="Business time since the first sign of trouble.")
    elapsed: str


class AwaitingReplyItem(OutSchema):
    message: MessageRef
    waiting_seconds: int = Field(description="Business time since the message came in.")
    waiting: str


class CommitmentDueItem(OutSchema):
    id: int
    case: CaseRef
    what: str
    owner: int | None
    due_at: datetime
    outcome: Outcome
    overdue_seconds: int = Field(description="How long past due (0 when not yet due).")
    due: str = Field(description="'overdue by 3h 5m' or 'due in 2h 10m'.")


class ActionOverdueItem(OutSchema):
    id: int
    case: CaseRef
    title: str
    owner: int | None
    deadline: date
    overdue_days: int


class CheckInDueItem(OutSchema):
    id: int
    case: CaseRef
    scheduled_at: datetime
    overdue_seconds: int = Field(description="How long past its time (0 when still ahead).")
    due: str


class MissingRecapItem(OutSchema):
    call: MessageRef
    recap_due_at: datetime
    overdue_seconds: int
    overdue: str


class NotDeliveredItem(OutSchema):
    email: int = Field(
        description="The delivery report (`/emails/{id}`), in the thread of what it returns."
    )
    client: int
    subject: str = Field(
        description="The returned email's subject when it is stored too, else the report's."
    )
    undelivered: list[str] = Field(description="The addresses its report says failed.")
    returned_at: datetime


class AttentionOut(OutSchema):
    """Everything on the "Needs attention" page for you, oldest or most urgent first."""

    total: int
    clocks: list[ClockItem] = Field(description="Cases still waiting for a first reply (R1).")
    awaiting_reply: list[AwaitingReplyItem] = Field(
        description="Client messages with no reply after them (R1)."
    )
    not_delivered: list[NotDeliveredItem] = Field(
        description="Emails a mail server returned in the last two weeks, newest first,"
        " until someone writes to the client again (R1, R33)."
    )
    commitments: list[CommitmentDueItem] = Field(
        description="Promises due within two days or overdue (R21)."
    )
    actions_overdue: list[ActionOverdueItem] = Field(
        description="Plan actions past their deadline (R18)."
    )
    checkins_due: list[CheckInDueItem] = Field(
        description="Check-ins due within two days or not yet held (R19, R26)."
    )
    missing_recaps: list[MissingRecapItem] = Field(
        description="Calls and meetings of the last two weeks with no written recap after one "
        "working day (R22)."
    )
    agreed_without_checkin: list[CaseRef] = Field(
        description="Agreed or rebuilding cases with no upcoming check-in (R19)."
    )
