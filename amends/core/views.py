"""The home page ("Needs attention"), the health check, and helpers every page view uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from amends.accounts.models import User
from amends.core.errors import NotFound
from amends.core.htmx import is_htmx

T = TypeVar("T")

HOME_ITEMS = 25  # per list on "Needs attention"; ?all=1 shows every item
MEETINGS_AHEAD = timedelta(days=2)  # meetings from calendars shown on the home page


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def found(getter: Callable[..., T], user: Any, pk: object) -> T:
    """Call a scoped `get_<noun>_for(user, pk)`; anyone outside the team gets a plain 404."""
    try:
        return getter(user, pk)
    except NotFound:
        raise Http404("Not found") from None


def render_invalid(
    request: HttpRequest, page: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """A form came back with errors: 422, as the partial for htmx (base.html tells htmx to
    swap 422s), as the full page otherwise."""
    return render(request, partial if is_htmx(request) else page, context, status=422)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from amends.cases.queries import Attention, list_cases, needs_attention
    from amends.comms.clocks import overview
    from amends.comms.queries import list_upcoming_meetings

    user: User = request.user  # type: ignore[assignment]
    now = timezone.now()
    attention = needs_attention(user, now)
    my_cases = list_cases(user, open_only=True).filter(point_of_contact=user).order_by("opened_at")
    clocks = overview(user, now, awaiting=attention.awaiting_reply, active_only=True)
    meetings = list_upcoming_meetings(user, now).filter(starts_at__lte=now + MEETINGS_AHEAD)
    # Each list is in order of urgency; the page shows the most urgent of each, with the
    # full count and a link to everything, so a busy firm's page stays short and quick.
    totals = {name: len(items) for name, items in vars(attention).items()}
    shown = attention
    if request.GET.get("all") != "1":
        shown = Attention(**{name: items[:HOME_ITEMS] for name, items in vars(attention).items()})
    return render(
        request,
        "home.html",
        {
            "att": shown,
            "totals": totals,
            "cap": HOME_ITEMS,
            "my_cases": my_cases,
            "now": now,
            "responsiveness": clocks,
            "meetings": meetings[:HOME_ITEMS],
            "meetings_total": meetings.count(),
        },
    )
