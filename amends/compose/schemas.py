"""API input and output for drafts and message templates."""

from datetime import datetime
from typing import Literal

from ninja import Field

from amends.compose.models import MAX_BODY, MAX_BULLETS, MAX_SUBJECT, MAX_TEMPLATE
from amends.core.api_support import InSchema, OutSchema, Str, Version, optional

DraftKind = Literal[
    "first_response",
    "full_response",
    "call_recap",
    "budget_note",
    "change_impact",
    "handoff_intro",
    "checkin_invitation",
    "free",
]
TemplateKind = Literal[
    "first_response",
    "full_response",
    "call_recap",
    "budget_note",
    "change_impact",
    "handoff_intro",
    "checkin_invitation",
]


class DraftOut(OutSchema):
    """A message to the client being written on a case."""

    id: int
    version: int
    case: int = Field(validation_alias="case_id")
    kind: str
    subject: str
    bullets: str = Field(description="The bullet points the message was planned from (R13).")
    body: str
    status: str = Field(description="draft or sent.")
    sent_communication: int | None = Field(
        validation_alias="sent_communication_id", description="The email it went out as."
    )
    created_by: int | None = Field(validation_alias="created_by_id")
    created_at: datetime
    updated_at: datetime


class DraftIn(InSchema):
    kind: DraftKind = "free"
    subject: Str = Field("", max_length=MAX_SUBJECT)
    bullets: Str = Field("", max_length=MAX_BULLETS)
    body: Str = Field("", max_length=MAX_BODY)


class DraftPatch(InSchema):
    version: Version
    kind: DraftKind = optional()
    subject: Str = optional(max_length=MAX_SUBJECT)
    bullets: Str = optional(max_length=MAX_BULLETS)
    body: Str = optional(max_length=MAX_BODY)


class DraftVersionOut(OutSchema):
    """The text of a draft as it was before a save replaced it."""

    number: int
    subject: str
    bullets: str
    body: str
    saved_by: int | None = Field(validation_alias="saved_by_id")
    saved_at: datetime


class SendIn(InSchema):
    version: Version
    to: list[Str] = Field(min_length=1, max_length=20, description="Recipients' email addresses.")
    cc: list[Str] = Field(default_factory=list, max_length=20)
    acknowledge: bool = Field(
        False,
        description="Send even though the coach reports a blocking finding (it is "
        "refused with 422 otherwise).",
    )


class SendOut(OutSchema):
    draft: DraftOut
    communication: int = Field(description="The outbound communication recorded on the case.")


class TemplateOut(OutSchema):
    """A message template (R35): Django template text rendered with the case's facts."""

    kind: str
    version: int
    subject: str
    body: str
    updated_by: int | None = Field(validation_alias="updated_by_id")
    updated_at: datetime


class TemplatePatch(InSchema):
    version: Version
    subject: Str = optional(max_length=MAX_SUBJECT)
    body: Str = optional(max_length=MAX_TEMPLATE)


class RenderIn(InSchema):
    bullets: Str = Field(
        "",
        max_length=MAX_BULLETS,
        description="Bullet points under the composer's headings; empty: pre-filled from the case.",
    )


class RenderOut(OutSchema):
    kind: str
    subject: str
    body: str
    bullets: str = Field(description="The bullet points used.")
