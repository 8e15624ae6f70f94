"""API: Email out through SMTP, calls and agendas (R14, R19, R22).

Sending needs the SMTP settings (AMENDS_SMTP_HOST …); without them every sending
operation answers 422 `invalid` with a message saying so, and records nothing.
"""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from amends.cases.queries import get_case_for, get_part_for
from amends.comms.queries import get_communication_for, get_email_for
from amends.comms.schemas import CommunicationOut
from amends.core.api_support import (
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    InSchema,
    Moment,
    OutSchema,
    Page,
    Str,
    Version,
    actor,
    optional,
)
from amends.core.errors import NotFound, ValidationError
from amends.outbox import actions, queries
from amends.outbox.models import Agenda, CallPrep

router = Router(tags=["Outbox"])

TEXT = 10000


class EmailIn(InSchema):
    to: list[Str] = Field(..., min_length=1, max_length=50, description="Recipients' addresses.")
    cc: list[Str] = Field(default_factory=list, max_length=50)
    subject: Str = Field(..., max_length=300)
    text: Str = Field(..., max_length=200_000, description="The plain-text body.")
    html: Str | None = Field(None, max_length=500_000, description="An HTML alternative.")
    in_reply_to: Id | None = Field(
        None, description="The id of the client's email this answers (it threads with it)."
    )


@router.post(
    "/cases/{case_id}/emails",
    response={201: CommunicationOut, **WRITE_ERRORS},
    summary="Send an email to the client",
)
def send_email(request: HttpRequest, case_id: Id, payload: EmailIn) -> Status:
    """Send through SMTP as the case's point of contact, keep it byte for byte, and record
    it as an outgoing email on the case (R1, R2, R23). 422 with a clear message when it
    cannot be sent (no SMTP configured, server down, recipient refused): nothing is kept."""
    user = actor(request)
    case = get_case_for(user, case_id)
    parent = None
    if payload.in_reply_to is not None:
        try:
            parent = get_email_for(user, payload.in_reply_to)
        except NotFound:
            raise ValidationError({"in_reply_to": "There is no email with that id."}) from None
    comm = actions.send_case_email(
        user,
        case,
        to=payload.to,
        cc=payload.cc,
        subject=payload.subject,
        text=payload.text,
        html=payload.html,
        in_reply_to=parent,
    )
    return Status(201, get_communication_for(user, comm.pk))


# --- Calls ------------------------------------------------------------------------------


class CallOut(OutSchema):
    id: int
    version: int
    case: int = Field(validation_alias="case_id")
    title: str
    scheduled_at: datetime
    duration_minutes: int
    our_attendees: str
    their_attendees: str
    facts: str
    concerns: str
    proposed_plan: str
    project_state: str
    work_done: str
    choices_made: str
    client_choices_effect: str
    outcome: str
    outcome_recorded_at: datetime | None
    communication: int | None = Field(
        validation_alias="communication_id", description="The call on the case, once held."
    )
    recap_draft: int | None = Field(
        validation_alias="recap_draft_id", description="The draft of the written recap."
    )


class CallIn(InSchema):
    title: Str = Field("", max_length=200)
    scheduled_at: Moment | None = Field(None, description="Default: tomorrow, on the hour.")
    duration_minutes: int | None = Field(None, ge=5, le=600)
    our_attendees: Str | None = Field(None, max_length=2000)
    their_attendees: Str | None = Field(None, max_length=2000)
    facts: Str | None = Field(None, max_length=TEXT, description="Default: from the case.")
    concerns: Str | None = Field(None, max_length=TEXT, description="Default: open concerns.")
    proposed_plan: Str | None = Field(None, max_length=TEXT, description="Default: open plan.")
    project_state: Str | None = Field(None, max_length=TEXT)
    work_done: Str | None = Field(None, max_length=TEXT)
    choices_made: Str | None = Field(None, max_length=TEXT)
    client_choices_effect: Str | None = Field(None, max_length=TEXT)


class CallPatch(InSchema):
    version: Version
    title: Str = optional(max_length=200)
    scheduled_at: Moment = optional()
    duration_minutes: int = optional(ge=5, le=600)
    our_attendees: Str = optional(max_length=2000)
    their_attendees: Str = optional(max_length=2000)
    facts: Str = optional(max_length=TEXT)
    concerns: Str = optional(max_length=TEXT)
    proposed_plan: Str = optional(max_length=TEXT)
    project_state: Str = optional(max_length=TEXT)
    work_done: Str = optional(max_length=TEXT)
    choices_made: Str = optional(max_length=TEXT)
    client_choices_effect: Str = optional(max_length=TEXT)


class OutcomeIn(InSchema):
    outcome: Str = Field(..., min_length=1, max_length=20000)
    held_at: Moment | None = Field(None, description="When the call was held (default: its time).")
    version: Version | None = None


def _set(payload: Schema) -> dict[str, Any]:
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    for name, value in fields.items():
        if value is None:
            raise ValidationError({name: "Cannot be null."})
    return fields


@router.get(
    "/cases/{case_id}/calls", response={200: list[CallOut], **READ_ERRORS}, summary="List calls"
)
@paginate(Page)
def list_calls(request: HttpRequest, case_id: Id) -> QuerySet[CallPrep]:
    """The case's prepared calls, latest first."""
    user = actor(request)
    return queries.list_calls(user, case=get_case_for(user, case_id))


@router.post(
    "/cases/{case_id}/calls",
    response={201: CallOut, **WRITE_ERRORS},
    summary="Prepare a call",
)
def create_call(request: HttpRequest, case_id: Id, payload: CallIn) -> Status:
    """A call sheet (R14); what you leave out is filled from the case (facts, open
    concerns, open plan, who attends)."""
    user = actor(request)
    case = get_case_for(user, case_id)
    fields = {k: v for k, v in payload.model_dump().items() if v is not None}
    prep = actions.prepare_call(user, case, **fields)
    return Status(201, queries.get_call_for(user, prep.pk))


@router.get("/calls/{call_id}", response={200: CallOut, **READ_ERRORS}, summary="Get a call")
def get_call(request: HttpRequest, call_id: Id) -> CallPrep:
    """One call sheet of a case you can see, with its outcome once held."""
    return queries.get_call_for(actor(request), call_id)


@router.patch("/calls/{call_id}", response={200: CallOut, **WRITE_ERRORS}, summary="Edit a call")
def update_call(request: HttpRequest, call_id: Id, payload: CallPatch) -> CallPrep:
    """Change the fields you send (409 `stale_edit` if someone changed it since)."""
    user = actor(request)
    prep = queries.get_call_for(user, call_id)
    actions.update_call(user, prep, version=payload.version, **_set(payload))
    return queries.get_call_for(user, prep.pk)


@router.post(
    "/calls/{call_id}/outcome",
    response={200: CallOut, **WRITE_ERRORS},
    summary="Record a call's outcome",
)
def record_outcome(request: HttpRequest, call_id: Id, payload: OutcomeIn) -> CallPrep:
    """The call was held: it goes on the case as a call (stopping the first-response
    clock) and its written recap is drafted (`recap_draft`), to send within a working
    day (R22). Once only (422 after)."""
    user = actor(request)
    prep = queries.get_call_for(user, call_id)
    actions.record_call_outcome(
        user, prep, outcome=payload.outcome, version=payload.version, held_at=payload.held_at
    )
    return queries.get_call_for(user, prep.pk)


# --- Agendas ----------------------------------------------------------------------------


class AgendaOut(OutSchema):
    id: int
    version: int
    case: int = Field(validation_alias="case_id")
    checkin: int | None = Field(validation_alias="checkin_id")
    duration_minutes: int
    affirmations: str
    current_state: str
    moving_forward: str
    check_ins: str
    milestones: str
    text: str = Field(validation_alias="as_text", description="The agenda as sent.")
    sent_at: datetime | None
    sent_communication: int | None = Field(validation_alias="sent_communication_id")
    updated: datetime


class AgendaIn(InSchema):
    checkin: Id | None = Field(None, description="The check-in (default: the next one).")
    duration_minutes: int | None = Field(None, ge=5, le=600)
    affirmations: Str | None = Field(None, max_length=TEXT)
    current_state: Str | None = Field(None, max_length=TEXT)
    moving_forward: Str | None = Field(None, max_length=TEXT)
    check_ins: Str | None = Field(None, max_length=TEXT)
    milestones: Str | None = Field(None, max_length=TEXT)


class AgendaPatch(InSchema):
    version: Version
    checkin: Id | None = None
    duration_minutes: int = optional(ge=5, le=600)
    affirmations: Str = optional(max_length=TEXT)
    current_state: Str = optional(max_length=TEXT)
    moving_forward: Str = optional(max_length=TEXT)
    check_ins: Str = optional(max_length=TEXT)
    milestones: Str = optional(max_length=TEXT)


class AgendaSendIn(InSchema):
    to: list[Str] | None = Field(
        None, max_length=50, description="Default: every contact of the client with an address."
    )
    version: Version | None = None


def _checkin(user: Any, case: Any, checkin_id: int | None) -> Any:
    if checkin_id is None:
        return None
    try:
        checkin = get_part_for(user, "checkin", checkin_id)
    except NotFound:
        raise ValidationError({"checkin": "There is no check-in with that id."}) from None
    if checkin.case_id != case.pk:
        raise ValidationError({"checkin": "That check-in belongs to another case."})
    return checkin


@router.get(
    "/cases/{case_id}/agendas",
    response={200: list[AgendaOut], **READ_ERRORS},
    summary="List agendas",
)
@paginate(Page)
def list_agendas(request: HttpRequest, case_id: Id) -> QuerySet[Agenda]:
    """The case's check-in agendas, latest first."""
    user = actor(request)
    return queries.list_agendas(user, case=get_case_for(user, case_id))


@router.post(
    "/cases/{case_id}/agendas",
    response={201: AgendaOut, **WRITE_ERRORS},
    summary="Create a check-in agenda",
)
def create_agenda(request: HttpRequest, case_id: Id, payload: AgendaIn) -> Status:
    """A five-part agenda (R19); parts you leave out are generated from the case."""
    user = actor(request)
    case = get_case_for(user, case_id)
    fields = {k: v for k, v in payload.model_dump().items() if v is not None}
    if "checkin" in fields:
        fields["checkin"] = _checkin(user, case, fields["checkin"])
    agenda = actions.create_agenda(user, case, **fields)
    return Status(201, queries.get_agenda_for(user, agenda.pk))


@router.get(
    "/agendas/{agenda_id}", response={200: AgendaOut, **READ_ERRORS}, summary="Get an agenda"
)
def get_agenda(request: HttpRequest, agenda_id: Id) -> Agenda:
    """One agenda: its five parts, and when it was sent."""
    return queries.get_agenda_for(actor(request), agenda_id)


@router.patch(
    "/agendas/{agenda_id}", response={200: AgendaOut, **WRITE_ERRORS}, summary="Edit an agenda"
)
def update_agenda(request: HttpRequest, agenda_id: Id, payload: AgendaPatch) -> Agenda:
    """Change the fields you send; `checkin: null` unlinks the check-in."""
    user = actor(request)
    agenda = queries.get_agenda_for(user, agenda_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    if "checkin" in fields:
        fields["checkin"] = _checkin(user, agenda.case, fields["checkin"])
    for name, value in fields.items():
        if value is None and name != "checkin":
            raise ValidationError({name: "Cannot be null."})
    actions.update_agenda(user, agenda, version=payload.version, **fields)
    return queries.get_agenda_for(user, agenda.pk)


@router.post(
    "/agendas/{agenda_id}/send",
    response={200: AgendaOut, **WRITE_ERRORS},
    summary="Send an agenda with its invitation",
)
def send_agenda(request: HttpRequest, agenda_id: Id, payload: AgendaSendIn) -> Agenda:
    """Email the agenda to the client with a calendar invitation (.ics, METHOD:REQUEST)
    for its check-in, and keep it with the check-in. 422 when it cannot be sent."""
    user = actor(request)
    agenda = queries.get_agenda_for(user, agenda_id)
    actions.send_agenda(user, agenda, to=payload.to, version=payload.version)
    return queries.get_agenda_for(user, agenda.pk)
