"""Reading an imported email: its thread, its attachments and original bytes (as
downloads only), and linking it to a case or quoting it as a concern.

The communication page itself (`views.comm_detail`) shows one email with
`message_context` below; everything here is scoped like every read (an outsider gets 404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from amends.accounts.models import User
from amends.cases.models import Case
from amends.cases.queries import list_cases, list_parts
from amends.comms import message_actions
from amends.comms.models import EmailMessage
from amends.comms.queries import get_email_for, list_thread
from amends.comms.rendering import (
    Rendered,
    attachment_file,
    render_email,
    render_emails,
    safe_filename,
)
from amends.comms.tone import new_text
from amends.core.errors import ValidationError
from amends.core.forms import add_action_error
from amends.core.htmx import redirect
from amends.core.views import found, render_invalid

# A thread lists at most its newest MAX_THREAD_LISTED messages (a line each), opens the
# newest OPEN_LATEST (every one of a thread of SMALL_THREAD or fewer) and the one asked
# for; the rest are folded.
MAX_THREAD_LISTED = 1000
OPEN_LATEST = 3
SMALL_THREAD = 5
SNIPPET_CHARS = 400  # read from the database for a folded message's line
SNIPPET_SHOWN = 160
_LISTED_FIELDS = (
    "id",
    "client",
    "communication",
    "thread_root",
    "from_name",
    "from_address",
    "subject",
    "sent_at",
    "occurred_at",
    "direction",
    "attachments",
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class _CaseForm(forms.Form):
    case: forms.ModelChoiceField[Case] = forms.ModelChoiceField(
        queryset=Case.objects.none(), empty_label="Choose a case…"
    )

    def __init__(self, *args: Any, user: User, message: EmailMessage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cases = list_cases(user, client=message.client) if message.client_id else None
        field: Any = self.fields["case"]
        field.queryset = (
            cases.order_by("-opened_at") if cases is not None else list_cases(user).none()
        )


class LinkForm(_CaseForm):
    whole_thread = forms.BooleanField(
        required=False, label="Link every message of the thread", initial=True
    )


class QuoteForm(_CaseForm):
    quote = forms.CharField(
        label="The client's words",
        max_length=message_actions.MAX_QUOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Select a sentence in the message and use it (or paste it) here. It must "
        "appear in the message.",
    )


def _download(data: bytes, filename: str) -> HttpResponse:
    """Bytes as a download only: never rendered, never sniffed."""
    response = HttpResponse(data, content_type="application/octet-stream")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    response["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        from urllib.parse import quote

        response["Content-Disposition"] += f"; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def message_context(
    user: User,
    message: EmailMessage,
    *,
    link_form: LinkForm | None = None,
    quote_form: QuoteForm | None = None,
) -> dict[str, Any]:
    """What `comms/_message.html` and `comms/_message_actions.html` need."""
    rendered: Rendered = render_email(message)
    thread_size = list_thread(user, message).count()
    quoted_concerns = (
        list_parts(user, "concern")
        .filter(communication_id=message.communication_id)
        .order_by("raised_at", "pk")
        if message.communication_id
        else []
    )
    return {
        "quoted_concerns": quoted_concerns,
        "email": message,
        "rendered": rendered,
        "thread_size": thread_size,
        "link_form": link_form or LinkForm(user=user, message=message, prefix="link"),
        "quote_form": quote_form or QuoteForm(user=user, message=message, prefix="quote"),
        "can_link": message.communication_id is not None,
    }


@login_required
def thread(request: HttpRequest, email_id: int) -> HttpResponse:
    """An email's thread, oldest first: every message the user may see listed, and the
    ones that matter now open — the one asked for, the newest few (all of a short
    thread) and any named in `?open=` — the rest one click away (fetched when unfolded,
    or opened by the link inside without JavaScript). A long thread stays quick however
    many messages it has, since only the open ones are rendered (`render_emails`)."""
    user = _user(request)
    message = found(get_email_for, user, email_id)
    qs = list_thread(user, message)
    total = qs.count()
    skipped = max(0, total - MAX_THREAD_LISTED)
    lines = qs.only(*_LISTED_FIELDS).annotate(snippet=Substr("text_body", 1, SNIPPET_CHARS))
    listed = list(lines[skipped:])
    numbers = {m.pk: skipped + n for n, m in enumerate(listed, start=1)}
    outside = message.pk not in numbers
    if outside:
        # Asked for a message older than the latest listed: it comes first, numbered
        # where it stands in the thread.
        asked = lines.get(pk=message.pk)
        earlier = Q(occurred_at__lt=asked.occurred_at) | Q(
            occurred_at=asked.occurred_at, pk__lt=asked.pk
        )
        numbers[asked.pk] = qs.filter(earlier).count() + 1
        listed.insert(0, asked)
    if len(listed) <= SMALL_THREAD:
        wanted = {m.pk for m in listed}
    else:
        wanted = {message.pk, *(m.pk for m in listed[-OPEN_LATEST:])}
        wanted |= _requested(request.GET.getlist("open"))
    # The raw bytes are read only for the messages not rendered lately (see render_email).
    opened = list(
        qs.filter(pk__in=[m.pk for m in listed if m.pk in wanted])
        .select_related("raw", "communication")
        .defer("raw__data")
    )
    rendered = {m.pk: (m, r) for m, r in zip(opened, render_emails(opened), strict=True)}
    items = [
        {
            "number": numbers[m.pk],
            "email": rendered[m.pk][0] if m.pk in rendered else m,
            "rendered": rendered[m.pk][1] if m.pk in rendered else None,
            "snippet": _snippet(m.snippet),  # type: ignore[attr-defined]
        }
        for m in listed
    ]
    context = {
        "email": message,
        "client": message.client,
        "items": items,
        "total": total,
        "skipped": skipped,
        "latest": len(listed) - outside,
        "outside": outside,
        "folded": len(listed) - len(rendered),
    }
    return render(request, "comms/thread.html", context)


def _snippet(start: str | None) -> str:
    """A folded message's first line: the start of what its sender wrote now (quoted
    history and signature left out), whitespace tidied."""
    text = start or ""
    return " ".join((new_text(text) or text).split())[:SNIPPET_SHOWN]


def _requested(values: list[str]) -> set[int]:
    """The message ids in `?open=` (comma-separated or repeated; anything that is not an
    id is ignored, and only the thread's own messages are opened)."""
    parts = [part.strip() for value in values[:50] for part in value.split(",")[:50]]
    return {int(part) for part in parts if part.isascii() and part.isdigit() and len(part) < 19}


@login_required
def thread_message(request: HttpRequest, email_id: int) -> HttpResponse:
    """One message of a thread, rendered as the thread page shows it (what a folded
    message loads when unfolded)."""
    message = found(get_email_for, _user(request), email_id)
    context = {
        "email": message,
        "rendered": render_email(message),
        "tz": message.client.timezone if message.client is not None else "UTC",
    }
    return render(request, "comms/_message.html", context)


@login_required
def attachment(request: HttpRequest, email_id: int, index: int) -> HttpResponse:
    """One attachment's bytes, as a download."""
    message = found(get_email_for, _user(request), email_id)
    file = attachment_file(bytes(message.raw.data), index)
    if file is None:
        raise Http404("Not found")
    return _download(file.data, file.filename)


@login_required
def raw(request: HttpRequest, email_id: int) -> HttpResponse:
    """The message exactly as received (.eml), as a download."""
    message = found(get_email_for, _user(request), email_id)
    name = safe_filename(message.subject[:80] or f"message-{message.pk}", 0)
    return _download(bytes(message.raw.data), f"{name}.eml")


def _page_url(message: EmailMessage) -> str:
    if message.communication_id:
        return reverse("comms:detail", args=[message.communication_id])
    return reverse("comms:thread", args=[message.pk])


def _invalid(
    request: HttpRequest, user: User, message: EmailMessage, **forms_: Any
) -> HttpResponse:
    context = message_context(user, message, **forms_)
    if message.communication_id:
        comm = message.communication
        context.update({"comm": comm, "client": message.client})
    return render_invalid(
        request, "comms/message_actions.html", "comms/_message_actions.html", context
    )


@login_required
@require_POST
def link(request: HttpRequest, email_id: int) -> HttpResponse:
    """Link the message (or its whole thread) to one of the client's cases."""
    user = _user(request)
    message = found(get_email_for, user, email_id)
    form = LinkForm(request.POST, user=user, message=message, prefix="link")
    if form.is_valid():
        case = form.cleaned_data["case"]
        try:
            linked = message_actions.link_to_case(
                user, message, case, whole_thread=form.cleaned_data["whole_thread"]
            )
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            n = len(linked)
            messages.success(
                request, f"{n} message{'s' if n != 1 else ''} linked to “{case.title}”."
            )
            return redirect(request, _page_url(message))
    return _invalid(request, user, message, link_form=form)


@login_required
@require_POST
def concern(request: HttpRequest, email_id: int) -> HttpResponse:
    """Record a concern in a case from a sentence of the message."""
    user = _user(request)
    message = found(get_email_for, user, email_id)
    form = QuoteForm(request.POST, user=user, message=message, prefix="quote")
    if form.is_valid():
        case = form.cleaned_data["case"]
        try:
            message_actions.concern_from_quote(user, message, case, form.cleaned_data["quote"])
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, f"Concern added to “{case.title}”.")
            return redirect(request, _page_url(message))
    return _invalid(request, user, message, quote_form=form)
