"""Communication pages: a client's communications (and recording one), one communication,
and its edit form. The client page embeds the same section partial (`comms/_section.html`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from copy import copy
from datetime import datetime
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from amends.accounts.models import User
from amends.clients.models import Client
from amends.clients.queries import get_client_for
from amends.comms import actions, meeting_actions, triage_actions
from amends.comms.csv_import import FIELDS as CSV_FIELDS
from amends.comms.csv_import import CsvError, MappingError
from amends.comms.forms import AssignForm, CommunicationForm, DomainForm, ImportForm, SelectedForm
from amends.comms.models import Communication, EmailMessage
from amends.comms.queries import (
    DIRECTION,
    awaiting_reply,
    calls_missing_recap,
    get_communication_for,
    get_email_for,
    get_upcoming_for,
    list_communications,
    list_triage,
    our_addresses,
    our_domains,
    outside_recipients,
    thread_clients,
    waiting_domains,
)
from amends.comms.triage_actions import TRIAGE_MATCH_JOB
from amends.comms.uploads import store_upload, upload_folder, upload_kind
from amends.core.errors import NotFound, StaleEdit, ValidationError
from amends.core.forms import add_action_error, model_changes
from amends.core.htmx import is_htmx, redirect, render_page_or_partial
from amends.core.views import found, render_invalid
from amends.watch.models import Job
from amends.watch.queries import has_active_jobs, list_jobs

IMPORT_KIND = "comms.import"

RECENT = 8
PAGE_SIZE = 30


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def section_context(
    user: User,
    client: Client,
    *,
    form: CommunicationForm | None = None,
    now: datetime | None = None,
    page: Any = None,
) -> dict[str, Any]:
    """What `comms/_section.html` needs: recent messages, what waits on us, the form."""
    now = now or timezone.now()
    missing = calls_missing_recap(user, now, client=client)
    return {
        "client": client,
        "recent": page if page is not None else list_communications(user, client=client)[:RECENT],
        "paged": page is not None,
        "awaiting": awaiting_reply(user, now, client=client),
        "missing_recaps": missing,
        "missing_recap_ids": {m.call.pk for m in missing},
        "comm_form": form
        or CommunicationForm(
            user=user, client=client, instance=Communication(client=client), prefix="comm"
        ),
        "now": now,
    }


@login_required
def client_comms(request: HttpRequest, client_id: int) -> HttpResponse:
    """GET: all of a client's communications, newest first. POST: record one."""
    user = _user(request)
    client = found(get_client_for, user, client_id)
    page_, partial = "comms/list.html", "comms/_section.html"
    paged = Paginator(list_communications(user, client=client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if request.method != "POST":
        return render_page_or_partial(
            request, page_, partial, section_context(user, client, page=paged)
        )
    form = CommunicationForm(
        request.POST, user=user, client=client, instance=Communication(client=client), prefix="comm"
    )
    if form.is_valid():
        try:
            comm = actions.record_communication(user, client, **model_changes(form))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            # A new message changes clocks, flags and the timeline: reload the whole page.
            messages.success(request, f"{comm.get_channel_display()} recorded.")
            return redirect(
                request, reverse("clients:detail", args=[client.pk]) + "#communications"
            )
    # htmx posts come from the client page (recent list); plain ones get the full list.
    context = section_context(user, client, form=form, page=None if is_htmx(request) else paged)
    return render_invalid(request, page_, partial, context)


@login_required
def comm_detail(request: HttpRequest, comm_id: int) -> HttpResponse:
    user = _user(request)
    comm = found(get_communication_for, user, comm_id)
    now = timezone.now()
    missing = [
        m
        for m in calls_missing_recap(user, now, client=comm.client, within=None)
        if m.call.pk == comm.pk
    ]
    waiting = [a for a in awaiting_reply(user, now, client=comm.client) if a.message.pk == comm.pk]
    context = {
        "comm": comm,
        "client": comm.client,
        "recaps": list_communications(user, client=comm.client).filter(recap_of=comm),
        "missing_recap": missing[0] if missing else None,
        "waiting": waiting[0] if waiting else None,
        "is_call": comm.channel in (Communication.Channel.CALL, Communication.Channel.MEETING),
    }
    # An imported email: show it as read (new part first, quotes folded), and the forms
    # to link it to a case or quote it as a concern (see comms.message_views).
    email = EmailMessage.objects.filter(communication=comm).select_related("raw").first()
    if email is not None:
        from amends.comms.message_views import message_context

        context.update(message_context(user, email))
        # Someone edited the summary after the import: show their words too.
        context["summary_edited"] = comm.summary.strip() != email.text_body[:20000].strip()
    return render(request, "comms/detail.html", context)


@login_required
def comm_edit(request: HttpRequest, comm_id: int) -> HttpResponse:
    user = _user(request)
    comm = found(get_communication_for, user, comm_id)
    client = comm.client
    data = request.POST if request.method == "POST" else None
    form = CommunicationForm(data, user=user, client=client, instance=copy(comm))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_communication(
                user, comm, version=form.cleaned_data["version"], **model_changes(form)
            )
        except StaleEdit as exc:
            comm = found(get_communication_for, user, comm.pk)
            form.note_conflict(exc, comm)
        except ValidationError as exc:
            comm = found(get_communication_for, user, comm.pk)
            add_action_error(form, exc)
        else:
            messages.success(request, "Communication saved.")
            return redirect(request, reverse("comms:detail", args=[comm.pk]))
    context = {"comm": comm, "client": client, "form": form}
    if form.errors:
        return render_invalid(request, "comms/edit.html", "comms/_form.html", context)
    return render_page_or_partial(request, "comms/edit.html", "comms/_form.html", context)


IMPORT_JOBS_SHOWN = 20


def _import_context(request: HttpRequest, form: ImportForm | None = None) -> dict[str, Any]:
    user = _user(request)
    jobs = list_jobs(user, kind=IMPORT_KIND).filter(created_by=user)
    form = form or ImportForm(user=user)
    form.fields["file"].label = "File to import"
    form.fields["file"].help_text = (
        "Mail: a .eml or .emlx, an .mbox (or a .gz of one, such as a mailing list's archive), "
        "Outlook's .msg or .pst (or .ost), or a .zip or .tgz of an export as it is (a Google "
        "Takeout, .eml or .msg files, mbox files, a Maildir). Meetings: an .ics calendar "
        "(Google, Outlook, Apple), Google's .zip of them, the calendars of a .pst (with "
        "its mail), or an appointment saved from Outlook's calendar (.msg). Calls and "
        "notes: a .csv file "
        "(you map its columns next)."
    )
    return {
        "form": form,
        "jobs": list(jobs[:IMPORT_JOBS_SHOWN]),
        "active": has_active_jobs(jobs),
        "refresh_url": reverse("comms:import_jobs"),
    }


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and this user's recent imports. POST: upload, queue the job."""
    user = _user(request)
    if request.method != "POST":
        return render(request, "comms/import.html", _import_context(request))
    form = ImportForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        try:
            kind = upload_kind(form.cleaned_data["file"].name or "")
            if kind == "csv":
                token = _store_pending_csv(user, form.cleaned_data["file"])
                return redirect(request, _csv_url(token, form.cleaned_data["client"]))
            if kind == "ics":
                job = _start_calendar(user, form.cleaned_data["file"], form.cleaned_data["client"])
            else:
                job = actions.start_import(
                    user,
                    uploaded_file=form.cleaned_data["file"],
                    client=form.cleaned_data["client"],
                )
        except ValidationError as exc:
            add_action_error(form, exc)
        except NotFound:
            form.add_error("client", "Choose one of your clients.")
        else:
            messages.success(request, f"Upload received; import #{job.pk} is queued.")
            return redirect(request, reverse("comms:import"))
    context = _import_context(request, form)
    return render(request, "comms/import.html", context, status=422)


@login_required
def import_jobs(request: HttpRequest) -> HttpResponse:
    """The list of this user's imports alone (the page polls it while any runs)."""
    return render(request, "comms/_imports.html", _import_context(request))


def _store_pending_csv(user: User, uploaded: Any) -> str:
    relative = store_upload(uploaded)
    return meeting_actions.save_pending_csv(user, relative, str(uploaded.name or ""))


def _csv_url(token: str, client: Client | None) -> str:
    url = reverse("comms:import_csv", args=[token])
    return f"{url}?client={client.pk}" if client is not None else url


def _start_calendar(user: User, uploaded: Any, client: Client | None) -> Any:
    if client is None and not user.is_admin:
        raise ValidationError({"client": "Choose one of your clients to import into."})
    relative = store_upload(uploaded)
    try:
        return meeting_actions.start_meeting_import(
            user, relative=relative, kind="ics", name=str(uploaded.name or ""), client=client
        )
    except BaseException:
        shutil.rmtree(upload_folder(relative), ignore_errors=True)
        raise


class CsvMappingForm(forms.Form):
    """Which column holds which field, for a CSV of calls and meeting notes."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Client",
        help_text="Rows naming no client (and matching no contact) go to this client.",
        error_messages={"invalid_choice": "Choose one of your clients."},
    )
    day_first = forms.BooleanField(
        required=False, label="Dates are day first (04/03/2026 is 4 March)"
    )

    def __init__(self, *args: Any, user: User, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from amends.clients.queries import list_clients

        self.fields["client"].queryset = list_clients(user)  # type: ignore[attr-defined]
        choices = [("", "— not in the file —"), *[(c, c) for c in columns]]
        for target, label in CSV_FIELDS.items():
            self.fields[f"map_{target}"] = forms.ChoiceField(
                choices=choices, required=target == "when", label=label
            )

    def mapping(self) -> dict[str, str]:
        return {
            target: self.cleaned_data.get(f"map_{target}") or ""
            for target in CSV_FIELDS
            if self.cleaned_data.get(f"map_{target}")
        }


@login_required
def import_csv(request: HttpRequest, token: str) -> HttpResponse:
    """A CSV upload's mapping step: its columns with a suggested mapping and a dry-run
    preview (per-row errors). POST `preview` re-checks; POST `import` queues the job."""
    user = _user(request)
    pending = found(meeting_actions.pending_csv, user, token)
    data = pending["file"].read_bytes()
    try:
        preview = meeting_actions.csv_preview(data)
    except CsvError as exc:
        shutil.rmtree(pending["file"].parent, ignore_errors=True)
        messages.error(request, str(exc))
        return redirect(request, reverse("comms:import"))
    columns = preview["columns"]
    if request.method == "POST":
        form = CsvMappingForm(request.POST, user=user, columns=columns)
    else:
        initial: dict[str, Any] = {f"map_{k}": v for k, v in preview["suggested"].items()}
        client_id = request.GET.get("client")
        if client_id and client_id.isdigit():
            initial["client"] = client_id
        form = CsvMappingForm(initial=initial, user=user, columns=columns)
    report = None
    status = 200
    bound = (
        form
        if request.method == "POST"
        else CsvMappingForm({**{k: v for k, v in form.initial.items()}}, user=user, columns=columns)
    )
    if bound.is_valid():
        mapping = bound.mapping()
        client = bound.cleaned_data["client"]
        day_first = bound.cleaned_data["day_first"]
        try:
            report = meeting_actions.import_csv(
                user,
                data,
                mapping,
                client=client,
                day_first=day_first,
                dry_run=True,
                label=pending["name"],
            )
            if request.method == "POST" and request.POST.get("action") == "import":
                job = meeting_actions.start_meeting_import(
                    user,
                    relative=pending["path"],
                    kind="csv",
                    name=pending["name"],
                    client=client,
                    mapping=mapping,
                    day_first=day_first,
                )
                messages.success(request, f"Import #{job.pk} of {pending['name']} is queued.")
                return redirect(request, reverse("comms:import"))
        except (ValidationError, MappingError, PermissionDenied) as exc:
            report = None
            _csv_error(form, exc)
            status = 422
        except NotFound:
            form.add_error("client", "Choose one of your clients.")
            status = 422
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "token": token,
        "name": pending["name"],
        "preview": preview,
        "report": report,
        "fields": [form[f"map_{t}"] for t in CSV_FIELDS],
    }
    return render(request, "comms/import_csv.html", context, status=status)


def _csv_error(form: forms.Form, exc: Exception) -> None:
    if isinstance(exc, MappingError):
        for target, message in exc.errors.items():
            name = f"map_{target}"
            form.add_error(name if name in form.fields else None, message)
    elif isinstance(exc, ValidationError):
        add_action_error(form, exc)
    else:
        form.add_error("client", str(exc))


def _admin_or_404(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_admin:
        raise Http404("Not found")
    return user


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    """Admins: imported emails no client matched, each with a one-click assign form and
    a button to set it aside as no client's; `?dismissed=1` lists those set aside."""
    user = _admin_or_404(request)
    dismissed = request.GET.get("dismissed") == "1"
    listed = list_triage(user, dismissed=dismissed)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    ours, users = our_domains(), our_addresses()
    hints = {} if dismissed else thread_clients(user, page)
    for message in page:  # mail we sent is shown by whom it went to
        if message.direction != DIRECTION.IN:
            shown, more = outside_recipients(message, ours, users)
            message.outside, message.more = shown, more  # type: ignore[attr-defined]
        message.thread_client = hints.get(message.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "comms/triage.html",
        {
            "messages_page": page,
            "answering": list(hints),  # the messages here that answer a client's mail
            "form": AssignForm(user=user),
            "dismissed": dismissed,
            "dismissed_count": list_triage(user, dismissed=True).count(),
            "domains": waiting_domains(user) if page and not dismissed else [],
            # A change that may match the waiting mail is being worked through.
            "matching": list_jobs(user, kind=TRIAGE_MATCH_JOB)
            .filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
            .first(),
        },
    )


@login_required
@require_POST
def triage_domain(request: HttpRequest) -> HttpResponse:
    """Admins: add the domain of mail waiting in triage to a client; that mail follows."""
    from amends.clients.actions import add_email_domain

    user = _admin_or_404(request)
    form = DomainForm(request.POST, user=user)
    if not form.is_valid():
        if "domain" in form.errors:
            messages.error(request, "Give one email domain, like example.com.")
        else:
            messages.error(request, "Choose a client to add the domain to.")
        return redirect(request, reverse("comms:triage"))
    client, domain = form.cleaned_data["client"], form.cleaned_data["domain"]
    try:
        client = add_email_domain(user, client, domain)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{client.name}'s email domains are now {', '.join(client.domains)}. The mail"
            " waiting here from and to people there follows in a moment.",
        )
    return redirect(request, reverse("comms:triage"))


@login_required
@require_POST
def triage_assign(request: HttpRequest, email_id: int) -> HttpResponse:
    """Admins: assign one unmatched email to a client (its sender becomes a contact)."""
    user = _admin_or_404(request)
    message = found(get_email_for, user, email_id)
    form = AssignForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, "Choose a client to assign the message to.")
        return redirect(request, reverse("comms:triage"))
    client = form.cleaned_data["client"]
    try:
        comm = actions.assign_message(user, message, client)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"“{comm.title}” assigned to {client.name}. Other messages waiting here with the"
            " same people follow it in a moment.",
        )
    return redirect(request, reverse("comms:triage"))


@login_required
@require_POST
def triage_dismiss(request: HttpRequest, email_id: int) -> HttpResponse:
    """Admins: set a message waiting in triage aside as no client's."""
    user = _admin_or_404(request)
    message = found(get_email_for, user, email_id)
    try:
        message = triage_actions.dismiss_message(user, message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"“{message.subject or '(no subject)'}” set aside as no client's. It is kept:"
            " restore it from the list of dismissed mail.",
        )
    return redirect(request, reverse("comms:triage"))


@login_required
@require_POST
def triage_selected(request: HttpRequest) -> HttpResponse:
    """Admins: assign the messages ticked in the triage list to one client, or set them
    aside; says how many went and why any did not."""
    user = _admin_or_404(request)
    form = SelectedForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(request, reverse("comms:triage"))
    act: Callable[[User, list[EmailMessage]], triage_actions.Selected]
    if form.cleaned_data["action"] == "assign":
        client = form.cleaned_data["client"]
        act = partial(triage_actions.assign_selected, client=client)
        done = (
            f"assigned to {client.name}. Other messages waiting with the same people follow"
            " in a moment"
        )
    elif form.cleaned_data["action"] == "thread":
        act = triage_actions.assign_by_thread
        done = (
            "assigned, each to the client whose mail it answers. Other messages waiting with"
            " the same people follow in a moment"
        )
    else:
        act = triage_actions.dismiss_selected
        done = "set aside as no client's. Each can be restored from the list of dismissed mail"
    result, missing = triage_actions.on_waiting(user, form.cleaned_data["ids"], act)
    if result.done:
        messages.success(request, f"{_messages(result.done)} {done}.")
    skipped = len(result.skipped) + len(missing)
    if skipped:
        reasons = {reason for _, reason in result.skipped}
        reasons |= {"No longer waiting in triage."} if missing else set()
        messages.warning(
            request, f"{_messages(skipped)} left as they were: {' '.join(sorted(reasons))}"
        )
    return redirect(request, reverse("comms:triage"))


def _messages(count: int) -> str:
    return f"{count} message{'s' if count != 1 else ''}"


@login_required
@require_POST
def triage_domain_dismiss(request: HttpRequest) -> HttpResponse:
    """Admins: set aside all the mail waiting with people at one domain."""
    user = _admin_or_404(request)
    domain = str(request.POST.get("domain", ""))[:253]
    try:
        count = triage_actions.dismiss_domain(user, domain)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{count} message{'s' if count != 1 else ''} waiting with people at"
            f" {domain.strip().lower()} set aside as no client's. Each can be restored from"
            " the list of dismissed mail.",
        )
    return redirect(request, reverse("comms:triage"))


@login_required
@require_POST
def triage_restore(request: HttpRequest, email_id: int) -> HttpResponse:
    """Admins: put a dismissed message back in the triage list."""
    user = _admin_or_404(request)
    message = found(get_email_for, user, email_id)
    try:
        message = triage_actions.restore_message(user, message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{message.subject or '(no subject)'}” is back in the triage list."
        )
    return redirect(request, reverse("comms:triage") + "?dismissed=1")


@login_required
@require_POST
def upcoming_remove(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Take a meeting that is no longer planned off the client's "Coming up" list."""
    user = _user(request)
    meeting = found(get_upcoming_for, user, meeting_id)
    meeting_actions.remove_upcoming_meeting(user, meeting)
    messages.success(
        request,
        f"“{meeting.title}” is no longer listed as coming up. Importing a calendar that"
        " still holds it brings it back.",
    )
    return redirect(request, reverse("clients:detail", args=[meeting.client_id]) + "#coming-up")
