"""API: connected mailboxes (IMAP over SSL) that the worker polls for new mail.

The password is write-only: it is accepted on create and update, never returned.
"""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Status
from ninja.pagination import paginate

from amends.clients.queries import get_client_for
from amends.comms import mailbox_actions
from amends.comms.mailbox_queries import get_mailbox_for, list_mailboxes
from amends.comms.models import MailboxAccount
from amends.core.api_support import (
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    InSchema,
    OutSchema,
    Page,
    Str,
    Version,
    actor,
    optional,
)
from amends.core.errors import NotFound, ValidationError
from amends.watch.queries import get_job_for
from amends.watch.schemas import JobOut

router = Router(tags=["Mailboxes"])

Port = Annotated[int, Field(ge=1, le=65535)]
Interval = Annotated[int, Field(ge=60, le=86400)]


class MailboxIn(InSchema):
    host: Str = Field(max_length=253, description="The IMAP server, e.g. imap.example.com.")
    port: Port = Field(993, description="IMAP over SSL: 993.")
    username: Str = Field(max_length=320)
    password: Str = Field(
        max_length=1000, description="Write-only: stored encrypted, never returned."
    )
    folder: Str = Field("INBOX", max_length=200)
    read_sent: bool = Field(
        True,
        description="Also read the sent folder; only the messages to a client's contacts or "
        "domains are kept.",
    )
    sent_folder: Str = Field(
        "",
        max_length=200,
        description="The sent folder; empty: the one the server marks as Sent (found at the "
        "first poll).",
    )
    client: Id | None = Field(
        None,
        description="Every message goes to this client. Only admins may leave it empty "
        "(messages are then matched to clients by address).",
    )
    label: Str = Field("", max_length=100)
    poll_interval: Interval = Field(300, description="Seconds between polls (60–86400).")
    verify_tls: bool = Field(
        True, description="Check the server's certificate. Only admins may turn it off."
    )
    enabled: bool = True


class MailboxPatch(InSchema):
    version: Version
    host: Str = optional(max_length=253)
    port: Port = optional()
    username: Str = optional(max_length=320)
    password: Str = optional(
        max_length=1000, description="Write-only; leave out (or empty) to keep the saved one."
    )
    folder: Str = optional(max_length=200)
    read_sent: bool = optional()
    sent_folder: Str = optional(max_length=200, description="Empty: found again at the next poll.")
    client: Id | None = Field(None, description="null: match by address (admins only).")
    label: Str = optional(max_length=100)
    poll_interval: Interval = optional()
    verify_tls: bool = optional()
    enabled: bool = optional()


class RejectedOut(OutSchema):
    uid: int
    reason: str
    folder: str = Field("", description="The sent folder, for a sent message; empty: the folder.")


class MailboxOut(OutSchema):
    id: int
    version: int
    owner: int = Field(validation_alias="owner_id")
    client: int | None = Field(validation_alias="client_id")
    label: str
    host: str
    port: int
    username: str
    folder: str
    read_sent: bool
    sent_folder: str = Field(description="The sent folder read (found or named); empty: none yet.")
    verify_tls: bool
    enabled: bool
    poll_interval: int
    last_uid: int = Field(description="The highest UID read from the folder so far.")
    sent_last_uid: int = Field(description="The highest UID read from the sent folder so far.")
    imported_count: int = Field(description="Messages imported from this mailbox so far.")
    rejected: list[RejectedOut] = Field(description="The latest messages that were not kept.")
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    last_error: str = Field(description="Why the last poll failed; empty if it did not.")
    consecutive_failures: int
    created_at: datetime


def _fields(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("client") is not None:
        data["client"] = get_client_for(user, data["client"])
    return data


@router.get(
    "/mailboxes",
    response={200: list[MailboxOut], **READ_ERRORS},
    summary="List connected mailboxes",
)
@paginate(Page)
def list_mailbox_accounts(request: HttpRequest) -> QuerySet[MailboxAccount]:
    """Your connected mailboxes (admins: everyone's), with how their polling goes."""
    return list_mailboxes(actor(request))


@router.post(
    "/mailboxes",
    response={201: MailboxOut, **WRITE_ERRORS},
    summary="Connect a mailbox",
)
def create_mailbox(request: HttpRequest, payload: MailboxIn) -> Status:
    """Connect an IMAP mailbox (SSL only). The first poll is due at once; follow it with
    `GET /mailboxes/{id}`. A client you are not on the team of answers 404."""
    user = actor(request)
    account = mailbox_actions.connect_mailbox(user, **_fields(user, payload.dict()))
    return Status(201, get_mailbox_for(user, account.pk))


@router.get(
    "/mailboxes/{mailbox_id}",
    response={200: MailboxOut, **READ_ERRORS},
    summary="Get a mailbox",
)
def get_mailbox(request: HttpRequest, mailbox_id: Id) -> MailboxAccount:
    """One of your mailboxes: settings (never the password) and polling status."""
    return get_mailbox_for(actor(request), mailbox_id)


@router.patch(
    "/mailboxes/{mailbox_id}",
    response={200: MailboxOut, **WRITE_ERRORS},
    summary="Change a mailbox",
)
def update_mailbox(request: HttpRequest, mailbox_id: Id, payload: MailboxPatch) -> MailboxAccount:
    """Change a mailbox's settings; `enabled: false` stops polling it. Pointing it at
    another server, user or folder reads that folder from the start (nothing is
    imported twice)."""
    user = actor(request)
    account = get_mailbox_for(user, mailbox_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for name, value in data.items():
        if value is None and name != "client":
            raise ValidationError({name: "This field cannot be null."})
    mailbox_actions.update_mailbox(user, account, version=version, **_fields(user, data))
    return get_mailbox_for(user, account.pk)


@router.delete(
    "/mailboxes/{mailbox_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a mailbox",
)
def delete_mailbox(request: HttpRequest, mailbox_id: Id) -> Status:
    """Forget a mailbox and its password. What was imported from it stays."""
    user = actor(request)
    mailbox_actions.remove_mailbox(user, get_mailbox_for(user, mailbox_id))
    return Status(204, None)


@router.post(
    "/mailboxes/{mailbox_id}/poll",
    response={202: JobOut, **WRITE_ERRORS},
    summary="Poll a mailbox now",
)
def poll_mailbox_now(request: HttpRequest, mailbox_id: Id) -> Status:
    """Queue a poll now (or answer with the one already queued or running). Follow the
    job with `GET /jobs/{id}`."""
    user = actor(request)
    account = get_mailbox_for(user, mailbox_id)
    job = mailbox_actions.enqueue_poll(user, account)
    if job is None:  # cannot happen for a click, but never answer with nothing
        raise NotFound("job")
    return Status(202, get_job_for(user, job.pk))
