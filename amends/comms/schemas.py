"""API input and output shapes for communications (R22, R23)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from amends.core.api_support import Id, InSchema, Moment, OutSchema, Str, Version, optional

Channel = Literal["email", "call", "meeting", "note"]  # Communication.Channel
Direction = Literal["in", "out", "internal"]  # Communication.Direction

_DIRECTION = "in: from the client; out: to the client; internal: among the team."
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
    contact: int | None = Field(validation_alias="contact_id")
    person: int | None = Field(validation_alias="person_id", description="Who at the firm.")
    subject: str
    summary: str
    title: str = Field(description="The subject, or the start of the summary.")
    recap_of: int | None = Field(validation_alias="recap_of_id", description=_RECAP)
    recorded_by: int | None = Field(validation_alias="recorded_by_id")
    recorded_at: datetime


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
