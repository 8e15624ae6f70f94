"""Sharing pages: the team's (links, updates, feedback) and the client's public document.

The public views need no login: the secret token is the permission. Unknown, expired and
revoked tokens all get the same 404 page (no oracle). Every public response carries
no-store, no-referrer and noindex headers; every view of the page and the PDF is logged.

CSRF on the feedback form: with `Referrer-Policy: no-referrer` (so the secret never
leaves in a Referer), browsers send `Origin: null` on the form's POST, which Django's
CSRF middleware refuses. The form therefore carries its own token instead: signed with
the SECRET_KEY, bound to the link, valid for FORM_MAX_AGE; and a POST whose Origin names
another site is refused. (There is no session to ride: the secret URL is the only key.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, cast
from urllib.parse import urlparse

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from amends.accounts.models import User
from amends.cases.models import Case
from amends.cases.queries import get_case_for
from amends.core.errors import NotFound
from amends.core.htmx import redirect
from amends.sharing import actions, queries
from amends.sharing.forms import ClientUpdateForm, FeedbackForm, ShareLinkForm
from amends.sharing.models import ShareLink, ShareView
from amends.sharing.pdf import build_pdf

INVALID = 422
FORM_SALT = "amends.sharing.feedback"
FORM_MAX_AGE = 12 * 3600  # seconds a feedback form stays valid after the page was loaded


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _case(request: HttpRequest, case_id: object) -> Case:
    try:
        return get_case_for(_user(request), case_id)
    except NotFound:
        raise Http404("No such case.") from None


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


# ------------------------------------------------------------------ the team's page


def _manage_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    user = _user(request)
    links = list(queries.list_links(user, case))
    counts: dict[int, int] = {}
    for link_id in ShareView.objects.filter(link__in=links).values_list("link_id", flat=True):
        counts[link_id] = counts.get(link_id, 0) + 1
    for link in links:
        link.view_count = counts.get(link.pk, 0)  # type: ignore[attr-defined]
    return {
        "case": case,
        "links": links,
        "link_form": ShareLinkForm(),
        "update_form": ClientUpdateForm(),
        "updates": list(queries.list_updates(user, case).select_related("by")[:10]),
        "feedback": list(queries.list_feedback(user, case)[:50]),
        **extra,
    }


@login_required
@require_http_methods(["GET"])
def manage(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    with timezone.override(case.client.timezone):
        return render(request, "sharing/manage.html", _manage_context(request, case))


@login_required
@require_http_methods(["POST"])
def create_link(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    form = ShareLinkForm(request.POST)
    if form.is_valid():
        expires = timezone.now() + timedelta(days=form.cleaned_data["days"])
        try:
            link, raw = actions.create_share_link(
                _user(request), case, label=form.cleaned_data["label"], expires_at=expires
            )
        except ValidationError as e:
            _form_errors(form, e)
        else:
            url = request.build_absolute_uri(reverse("sharing:public", args=[raw]))
            with timezone.override(case.client.timezone):
                context = _manage_context(request, case, new_link=link, new_url=url)
                response = render(request, "sharing/manage.html", context, status=201)
                response["Cache-Control"] = "no-store, private"  # it holds the secret
                return response
    with timezone.override(case.client.timezone):
        context = _manage_context(request, case, link_form=form)
        return render(request, "sharing/manage.html", context, status=INVALID)


@login_required
@require_http_methods(["POST"])
def revoke_link(request: HttpRequest, link_id: int) -> HttpResponse:
    try:
        link = queries.get_link_for(_user(request), link_id)
    except NotFound:
        raise Http404("No such link.") from None
    actions.revoke_share_link(_user(request), link)
    return redirect(request, reverse("sharing:manage", args=[link.case_id]))


@login_required
@require_http_methods(["POST"])
def publish_update(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    form = ClientUpdateForm(request.POST)
    if form.is_valid():
        try:
            actions.publish_update(_user(request), case, text=form.cleaned_data["text"])
        except ValidationError as e:
            _form_errors(form, e)
        else:
            return redirect(request, reverse("sharing:manage", args=[case.pk]))
    with timezone.override(case.client.timezone):
        context = _manage_context(request, case, update_form=form)
        return render(request, "sharing/manage.html", context, status=INVALID)


# ---------------------------------------------------------------- the client's page


def _strict(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    """One answer for unknown, expired and revoked links alike."""
    return _strict(render(request, "sharing/not_found.html", status=404))


def public_view(
    view: Callable[[HttpRequest, ShareLink, str], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        link = queries.resolve_token(token)
        if link is None:
            return _not_found(request)
        with timezone.override(link.case.client.timezone):
            return _strict(view(request, link, token))

    return wrapper


def _log(request: HttpRequest, link: ShareLink, kind: str) -> None:
    actions.record_view(
        link,
        kind=kind,
        ip=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def _form_token(link: ShareLink) -> str:
    return signing.dumps(link.pk, salt=FORM_SALT)


def _form_token_ok(request: HttpRequest, link: ShareLink) -> bool:
    origin = request.headers.get("Origin", "")
    if origin and origin != "null" and urlparse(origin).netloc != request.get_host():
        return False
    try:
        value = signing.loads(
            request.POST.get("form_token", ""), salt=FORM_SALT, max_age=FORM_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return bool(value == link.pk)


def _public_page(
    request: HttpRequest, link: ShareLink, token: str, form: FeedbackForm, status: int = 200
) -> HttpResponse:
    context = {
        "doc": queries.client_document(link),
        "form": form,
        "form_token": _form_token(link),
        "token": token,
        "thanks": request.GET.get("thanks") == "1",
    }
    return render(request, "sharing/public.html", context, status=status)


@csrf_exempt  # see the module's docstring: the form carries a signed, link-bound token
@require_http_methods(["GET", "POST"])
@public_view
def public(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    if request.method == "GET":
        _log(request, link, ShareView.Kind.PAGE)
        return _public_page(request, link, token, FeedbackForm())
    form = FeedbackForm(request.POST)
    if not _form_token_ok(request, link):
        form.is_valid()
        form.add_error(
            None,
            "This form was too old or came from elsewhere, so nothing was sent. "
            "Your note is still below: please send it again.",
        )
        return _public_page(request, link, token, form, status=INVALID)
    if form.is_valid():
        try:
            actions.leave_feedback(
                link, text=form.cleaned_data["text"], name=form.cleaned_data["name"]
            )
        except actions.TooMuchFeedback:
            form.add_error(
                None,
                "Thank you — we have had several notes from this link in the last hour. "
                "Please try again later, or write to your point of contact.",
            )
            return _public_page(request, link, token, form, status=429)
        except ValidationError as e:
            _form_errors(form, e)
        else:
            return redirect(request, reverse("sharing:public", args=[token]) + "?thanks=1#feedback")
    return _public_page(request, link, token, form, status=INVALID)


@require_http_methods(["GET"])
@public_view
def public_pdf(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    _log(request, link, ShareView.Kind.PDF)
    data = build_pdf(queries.client_document(link))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="resolution-plan.pdf"'
    return response
