"""Pages' pieces for the responsiveness clocks: the tone trend pictures (SVG images)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from amends.accounts.models import User
from amends.cases.queries import get_case_for
from amends.clients.queries import get_client_for
from amends.comms.charts import SVG_CSP, tone_svg
from amends.comms.clocks import ToneTrend, tone_trend
from amends.core.views import found


def _svg(trend: ToneTrend, title: str) -> HttpResponse:
    response = HttpResponse(tone_svg(trend, title=title), content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_CSP
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def client_tone_chart(request: HttpRequest, client_id: int) -> HttpResponse:
    """The client's weekly tone trend, as an SVG image (anyone off the team: 404)."""
    user: User = request.user  # type: ignore[assignment]
    client = found(get_client_for, user, client_id)
    trend = tone_trend(user, client, timezone.now())
    return _svg(trend, f"Tone of messages from {client.name}, by week")


@login_required
@require_GET
def case_tone_chart(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's weekly tone trend, as an SVG image (anyone off the team: 404)."""
    user: User = request.user  # type: ignore[assignment]
    case = found(get_case_for, user, case_id)
    trend = tone_trend(user, case.client, timezone.now(), case=case)
    return _svg(trend, f"Tone of client messages in the case {case.title}, by week")
