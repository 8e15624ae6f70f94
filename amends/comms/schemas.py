"""API input and output shapes for communications (R22, R23)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from amends.core.api_support import Id, InSchema, Moment, OutSchema, Str, Version, optional
from amends.watch.models import Job
from amends.watch.schemas import JobOut

Channel = Literal["email", "call", "meeting", "note"]  # Communication.Channel
Direction = Literal["in", "out", "internal", "auto"]  # Communication.Direction

_DIRECTION = (
    "in: from the client; out: to the client; internal: among the team; auto: mail no person"
    " wrote (a delivery failure, an automatic reply), which awaits no reply and has no tone."
)
_RECAP = "The call or meeting (a communication id) this message is the written recap of."


class CommunicationOut(OutSchema):
    """An email, call, meeting or note with a client, kept whole."""

    id: int
    version: int
    client: int = Field(validation_alias="client_id")
    case: int | None = Field(validation_alias="case_id")
    channel: Channel
    direction: Direction = Field(description=_DIRECTION)
    occurred_at: datetime
    undelivered: bool = Field(
        False,
        description="An email of ours that mail servers returned from every recipient outside"
        " the firm: the client never read it, so no clock counts it as a reply.",
    )
    contact: int | None = Field(validation_alias="contact_id")
    person: int | None = Field(validation_alias="person_id", description="Who at the firm.")
    subject: str
    summary: str
    title: str = Field(description="The subject, or the start of the summary.")
    recap_of: int | None = Field(validation_alias="recap_of_id", description=_RECAP)
    recorded_by: int | None = Field(validation_alias="recorded_by_id")
    recorded_at: datetime


class Attendee(Schema):
    name: str = ""
    email: str = ""
    contact: int | None = Field(None, description="The client's contact with this address, if any.")


class UpcomingMeetingOut(OutSchema):
    """A meeting with a client still to come, from an imported calendar (R22). Once it
    has happened, the next import of the calendar records it as a communication."""

    id: int
    client: int = Field(validation_alias="client_id")
    starts_at: datetime
    ends_at: datetime | None
    subject: str
    title: str = Field(description="The subject, or “(no title)”.")
    description: str
    location: str
    attendees: list[Attendee]
    direction: Direction = Field(description="out: we organise it; in: the client does.")
    contact: int | None = Field(validation_alias="contact_id")
    person: int | None = Field(validation_alias="person_id", description="Who at the firm.")
    external_id: str = Field(description="The iCalendar UID and occurrence.")
    source: str
    imported_at: datetime


class UpcomingMeetingFilter(Schema):
    client: Id | None = Field(None, description="Only this client's meetings.")


class CommunicationIn(InSchema):
    client: Id
    case: Id | None = Field(None, description="The case it belongs to, if any.")
    channel: Channel
    direction: Direction = Field(description=_DIRECTION)
    occurred_at: Moment | None = Field(
        None, description="When it happened (default: now). Not in the future."
    )
    contact: Id | None = Field(None, description="The client's contact involved.")
    person: Id | None = Field(None, description="Who at the firm wrote, called or met.")
    subject: Str = Field("", max_length=300)
    summary: Str = Field("", max_length=20000)
    recap_of: Id | None = Field(None, description=_RECAP)


class CommunicationPatch(InSchema):
    version: Version
    case: Id | None = Field(None, description="`null` unlinks it from its case.")
    channel: Channel = optional()
    direction: Direction = optional()
    occurred_at: Moment = optional()
    contact: Id | None = None
    person: Id | None = None
    subject: Str = optional(max_length=300)
    summary: Str = optional(max_length=20000)
    recap_of: Id | None = None


class CommunicationFilter(Schema):
    client: Id | None = Field(None, description="Only this client's communications.")
    case: Id | None = Field(None, description="Only this case's communications.")


class ImportRejected(Schema):
    where: str = Field(description="Which message: its place inside the upload.")
    reason: str = Field(description="Why it was not kept.")


class ImportSummaryOut(Schema):
    """What a finished import did (the first 50 rejected messages are listed)."""

    kind: str = Field(description="What the upload was: eml, mbox, folder or maildir.")
    total: int | None
    seen: int
    imported: int
    duplicates: int = Field(description="Messages already imported before (skipped).")
    unmatched: int = Field(description="Imported but matched to no client: see triage.")
    problems: int = Field(description="Imported messages with something malformed.")
    spam: int = Field(
        0,
        description="Left out as junk: Gmail's Spam label (a Google Takeout), and the"
        " messages of junk mail folders (Junk, Spam) found in the upload.",
    )
    calendar_items: int = Field(
        0,
        description="Outlook calendar items saved as .msg files: not mail; read as meetings"
        " (counted in the job's `payload.calendars`, or in this summary when the upload"
        " held no mail).",
    )
    rejected_count: int
    rejected: list[ImportRejected]


class ImportOut(JobOut):
    """An import job, with its summary once it has finished."""

    summary: ImportSummaryOut | None = Field(description="Set once the import has finished.")

    @staticmethod
    def resolve_summary(obj: Job) -> dict[str, object] | None:
        payload = obj.payload if isinstance(obj.payload, dict) else {}
        summary = payload.get("summary")
        return summary if isinstance(summary, dict) else None


class ImportFilter(Schema):
    status: Job.Status | None = Field(None, description="Only imports in this status.")


class ThreadClientOut(OutSchema):
    """The client whose mail an email in triage answers, by its headers."""

    id: int = Field(description="The client.")
    name: str
    email: int = Field(description="The client's email it answers (In-Reply-To or References).")


class UnmatchedEmailOut(OutSchema):
    """An imported email no client matched, waiting in triage."""

    id: int
    from_name: str
    from_address: str
    to_addresses: list[str]
    cc_addresses: list[str]
    bcc_addresses: list[str]
    subject: str
    occurred_at: datetime = Field(description="When it was sent (or imported, if undated).")
    direction: Direction
    automatic: str = Field(
        "", description="`bounce` (a delivery failure) or `auto-reply`; empty for a person's mail."
    )
    dismissed_at: datetime | None = Field(
        None, description="When an admin set it aside as no client's (null: waiting)."
    )
    thread_client: ThreadClientOut | None = Field(
        None,
        description="The client whose mail this answers (by In-Reply-To, then References):"
        " the one to assign it to, most likely. Not placed there by itself, since a forward"
        " outside carries the same headers. Null: it answers no client's mail.",
    )


class WaitingDomainOut(OutSchema):
    """A domain whose people the mail waiting in triage is with."""

    domain: str
    messages: int = Field(
        description="Messages waiting from senders at this domain, or that we sent to people there."
    )
    latest: datetime = Field(description="When the latest of them was sent.")
    public: bool = Field(
        description="A public email provider (gmail.com …): it can be no client's domain."
    )


class DomainIn(InSchema):
    domain: str = Field(max_length=253, description="The email domain, like example.com.")
    client: Id = Field(description="The client it belongs to.")


class DomainDismissIn(InSchema):
    domain: str = Field(max_length=253, description="The email domain, like news.example.")


class DismissedOut(Schema):
    dismissed: int = Field(description="How many waiting emails were set aside.")


class AssignIn(InSchema):
    client: Id = Field(description="The client the message belongs to.")


class SelectedIn(InSchema):
    ids: list[Id] = Field(
        min_length=1, max_length=200, description="Emails waiting in triage (1–200)."
    )


class AssignSelectedIn(SelectedIn):
    client: Id = Field(description="The client they belong to.")


class SkippedOut(Schema):
    id: int
    reason: str = Field(description="Why this one was left as it was.")


class AssignedOut(Schema):
    assigned: int = Field(description="How many were assigned.")
    skipped: list[SkippedOut] = Field(description="Those left as they were, and why.")


class DismissedSelectedOut(Schema):
    dismissed: int = Field(description="How many were set aside.")
    skipped: list[SkippedOut] = Field(description="Those left as they were, and why.")
