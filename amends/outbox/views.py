"""Pages: send an email from a case, the call sheet (R14) and the check-in agenda (R19).

Views are thin: scoped reads (`found` → 404 for outsiders), forms validate, actions write.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from amends.accounts.models import User
from amends.cases.queries import get_case_for
from amends.comms.queries import get_email_for
from amends.core.errors import NotFound, StaleEdit, ValidationError
from amends.core.forms import add_action_error, model_changes
from amends.core.htmx import redirect
from amends.core.views import found
from amends.outbox import actions
from amends.outbox.forms import AgendaForm, CallForm, EmailForm, OutcomeForm, SendAgendaForm
from amends.outbox.models import Agenda
from amends.outbox.queries import get_agenda_for, get_call_for


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _draft_url(draft_id: int | None) -> str:
    if not draft_id:
        return ""
    try:
        return reverse("compose:draft", args=[draft_id])
    except NoReverseMatch:
        return ""


# --- Email ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def email_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """Write and send one email to the client from the case (as its point of contact)."""
    user = _user(request)
    case = found(get_case_for, user, case_id)
    parent = None
    reply_id = request.POST.get("in_reply_to") or request.GET.get("reply")
    if reply_id:
        parent = found(get_email_for, user, reply_id)
        if parent.client_id != case.client_id:
            raise Http404("Not found")
    if request.method == "POST":
        form = EmailForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                comm = actions.send_case_email(
                    user,
                    case,
                    to=form.split(data["to"]),
                    cc=form.split(data["cc"]),
                    subject=data["subject"],
                    text=data["text"],
                    in_reply_to=parent,
                )
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, f"Sent to {data['to']}.")
                return redirect(request, reverse("comms:detail", args=[comm.pk]))
        status = 422
    else:
        contacts = case.client.contacts.exclude(email="").order_by("name")
        initial: dict[str, Any] = {"to": ", ".join(c.email for c in contacts[:1])}
        if parent is not None:
            initial = {
                "to": parent.from_address,
                "subject": parent.subject
                if parent.subject.lower().startswith("re:")
                else f"Re: {parent.subject}"[:300],
                "in_reply_to": parent.pk,
            }
        form = EmailForm(initial=initial)
        status = 200
    context = {"case": case, "form": form, "parent": parent}
    return render(request, "outbox/email_new.html", context, status=status)


# --- Calls ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """Prepare a call: the sheet starts from the case (facts, open concerns, the plan)."""
    user = _user(request)
    case = found(get_case_for, user, case_id)
    if request.method == "POST":
        form = CallForm(request.POST, case=case)
        if form.is_valid():
            try:
                prep = actions.prepare_call(user, case, **model_changes(form))
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, "Call prepared.")
                return redirect(request, reverse("outbox:call", args=[prep.pk]))
        status = 422
    else:
        form = CallForm(initial=actions.prefill_call(case), case=case)
        status = 200
    return render(request, "outbox/call_new.html", {"case": case, "form": form}, status=status)


def _call_page(
    request: HttpRequest,
    prep: Any,
    *,
    form: Any = None,
    outcome_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": prep.case,
        "call": prep,
        "form": form,
        "outcome_form": outcome_form or OutcomeForm(),
        "recap_url": _draft_url(prep.recap_draft_id),
    }
    return render(request, "outbox/call_detail.html", context, status=status)


@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    """The printable call sheet, and the outcome once the call is held."""
    prep = found(get_call_for, _user(request), call_id)
    return _call_page(request, prep)


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _user(request)
    prep = found(get_call_for, user, call_id)
    if request.method == "POST":
        form = CallForm(request.POST, instance=prep, case=prep.case)
        if form.is_valid():
            try:
                actions.update_call(
                    user, prep, version=form.cleaned_data["version"], **model_changes(form)
                )
            except StaleEdit as exc:
                form.note_conflict(exc, get_call_for(user, prep.pk))
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, "Call sheet saved.")
                return redirect(request, reverse("outbox:call", args=[prep.pk]))
        return _call_page(request, prep, form=form, status=422)
    return _call_page(request, prep, form=CallForm(instance=prep, case=prep.case))


@login_required
@require_POST
def call_outcome(request: HttpRequest, call_id: int) -> HttpResponse:
    """Record the outcome: the call goes on the case, and its recap is drafted (R22)."""
    user = _user(request)
    prep = found(get_call_for, user, call_id)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            prep = actions.record_call_outcome(user, prep, outcome=form.cleaned_data["outcome"])
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            url = _draft_url(prep.recap_draft_id)
            messages.success(request, "Outcome recorded. Now send the written recap.")
            return redirect(request, url or reverse("outbox:call", args=[prep.pk]))
    return _call_page(request, prep, outcome_form=form, status=422)


# --- Agendas ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def agenda_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """A five-part agenda, generated from the case, for one of its check-ins."""
    user = _user(request)
    case = found(get_case_for, user, case_id)
    if request.method == "POST":
        form = AgendaForm(request.POST, case=case)
        if form.is_valid():
            try:
                agenda = actions.create_agenda(user, case, **model_changes(form))
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, "Agenda saved.")
                return redirect(request, reverse("outbox:agenda", args=[agenda.pk]))
        status = 422
    else:
        form = AgendaForm(initial=actions.generate_agenda(case), case=case)
        status = 200
    return render(request, "outbox/agenda_new.html", {"case": case, "form": form}, status=status)


def _agenda_page(
    request: HttpRequest,
    agenda: Agenda,
    *,
    form: Any = None,
    send_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": agenda.case,
        "agenda": agenda,
        "form": form or AgendaForm(instance=agenda, case=agenda.case),
        "send_form": send_form
        or SendAgendaForm(initial={"to": ", ".join(actions.agenda_recipients(agenda))}),
    }
    return render(request, "outbox/agenda_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def agenda_detail(request: HttpRequest, agenda_id: int) -> HttpResponse:
    user = _user(request)
    agenda = found(get_agenda_for, user, agenda_id)
    if request.method == "POST":
        form = AgendaForm(request.POST, instance=agenda, case=agenda.case)
        if form.is_valid():
            try:
                actions.update_agenda(
                    user, agenda, version=form.cleaned_data["version"], **model_changes(form)
                )
            except StaleEdit as exc:
                form.note_conflict(exc, get_agenda_for(user, agenda.pk))
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, "Agenda saved.")
                return redirect(request, reverse("outbox:agenda", args=[agenda.pk]))
        return _agenda_page(request, agenda, form=form, status=422)
    return _agenda_page(request, agenda)


@login_required
@require_POST
def agenda_send(request: HttpRequest, agenda_id: int) -> HttpResponse:
    """Email the agenda to the client, with the calendar invitation attached."""
    user = _user(request)
    agenda = found(get_agenda_for, user, agenda_id)
    form = SendAgendaForm(request.POST)
    if form.is_valid():
        try:
            actions.send_agenda(user, agenda, to=form.addresses() or None)
        except (ValidationError, StaleEdit) as exc:
            if isinstance(exc, StaleEdit):
                form.add_error(None, str(exc))
            else:
                add_action_error(form, exc)
        except NotFound:
            raise Http404("Not found") from None
        else:
            messages.success(request, "Agenda and invitation sent.")
            return redirect(request, reverse("outbox:agenda", args=[agenda.pk]))
    return _agenda_page(request, agenda, send_form=form, status=422)
