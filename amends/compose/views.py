"""The composer pages: start from bullet points, fill out, coach live, save, send (R13).

Views are thin: fetch through the permission-scoped queries (an outsider gets 404),
validate with a form, write through `compose.actions`, answer like the case pages
(a 422 re-render for a form with errors, a 303 after a successful post).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from amends.accounts.models import User
from amends.cases.models import Case
from amends.cases.queries import get_case_for, open_concerns
from amends.compose import actions, queries
from amends.compose.coaching import coach_draft, marked_segments
from amends.compose.forms import CoachForm, DraftForm, SendForm, TemplateForm
from amends.compose.models import Draft, Kind
from amends.compose.templating import (
    case_context,
    default_bullets,
    render_message,
    sample_context,
)
from amends.core.errors import NotFound, StaleEdit, ValidationError
from amends.core.forms import add_action_error
from amends.core.htmx import redirect

INVALID = 422


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _scoped(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and anything outside the user's clients is a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404("Not found") from None

    return login_required(wrapper)


def _render(
    request: HttpRequest, case: Case, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render with the client's time zone active (times read as the client sees them)."""
    with timezone.override(case.client.working_hours.tz):
        return render(request, template, {"case": case, **context}, status=status)


def _coach_context(user: User, text: str, case: Case, kind: str | None = None) -> dict[str, Any]:
    report = coach_draft(user, text, case, kind or None)
    findings = [
        {"n": n, "label": f.rule.replace("_", " ").capitalize(), **vars(f)}
        for n, f in enumerate(report.findings, start=1)
    ]
    covered = sum(1 for c in report.coverage if c.covered)
    return {
        "report": report,
        "findings": findings,
        "segments": marked_segments(text, report) if text.strip() else [],
        "covered": covered,
        "concern_total": len(report.coverage),
        "text_empty": not text.strip(),
    }


# ------------------------------------------------------------------------- composer


@_scoped
def case_drafts(request: HttpRequest, case_id: int) -> HttpResponse:
    """The drafts of a case, and the kinds of message to start."""
    case = get_case_for(_user(request), case_id)
    drafts = queries.list_drafts(_user(request), case=case)[:100]
    return _render(
        request,
        case,
        "compose/case_drafts.html",
        {
            "drafts": drafts,
            "kinds": Kind.choices,
        },
    )


def _kind(value: object) -> str:
    kind = str(value or Kind.FULL_RESPONSE)
    return kind if kind in Kind.values else Kind.FULL_RESPONSE


def _fill(case: Case, kind: str, bullets: str) -> tuple[str, str]:
    template = queries.template_for_kind(kind)
    assert template is not None
    rendered = render_message(template.subject, template.body, case_context(case, bullets=bullets))
    return rendered.subject, rendered.body


@_scoped
@require_http_methods(["GET", "POST"])
def new_draft(request: HttpRequest, case_id: int) -> HttpResponse:
    """Start a message: bullet points pre-filled from the case; "Fill out" writes the body."""
    user = _user(request)
    case = get_case_for(user, case_id)
    if request.method == "GET":
        kind = _kind(request.GET.get("kind"))
        form = DraftForm(initial={"kind": kind, "bullets": default_bullets(case)})
        template = queries.template_for_kind(kind)
        if template is not None:
            try:
                subject, _ = _fill(case, kind, "")
                form.initial["subject"] = subject
            except ValidationError:
                pass
        return _composer(request, case, form, None)
    form = DraftForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        subject, body = data["subject"], data["body"]
        try:
            if request.POST.get("action") == "fill":
                filled_subject, body = _fill(case, data["kind"], data["bullets"])
                subject = subject or filled_subject
            draft = actions.save_draft(
                user,
                case,
                kind=data["kind"],
                subject=subject,
                body=body,
                bullets=data["bullets"],
            )
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, "Draft saved. Every later save keeps the text it replaces.")
            return redirect(request, reverse("compose:draft", args=[draft.pk]))
    return _composer(request, case, form, None, status=INVALID)


def _composer(
    request: HttpRequest,
    case: Case,
    form: DraftForm,
    draft: Draft | None,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    text = str(form["body"].value() or "")
    return _render(
        request,
        case,
        "compose/composer.html",
        {
            "form": form,
            "draft": draft,
            "versions": queries.list_versions(draft)[:50] if draft else [],
            "coach": _coach_context(_user(request), text, case, str(form["kind"].value() or "")),
            "concerns": open_concerns(case),
            "notice": notice,
        },
        status=status,
    )


@_scoped
@require_http_methods(["GET", "POST"])
def draft_detail(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Edit a draft: save (keeps the previous text as a version) or fill out again."""
    user = _user(request)
    draft = queries.get_draft_for(user, draft_id)
    case = draft.case
    if request.method == "GET":
        form = DraftForm(
            initial={
                "kind": draft.kind,
                "subject": draft.subject,
                "bullets": draft.bullets,
                "body": draft.body,
                "version": draft.version,
            }
        )
        return _composer(request, case, form, draft)
    form = DraftForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        body = data["body"]
        subject = data["subject"]
        try:
            if request.POST.get("action") == "fill":
                filled_subject, body = _fill(case, data["kind"], data["bullets"])
                subject = subject or filled_subject
            actions.save_draft(
                user,
                case,
                kind=data["kind"],
                subject=subject,
                body=body,
                bullets=data["bullets"],
                draft=draft,
                version=data["version"] or draft.version,
            )
        except StaleEdit as exc:
            form.add_error(None, str(exc))
            data_copy = cast(QueryDict, form.data).copy()
            data_copy["version"] = str(exc.current or draft.version)
            form.data = data_copy
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, "Draft saved. The previous text is kept in its history.")
            return redirect(request, reverse("compose:draft", args=[draft.pk]))
    return _composer(request, case, form, draft, status=INVALID)


@_scoped
@require_POST
def coach_fragment(request: HttpRequest, case_id: int) -> HttpResponse:
    """The live coach: findings, concern coverage and the marked preview of the text."""
    user = _user(request)
    case = get_case_for(user, case_id)
    form = CoachForm(request.POST)
    valid = form.is_valid()
    text = form.cleaned_data["body"] if valid else ""
    kind = form.cleaned_data["kind"] if valid else None
    return _render(
        request,
        case,
        "compose/_coach.html",
        {
            "coach": _coach_context(user, text, case, kind),
            "too_long": not form.is_valid(),
        },
    )


@_scoped
def draft_version(request: HttpRequest, draft_id: int, number: int) -> HttpResponse:
    """An older text of a draft, read-only."""
    draft = queries.get_draft_for(_user(request), draft_id)
    version = queries.get_version(draft, number)
    return _render(
        request,
        draft.case,
        "compose/version.html",
        {
            "draft": draft,
            "version": version,
        },
    )


@_scoped
@require_http_methods(["GET", "POST"])
def send_draft(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Confirm and send: recipients, sender, the coach's findings (blocking ones must be
    fixed or acknowledged), then the outbox sends it."""
    user = _user(request)
    draft = queries.get_draft_for(user, draft_id)
    case = draft.case
    recipients = queries.recipients(case)
    if draft.is_sent:
        messages.info(request, "This draft was sent already.")
        return redirect(request, reverse("compose:draft", args=[draft.pk]))
    if request.method == "GET":
        form = SendForm(
            recipients=recipients,
            initial={"to": [r["email"] for r in recipients[:1]], "version": draft.version},
        )
        status = 200
    else:
        form = SendForm(request.POST, recipients=recipients)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.send_draft(
                    user,
                    draft,
                    to=data["to"],
                    cc=data["cc"],
                    version=data["version"],
                    acknowledge=data["acknowledge"],
                )
            except StaleEdit:
                form.add_error(
                    None,
                    "The draft changed since you opened this page; "
                    "check the text below and send again.",
                )
                data_copy = cast(QueryDict, form.data).copy()
                data_copy["version"] = str(draft.version)
                form.data = data_copy
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, "Sent. It is on the case's timeline.")
                return redirect(request, reverse("cases:detail", args=[case.pk]))
        status = INVALID
    return _render(
        request,
        case,
        "compose/send.html",
        {
            "draft": draft,
            "form": form,
            "recipients": recipients,
            "sender": case.point_of_contact,
            "coach": _coach_context(user, draft.body, case, draft.kind),
            "reply_to": queries.reply_target(case),
        },
        status=status,
    )


# ------------------------------------------------------------------------ templates


def _admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _user(request).is_admin:
            raise PermissionDenied("Only an admin can edit message templates.")
        return view(request, *args, **kwargs)

    return wrapper


@_admin_only
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "compose/templates.html", {"templates": queries.list_templates()})


@_admin_only
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    """Edit one template; it is rendered with demo-like facts before it is saved."""
    user = _user(request)
    try:
        template = queries.get_template(kind)
    except NotFound:
        raise Http404("Not found") from None
    preview = None
    status = 200
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if request.POST.get("action") == "reset":
                    actions.reset_template(user, template, version=data["version"])
                else:
                    actions.update_template(
                        user,
                        template,
                        version=data["version"],
                        subject=data["subject"],
                        body=data["body"],
                    )
            except StaleEdit as exc:
                form.note_conflict(exc, queries.get_template(kind))
            except ValidationError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, f"{template.get_kind_display()} template saved.")
                return redirect(request, reverse("compose:template", args=[kind]))
        status = INVALID
    else:
        form = TemplateForm(
            initial={
                "subject": template.subject,
                "body": template.body,
                "version": template.version,
            }
        )
    try:
        preview = render_message(template.subject, template.body, sample_context())
    except ValidationError:
        preview = None
    return render(
        request,
        "compose/template_edit.html",
        {
            "template": template,
            "form": form,
            "preview": preview,
        },
        status=status,
    )
