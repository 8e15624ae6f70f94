"""API input and output shapes for clients, contacts, engagements and the timeline."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from amends.core.api_support import Id, InSchema, OutSchema, Str, Version, WallTime, optional

BudgetUnit = Literal["money", "hours"]  # Engagement.BudgetUnit

_DOMAINS = "Email domains of the client, separated by spaces or commas (e.g. acme.example)."
_WORK_DAYS = "Working days, 0 (Monday) to 6 (Sunday), comma-separated, e.g. 0,1,2,3,4."
_TZ = "An IANA time zone, e.g. Europe/London. Clocks count this client's working hours."


# ------------------------------------------------------------------------- clients


class ClientOut(OutSchema):
    """A client, with its owner (R2), backup (R3) and working hours."""

    id: int
    version: int
    name: str
    email_domains: str
    domains: list[str]
    timezone: str
    work_start: time
    work_end: time
    work_days: str
    owner: int = Field(validation_alias="owner_id")
    backup: int | None = Field(validation_alias="backup_id")
    notes: str
    created_at: datetime
    open_cases: int = Field(0, description="Cases not yet resolved or lost.")


class ClientIn(InSchema):
    name: Str = Field(max_length=200)
    owner: Id = Field(description="The user who speaks for the firm to this client (R2).")
    backup: Id | None = Field(None, description="Who covers when the owner is away (R3).")
    email_domains: Str = Field("", max_length=1000, description=_DOMAINS)
    timezone: Str = Field("UTC", max_length=64, description=_TZ)
    work_start: WallTime = time(9, 0)
    work_end: WallTime = time(17, 30)
    work_days: Str = Field("0,1,2,3,4", max_length=20, description=_WORK_DAYS)
    notes: Str = Field("", max_length=10000)


class ClientPatch(InSchema):
    version: Version
    name: Str = optional(max_length=200)
    owner: Id = optional()
    backup: Id | None = Field(None, description="`null` removes the backup.")
    email_domains: Str = optional(max_length=1000, description=_DOMAINS)
    timezone: Str = optional(max_length=64, description=_TZ)
    work_start: WallTime = optional()
    work_end: WallTime = optional()
    work_days: Str = optional(max_length=20, description=_WORK_DAYS)
    notes: Str = optional(max_length=10000)


class ClientFilter(Schema):
    search: Str = Field("", max_length=100, description="Part of the client's name.")


# ------------------------------------------------------------------------ contacts


class ContactOut(OutSchema):
    """A person at the client."""

    id: int
    version: int
    client: int = Field(validation_alias="client_id")
    name: str
    email: str
    role: str
    phone: str
    notes: str


class ContactIn(InSchema):
    name: Str = Field(max_length=200)
    email: Str = Field("", max_length=254)
    role: Str = Field("", max_length=200)
    phone: Str = Field("", max_length=50)
    notes: Str = Field("", max_length=5000)


class ContactPatch(InSchema):
    version: Version
    name: Str = optional(max_length=200)
    email: Str = optional(max_length=254)
    role: Str = optional(max_length=200)
    phone: Str = optional(max_length=50)
    notes: Str = optional(max_length=5000)


# --------------------------------------------------------------------- engagements


class EngagementOut(OutSchema):
    """A piece of work for the client, with its budget (R31)."""

    id: int
    version: int
    client: int = Field(validation_alias="client_id")
    name: str
    budget_unit: BudgetUnit
    currency: str
    budget: Decimal
    used: Decimal
    starts_on: date | None
    due_on: date | None
    utilisation: float | None = Field(description="Share of the budget used; null: no budget.")
    budget_label: str


class EngagementIn(InSchema):
    name: Str = Field(max_length=200)
    budget_unit: BudgetUnit = "money"
    currency: Str = Field("GBP", max_length=3, description="ISO 4217 code, for money budgets.")
    budget: Decimal = Field(Decimal("0"), max_digits=14, decimal_places=2, ge=0)
    used: Decimal = Field(Decimal("0"), max_digits=14, decimal_places=2, ge=0)
    starts_on: date | None = None
    due_on: date | None = None


class EngagementPatch(InSchema):
    version: Version
    name: Str = optional(max_length=200)
    budget_unit: BudgetUnit = optional()
    currency: Str = optional(max_length=3)
    budget: Decimal = optional(max_digits=14, decimal_places=2, ge=0)
    used: Decimal = optional(max_digits=14, decimal_places=2, ge=0)
    starts_on: date | None = None
    due_on: date | None = None


# ------------------------------------------------------------------------ timeline


class TimelineEntryOut(OutSchema):
    """One thing that happened with a client, from the real record (R7)."""

    id: int
    at: datetime
    recorded_at: datetime
    kind: str = Field(description="What happened, e.g. case.opened, comm.email, concern.added.")
    summary: str
    client: int = Field(validation_alias="client_id")
    case: int | None = Field(validation_alias="case_id")
    actor: int | None = Field(validation_alias="actor_id")
    actor_name: str | None = None
    subject_type: str = Field(description="The kind of record it is about, e.g. communication.")
    subject_id: int | None
    communication: int | None = Field(
        None, description="For a message, call, meeting or note: its communication id."
    )
    channel: str | None = Field(None, description="The communication's channel, if any.")
    direction: str | None = Field(None, description="The communication's direction, if any.")
    contact: int | None = Field(None, description="The contact the communication was with.")
    email: int | None = Field(None, description="For an imported email: its message id.")
    thread: int | None = Field(
        None, description="For an imported email: the id of the first message of its thread."
    )

    @staticmethod
    def resolve_actor_name(obj: object) -> str | None:
        person = getattr(obj, "actor", None)
        return str(person) if person is not None else None

    # `links` is set on each entry by `clients.queries.with_links`.
    @staticmethod
    def resolve_communication(obj: object) -> int | None:
        links = getattr(obj, "links", None)
        return links.communication.pk if links else None

    @staticmethod
    def resolve_channel(obj: object) -> str | None:
        links = getattr(obj, "links", None)
        return links.communication.channel if links else None

    @staticmethod
    def resolve_direction(obj: object) -> str | None:
        links = getattr(obj, "links", None)
        return links.communication.direction if links else None

    @staticmethod
    def resolve_contact(obj: object) -> int | None:
        links = getattr(obj, "links", None)
        return links.communication.contact_id if links else None

    @staticmethod
    def resolve_email(obj: object) -> int | None:
        links = getattr(obj, "links", None)
        return links.email_id if links else None

    @staticmethod
    def resolve_thread(obj: object) -> int | None:
        links = getattr(obj, "links", None)
        return links.thread_id if links else None
