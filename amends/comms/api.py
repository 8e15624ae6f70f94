"""API: communications with clients — emails, calls, meetings and notes (R22, R23)."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from amends.accounts.api import user_field
from amends.accounts.models import User
from amends.cases.queries import get_case_for
from amends.clients.queries import get_client_for, get_contact_for
from amends.comms import actions, queries
from amends.comms.models import Communication, EmailMessage
from amends.comms.schemas import (
    AssignIn,
    CommunicationFilter,
    CommunicationIn,
    CommunicationOut,
    CommunicationPatch,
    ImportFilter,
    ImportOut,
    UnmatchedEmailOut,
)
from amends.core.api_support import (
    ADMIN_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Page,
    actor,
)
from amends.core.errors import NotFound, ValidationError
from amends.watch.models import Job
from amends.watch.queries import get_job_for, list_jobs

IMPORT_KIND = "comms.import"
TRIAGE_READ_ERRORS = {k: v for k, v in ADMIN_WRITE_ERRORS.items() if k in (401, 403, 422)}

router = Router(tags=["Communications"])

_LINKS: dict[str, tuple[Callable[[User, object], Any], str]] = {
    "case": (get_case_for, "case"),
    "contact": (get_contact_for, "contact"),
    "recap_of": (queries.get_communication_for, "communication"),
}


def _with_links(user: User, fields: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids in `fields` into the objects they name, as `user` may see them.

    An id the user cannot see is refused like a missing one (422 on that field); whether
    a visible object belongs to the same client is checked by the write action.
    """
    for name, (get_for, noun) in _LINKS.items():
        if fields.get(name) is not None:
            try:
                fields[name] = get_for(user, fields[name])
            except NotFound:
                raise ValidationError({name: f"There is no {noun} with that id."}) from None
    if "person" in fields:
        fields["person"] = user_field(user, "person", fields["person"])
    return fields


@router.get(
    "/communications",
    response={200: list[CommunicationOut], **READ_ERRORS},
    summary="List communications",
)
@paginate(Page)
def list_communications(
    request: HttpRequest, filters: Query[CommunicationFilter]
) -> QuerySet[Communication]:
    """Communications with the clients you can see, newest first. Filter by `client` or
    `case` (an id you cannot see answers 404)."""
    user = actor(request)
    client = get_client_for(user, filters.client) if filters.client is not None else None
    case = get_case_for(user, filters.case) if filters.case is not None else None
    return queries.list_communications(user, client=client, case=case)


@router.post(
    "/communications",
    response={201: CommunicationOut, **WRITE_ERRORS},
    summary="Record a communication",
)
def create_communication(request: HttpRequest, payload: CommunicationIn) -> Status:
    """Record an email, call, meeting or note with a client (R22, R23). A real reply to
    the client (email, call or meeting, direction `out`) stops the first-response clock
    of the case it is linked to, or of all the client's open cases when unlinked (R1).
    The case, contact and recap must belong to the same client (422 otherwise)."""
    user = actor(request)
    client = get_client_for(user, payload.client)
    fields = _with_links(user, payload.model_dump(exclude={"client"}, exclude_none=True))
    comm = actions.record_communication(user, client, **fields)
    return Status(201, queries.get_communication_for(user, comm.pk))


@router.get(
    "/communications/{comm_id}",
    response={200: CommunicationOut, **READ_ERRORS},
    summary="Get a communication",
)
def get_communication(request: HttpRequest, comm_id: Id) -> Communication:
    """One communication with a client you can see."""
    return queries.get_communication_for(actor(request), comm_id)


@router.patch(
    "/communications/{comm_id}",
    response={200: CommunicationOut, **WRITE_ERRORS},
    summary="Edit a communication",
)
def update_communication(
    request: HttpRequest, comm_id: Id, payload: CommunicationPatch
) -> Communication:
    """Change the fields you send (`null` clears a link)."""
    user = actor(request)
    comm = queries.get_communication_for(user, comm_id)
    fields = _with_links(user, payload.model_dump(exclude_unset=True, exclude={"version"}))
    actions.update_communication(user, comm, version=payload.version, **fields)
    return queries.get_communication_for(user, comm.pk)


@router.post(
    "/imports",
    response={202: ImportOut, **WRITE_ERRORS},
    summary="Upload mail to import",
    tags=["Imports"],
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    client: Form[Id | None] = None,
) -> Status:
    """Upload a `.eml`, an `.mbox`, or a `.zip` of .eml files or of a Maildir (multipart
    form field `file`), to be imported in the background. Unless you are an admin, name
    one of your clients in the form field `client` (messages matching no contact go to
    it). Answers 202 with the queued job; follow it with `GET /imports/{job_id}`. A file
    larger than the limit (200 MB by default) or an unsafe zip answers 422."""
    user = actor(request)
    target = get_client_for(user, client) if client is not None else None
    job = actions.start_import(user, uploaded_file=file, client=target)
    return Status(202, get_job_for(user, job.pk))


@router.get(
    "/imports",
    response={200: list[ImportOut], **READ_ERRORS},
    summary="List imports",
    tags=["Imports"],
)
@paginate(Page)
def list_imports(request: HttpRequest, filters: Query[ImportFilter]) -> QuerySet[Job]:
    """Import jobs of your clients, and your own imports without a client (admins: all),
    newest first, with their progress and, once finished, their summary."""
    return list_jobs(actor(request), kind=IMPORT_KIND, status=filters.status)


@router.get(
    "/imports/{job_id}",
    response={200: ImportOut, **READ_ERRORS},
    summary="Get an import",
    tags=["Imports"],
)
def get_import(request: HttpRequest, job_id: Id) -> Job:
    """One import job: status, progress, and its summary once finished."""
    job = get_job_for(actor(request), job_id)
    if job.kind != IMPORT_KIND:
        raise NotFound("import")
    return job


@router.get(
    "/triage",
    response={200: list[UnmatchedEmailOut], **TRIAGE_READ_ERRORS},
    summary="List unmatched emails",
    tags=["Imports"],
)
@paginate(Page)
def list_triage(request: HttpRequest) -> QuerySet[EmailMessage]:
    """Admins: imported emails no client matched, newest first. Others get 403."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can see the triage list.")
    return queries.list_unmatched(user)


@router.post(
    "/triage/{message_id}/assign",
    response={200: CommunicationOut, **ADMIN_WRITE_ERRORS},
    summary="Assign an unmatched email",
    tags=["Imports"],
)
def assign_email(request: HttpRequest, message_id: Id, payload: AssignIn) -> Communication:
    """Admins: put an unmatched email on a client's timeline. Its sender (or, for our
    own message, its recipient) becomes a contact, so the next one matches by itself.
    Answers the communication created."""
    user = actor(request)
    message = queries.get_email_for(user, message_id)
    if message.client_id is not None or not user.is_admin:
        raise NotFound("email")
    comm = actions.assign_message(user, message, get_client_for(user, payload.client))
    return queries.get_communication_for(user, comm.pk)
