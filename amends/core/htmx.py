"""The one htmx pattern every page follows (see STYLE.md, netbox):

- a full page includes a named partial; an htmx request gets only the partial;
- after a successful form post, a plain request is redirected (POST/redirect/GET) and an
  htmx request gets the re-rendered partial, or an HX-Redirect when the page must change.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_page_or_partial(
    request: HttpRequest, page: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, partial if is_htmx(request) else page, context, status=status)


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Go to `url`: an HX-Redirect for htmx, a 303 otherwise."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
