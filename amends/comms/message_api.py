"""API: reading an imported email (new part, quoted history, signature, sanitised HTML,
attachments, thread), and linking it to a case or quoting it as a concern."""

from datetime import datetime
from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from amends.cases.models import Concern
from amends.cases.queries import get_case_for
from amends.comms import message_actions
from amends.comms.models import EmailMessage
from amends.comms.queries import get_email_for, list_thread
from amends.comms.rendering import attachment_file, render_email
from amends.core.api_support import (
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    InSchema,
    OutSchema,
    Page,
    Str,
    actor,
)
from amends.core.errors import NotFound, ValidationError

router = Router(tags=["Communications"])

MAX_INDEX = 10_000
Index = Annotated[int, Field(ge=0, le=MAX_INDEX)]


class AttachmentOut(Schema):
    index: int
    filename: str
    content_type: str
    size: int = Field(description="In bytes.")
    url: str = Field(description="The API path that downloads it.")


class HtmlOut(Schema):
    """The HTML body, sanitised (strict allow-list; remote images replaced by a
    placeholder; links open in a new tab, rel="noopener noreferrer nofollow"; inline
    images point at the web app's attachment download)."""

    new: str
    quoted: str
    signature: str


class EmailSummaryOut(OutSchema):
    id: int
    communication: int | None = Field(
        validation_alias="communication_id", description="Its communication on the timeline."
    )
    client: int | None = Field(validation_alias="client_id")
    subject: str
    from_name: str
    from_address: str
    to: list[str] = Field(validation_alias="to_addresses")
    cc: list[str] = Field(validation_alias="cc_addresses")
    bcc: list[str] = Field(
        validation_alias="bcc_addresses", description="Only in our own sent copy of a message."
    )
    sent_at: datetime | None = Field(description="The Date header, if valid.")
    occurred_at: datetime
    direction: str
    thread_root: int | None = Field(
        validation_alias="thread_root_id", description="The first known message of its thread."
    )
    automatic: str = Field(
        description="Mail no person wrote (direction `auto`): `bounce`, a delivery failure;"
        " `auto-reply`, an automatic reply; empty for a person's mail."
    )
    undelivered: list[str] = Field(
        description="For a bounce: the addresses its report says could not be reached."
    )


class EmailOut(EmailSummaryOut):
    new: str = Field(description="What is new in this message (plain text).")
    quoted: str = Field(description="The quoted history it carries (plain text).")
    signature: str = Field(description="The signature, when recognised.")
    html: HtmlOut | None = Field(description="The HTML version, sanitised, if any.")
    attachments: list[AttachmentOut]
    problems: list[str] = Field(description="What was noted when reading it.")


class LinkIn(InSchema):
    case: Id = Field(description="One of the message's client's cases.")
    whole_thread: bool = Field(False, description="Link every message of its thread.")


class LinkOut(Schema):
    case: int
    communications: list[int] = Field(description="The communications now linked to it.")


class ConcernFromQuoteIn(InSchema):
    case: Id = Field(description="One of the message's client's cases.")
    quote: Str = Field(
        min_length=1,
        max_length=message_actions.MAX_QUOTE_CHARS,
        description="The client's words, as they appear in the message.",
    )


class ConcernFromQuoteOut(Schema):
    id: int
    case: int
    text: str
    source: str
    communication: int | None


def _summary(message: EmailMessage) -> dict[str, object]:
    return {
        "id": message.pk,
        "communication": message.communication_id,
        "client": message.client_id,
        "subject": message.subject,
        "from_name": message.from_name,
        "from_address": message.from_address,
        "to": list(message.to_addresses or []),
        "cc": list(message.cc_addresses or []),
        "bcc": list(message.bcc_addresses or []),
        "sent_at": message.sent_at,
        "occurred_at": message.occurred_at,
        "direction": message.direction,
        "thread_root": message.thread_root_id or message.pk,
        "automatic": message.automatic,
        "undelivered": list(message.undelivered or []),
    }


def _api_attachment_url(message: EmailMessage, index: int) -> str:
    return f"/api/v1/emails/{message.pk}/attachments/{index}"


@router.get("/emails/{email_id}", response={200: EmailOut, **READ_ERRORS}, summary="Read an email")
def get_email(request: HttpRequest, email_id: Id) -> dict[str, object]:
    """An imported email as read: headers, the new part of the message, the quoted
    history and the signature (plain text), the sanitised HTML split the same way, the
    attachments and the problems noted at import."""
    message = get_email_for(actor(request), email_id)
    rendered = render_email(message)
    html = rendered.html
    return {
        **_summary(message),
        "new": rendered.text.new,
        "quoted": rendered.text.quoted,
        "signature": rendered.text.signature,
        "html": (
            {"new": html.new, "quoted": html.quoted, "signature": html.signature} if html else None
        ),
        "attachments": [
            {**vars(a), "url": _api_attachment_url(message, a.index)} for a in rendered.attachments
        ],
        "problems": [*message.problems, *rendered.problems],
    }


@router.get(
    "/emails/{email_id}/thread",
    response={200: list[EmailSummaryOut], **READ_ERRORS},
    summary="List an email's thread",
)
@paginate(Page)
def get_thread(request: HttpRequest, email_id: Id) -> QuerySet[EmailMessage]:
    """The messages of the email's thread you can see, oldest first."""
    user = actor(request)
    return list_thread(user, get_email_for(user, email_id))


@router.get(
    "/emails/{email_id}/attachments/{index}",
    response={**READ_ERRORS},
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The attachment's bytes, as a download "
                "(application/octet-stream, Content-Disposition: attachment).",
                "content": {"application/octet-stream": {}},
            }
        }
    },
)
def get_attachment(request: HttpRequest, email_id: Id, index: Index) -> HttpResponse:
    """The `index`-th attachment (from 0, as listed by `GET /emails/{email_id}`), as a
    download: never rendered by the browser."""
    from amends.comms.message_views import _download

    message = get_email_for(actor(request), email_id)
    file = attachment_file(bytes(message.raw.data), index)
    if file is None:
        raise NotFound("attachment")
    return _download(file.data, file.filename)


def _case(request: HttpRequest, case_id: int) -> object:
    try:
        return get_case_for(actor(request), case_id)
    except NotFound:
        raise ValidationError({"case": "There is no case with that id."}) from None


@router.post(
    "/emails/{email_id}/link",
    response={200: LinkOut, **WRITE_ERRORS},
    summary="Link an email to a case",
)
def link_email(request: HttpRequest, email_id: Id, payload: LinkIn) -> dict[str, object]:
    """Link the email's communication, or with `whole_thread` every message of its
    thread you can see, to one of its client's cases (another client's case: 422)."""
    user = actor(request)
    message = get_email_for(user, email_id)
    case = _case(request, payload.case)
    comms = message_actions.link_to_case(
        user,
        message,
        case,  # type: ignore[arg-type]
        whole_thread=payload.whole_thread,
    )
    return {"case": payload.case, "communications": [c.pk for c in comms]}


@router.post(
    "/emails/{email_id}/concern",
    response={201: ConcernFromQuoteOut, **WRITE_ERRORS},
    summary="Record a concern quoted from an email",
)
def concern_from_email(request: HttpRequest, email_id: Id, payload: ConcernFromQuoteIn) -> Status:
    """Record a concern in one of the client's cases, in the client's own words (R5):
    `quote` must appear in the message (spacing, case and curly quotes aside; 422
    otherwise). The concern keeps the message as its communication and where it was said."""
    user = actor(request)
    message = get_email_for(user, email_id)
    case = _case(request, payload.case)
    concern: Concern = message_actions.concern_from_quote(user, message, case, payload.quote)  # type: ignore[arg-type]
    return Status(
        201,
        {
            "id": concern.pk,
            "case": concern.case_id,
            "text": concern.text,
            "source": concern.source,
            "communication": concern.communication_id,
        },
    )
