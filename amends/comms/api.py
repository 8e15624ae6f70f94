"""API: communications with clients — emails, calls, meetings and notes (R22, R23)."""

import json
import os
import shutil
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from amends.accounts.api import user_field
from amends.accounts.models import User
from amends.cases.queries import get_case_for
from amends.clients.models import Client
from amends.clients.queries import get_client_for, get_contact_for
from amends.clients.schemas import ClientOut
from amends.comms import actions, csv_import, meeting_actions, queries, triage_actions
from amends.comms.models import Communication, EmailMessage
from amends.comms.schemas import (
    AssignedOut,
    AssignIn,
    AssignSelectedIn,
    CommunicationFilter,
    CommunicationIn,
    CommunicationOut,
    CommunicationPatch,
    DismissedOut,
    DismissedSelectedOut,
    DomainDismissIn,
    DomainIn,
    ImportFilter,
    ImportOut,
    SelectedIn,
    UnmatchedEmailOut,
    UpcomingMeetingFilter,
    UpcomingMeetingOut,
    WaitingDomainOut,
)
from amends.comms.uploads import store_upload, upload_folder, upload_kind
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


class CsvRowOut(Schema):
    line: int = Field(description="Line number in the file (the header is line 1).")
    status: str = Field(description="create, update, unchanged, error or unmatched.")
    message: str = Field(description="Why the row cannot be imported, if it cannot.")
    client: str
    when: str
    subject: str


class CsvDryRunOut(Schema):
    """What importing a CSV would do, row by row; nothing was written."""

    columns: list[str] = Field(description="The file's columns.")
    mapping: dict[str, str] = Field(description="The mapping used: field -> column.")
    seen: int
    create: int
    update: int
    unchanged: int
    unmatched: int
    errors: int
    rows: list[CsvRowOut] = Field(description="Each row's outcome (the first 1,000).")


def _mapping_json(text: str | None) -> dict[str, str] | None:
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise ValidationError({"mapping": "The mapping is not JSON."}) from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            {"mapping": 'Give the mapping as a JSON object: {"when": "Date", ...}.'}
        )
    return value


def _dry_run_out(summary: meeting_actions.MeetingImportSummary) -> dict[str, Any]:
    return {
        "columns": summary.columns,
        "mapping": summary.mapping,
        "seen": summary.seen,
        "create": summary.imported,
        "update": summary.updated,
        "unchanged": summary.duplicates,
        "unmatched": summary.unmatched,
        "errors": summary.rejected_count,
        "rows": [vars(r) for r in summary.rows],
    }


@router.post(
    "/imports",
    response={200: CsvDryRunOut, 202: ImportOut, **WRITE_ERRORS},
    summary="Upload mail, a calendar or a call log to import",
    tags=["Imports"],
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    client: Form[Id | None] = None,
    mapping: Form[str | None] = None,
    dry_run: Form[bool] = False,
    day_first: Form[bool] = False,
) -> Status:
    """Upload a file (multipart form field `file`) to be imported in the background:
    mail (a `.eml` or Apple Mail `.emlx`, an `.mbox`, or a `.zip` of an export: a Google
    Takeout, .eml files, mbox files, a Maildir), a calendar (`.ics`: meetings become
    timeline entries) or a call log (`.csv`). Unless you are an
    admin, name one of your clients in the form field `client` (what matches no contact
    goes to it; for a CSV you may instead map a column naming each row's client).

    For a CSV, `mapping` is a JSON object field -> column (fields: when, time, channel,
    direction, client, contact_email, contact_name, subject, summary, duration, end,
    person, external_id); fields left out are guessed from the column names. `day_first`
    reads 04/03/2026 as 4 March. With `dry_run` true nothing is written and the answer
    (200) says what would happen to each row.

    Answers 202 with the queued job; follow it with `GET /imports/{job_id}`. A file
    larger than the limit (200 MB by default), an unsafe .zip or .tgz, an unreadable CSV or a bad
    mapping answers 422."""
    user = actor(request)
    target = get_client_for(user, client) if client is not None else None
    kind = upload_kind(file.name or "")
    if kind not in ("csv", "ics"):
        job = actions.start_import(user, uploaded_file=file, client=target)
        return Status(202, get_job_for(user, job.pk))
    chosen = _mapping_json(mapping) if kind == "csv" else None
    if kind == "csv":
        if file.size is not None and file.size > csv_import.DEFAULT_MAX_CSV_BYTES:
            raise ValidationError({"file": "The CSV file is larger than 10 MB."})
        data = file.read(csv_import.DEFAULT_MAX_CSV_BYTES + 1)
        file.seek(0)
        try:
            report = meeting_actions.import_csv(
                user,
                data,
                chosen,
                client=target,
                day_first=day_first,
                dry_run=True,
                label=os.path.basename(file.name or "upload.csv"),
                guess_rest=True,
            )
        except csv_import.CsvError as exc:
            raise ValidationError({"file": str(exc)}) from None
        except csv_import.MappingError as exc:
            raise ValidationError({"mapping": str(exc)}) from None
        if dry_run:
            return Status(200, _dry_run_out(report))
        chosen = report.mapping
    relative = store_upload(file)
    try:
        job = meeting_actions.start_meeting_import(
            user,
            relative=relative,
            kind=kind,
            name=file.name or "",
            client=target,
            mapping=chosen,
            day_first=day_first,
        )
    except BaseException:
        shutil.rmtree(upload_folder(relative), ignore_errors=True)
        raise
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


class TriagePage(Page):
    """`Page`, with the client each email answers (`thread_client`) looked up for the
    whole page at once."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(result["items"])
        result["items"] = _with_thread_clients(actor(request), items)
        return result


def _with_thread_clients(user: User, emails: list[EmailMessage]) -> list[EmailMessage]:
    found = queries.thread_clients(user, emails)
    for email in emails:
        email.thread_client = found.get(email.pk)  # type: ignore[attr-defined]
    return emails


@router.get(
    "/triage",
    response={200: list[UnmatchedEmailOut], **TRIAGE_READ_ERRORS},
    summary="List unmatched emails",
    tags=["Imports"],
)
@paginate(TriagePage)
def list_triage(request: HttpRequest, dismissed: bool = False) -> QuerySet[EmailMessage]:
    """Admins: imported emails no client matched and still waiting, newest first; with
    `dismissed=true`, those set aside as no client's instead. Others get 403."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can see the triage list.")
    return queries.list_triage(user, dismissed=dismissed)


@router.get(
    "/triage/domains",
    response={200: list[WaitingDomainOut], **TRIAGE_READ_ERRORS},
    summary="List the domains waiting most in triage",
    tags=["Imports"],
)
def list_triage_domains(request: HttpRequest, limit: int = 8) -> list[queries.WaitingDomain]:
    """Admins: the domains of the people the mail waiting in triage is with (the sender
    of mail to us, the recipients but us of mail from us), those with the most messages
    first (`limit`, 1–100). Others get 403."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can see the triage list.")
    return queries.waiting_domains(user, limit)


@router.post(
    "/triage/domains",
    response={200: ClientOut, **ADMIN_WRITE_ERRORS},
    summary="Add a client's email domain from triage",
    tags=["Imports"],
)
def add_triage_domain(request: HttpRequest, payload: DomainIn) -> Client:
    """Admins: add `domain` to the client's email domains. The mail waiting in triage
    from and to people there follows in the background (a `comms.match_triage` job).
    Refused: a public email provider, another client's domain. Answers the client."""
    from amends.clients.actions import add_email_domain

    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can add a client's email domain from triage.")
    client = add_email_domain(user, get_client_for(user, payload.client), payload.domain)
    return get_client_for(user, client.pk)


@router.post(
    "/triage/domains/dismiss",
    response={200: DismissedOut, **ADMIN_WRITE_ERRORS},
    summary="Set aside the mail waiting with people at a domain",
    tags=["Imports"],
)
def dismiss_triage_domain(request: HttpRequest, payload: DomainDismissIn) -> dict[str, int]:
    """Admins: dismiss every email waiting in triage that the domains list counts for
    `domain` (a newsletter's, a mailing list's), as `/triage/{id}/dismiss` would each.
    Refused: a public email provider, the firm's own domain. Answers how many."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can set mail in triage aside.")
    return {"dismissed": triage_actions.dismiss_domain(user, payload.domain)}


def _waiting_email(user: Any, message_id: int) -> EmailMessage:
    """An email still in triage (waiting or dismissed), for an admin; 404 otherwise."""
    message = queries.get_email_for(user, message_id)
    if message.client_id is not None or not user.is_admin:
        raise NotFound("email")
    return message


def _on_selected(
    user: User, ids: list[int], act: Callable[[User, list[EmailMessage]], triage_actions.Selected]
) -> tuple[int, list[dict[str, object]]]:
    """`triage_actions.on_waiting`, answered as how many were done and the skipped ones
    with their reasons."""
    result, missing = triage_actions.on_waiting(user, ids, act)
    skipped = [{"id": pk, "reason": reason} for pk, reason in result.skipped]
    gone = "This message is no longer waiting in triage."
    return result.done, skipped + [{"id": pk, "reason": gone} for pk in missing]


@router.post(
    "/triage/assign",
    response={200: AssignedOut, **ADMIN_WRITE_ERRORS},
    summary="Assign several unmatched emails to a client",
    tags=["Imports"],
)
def assign_selected(request: HttpRequest, payload: AssignSelectedIn) -> dict[str, object]:
    """Admins: assign up to 200 emails waiting in triage to one client, each as
    `/triage/{id}/assign` would. One that is no longer waiting (assigned meanwhile,
    dismissed, unknown) is skipped with the reason; the others go."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can assign mail in triage.")
    client = get_client_for(user, payload.client)
    act = partial(triage_actions.assign_selected, client=client)
    assigned, skipped = _on_selected(user, payload.ids, act)
    return {"assigned": assigned, "skipped": skipped}


@router.post(
    "/triage/assign-by-thread",
    response={200: AssignedOut, **ADMIN_WRITE_ERRORS},
    summary="Assign several unmatched emails, each to the client whose mail it answers",
    tags=["Imports"],
)
def assign_by_thread(request: HttpRequest, payload: SelectedIn) -> dict[str, object]:
    """Admins: assign up to 200 emails waiting in triage, each to its `thread_client`
    (the client whose mail it answers by In-Reply-To or References), as
    `/triage/{id}/assign` would. One that answers no client's mail, or is no longer
    waiting, is skipped with the reason."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can assign mail in triage.")
    assigned, skipped = _on_selected(user, payload.ids, triage_actions.assign_by_thread)
    return {"assigned": assigned, "skipped": skipped}


@router.post(
    "/triage/dismiss",
    response={200: DismissedSelectedOut, **ADMIN_WRITE_ERRORS},
    summary="Set several unmatched emails aside as no client's",
    tags=["Imports"],
)
def dismiss_selected(request: HttpRequest, payload: SelectedIn) -> dict[str, object]:
    """Admins: dismiss up to 200 emails waiting in triage, each as `/triage/{id}/dismiss`
    would. One that is no longer waiting is skipped with the reason."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can set mail in triage aside.")
    dismissed, skipped = _on_selected(user, payload.ids, triage_actions.dismiss_selected)
    return {"dismissed": dismissed, "skipped": skipped}


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
    message = _waiting_email(user, message_id)
    comm = actions.assign_message(user, message, get_client_for(user, payload.client))
    return queries.get_communication_for(user, comm.pk)


@router.post(
    "/triage/{message_id}/dismiss",
    response={200: UnmatchedEmailOut, **ADMIN_WRITE_ERRORS},
    summary="Set an unmatched email aside as no client's",
    tags=["Imports"],
)
def dismiss_email(request: HttpRequest, message_id: Id) -> EmailMessage:
    """Admins: take a waiting email off the triage list (a newsletter, spam). It is kept,
    no later match places it, and `/restore` puts it back. Answers the email."""
    user = actor(request)
    message = _waiting_email(user, message_id)
    return _with_thread_clients(user, [triage_actions.dismiss_message(user, message)])[0]


@router.post(
    "/triage/{message_id}/restore",
    response={200: UnmatchedEmailOut, **ADMIN_WRITE_ERRORS},
    summary="Put a dismissed email back in triage",
    tags=["Imports"],
)
def restore_email(request: HttpRequest, message_id: Id) -> EmailMessage:
    """Admins: put a dismissed email back on the triage list. Answers the email."""
    user = actor(request)
    message = _waiting_email(user, message_id)
    return _with_thread_clients(user, [triage_actions.restore_message(user, message)])[0]


@router.get(
    "/upcoming-meetings",
    response={200: list[UpcomingMeetingOut], **READ_ERRORS},
    summary="List meetings still to come",
)
@paginate(Page)
def list_upcoming_meetings(
    request: HttpRequest, filters: Query[UpcomingMeetingFilter]
) -> QuerySet[Any]:
    """Meetings from imported calendars that are still to come (or under way) with the
    clients you can see, soonest first (R22). Filter by `client` (an id you cannot see
    answers 404). Meetings that have happened are communications once the calendar is
    imported again."""
    user = actor(request)
    client = get_client_for(user, filters.client) if filters.client is not None else None
    return queries.list_upcoming_meetings(user, timezone.now(), client=client)


@router.delete(
    "/upcoming-meetings/{meeting_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a meeting no longer planned",
)
def delete_upcoming_meeting(request: HttpRequest, meeting_id: Id) -> Status:
    """Take away a meeting that was deleted from the calendar (a cancelled one goes by
    itself at the next import). Importing a calendar that still holds it brings it back."""
    user = actor(request)
    meeting_actions.remove_upcoming_meeting(user, queries.get_upcoming_for(user, meeting_id))
    return Status(204, None)
