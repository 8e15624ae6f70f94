"""The search page: /search/?q=…, results highlighted and paginated."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amends.accounts.models import User
from amends.clients.queries import list_clients
from amends.search.queries import search

PER_PAGE = 20
MAX_PAGE = 500
MAX_CLIENTS = 500  # in the client filter; more, and the filter lists the first by name


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), MAX_PAGE))
    except ValueError:
        return 1


def _client_id(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Search everything the user may see, or one of their clients' records
    (`?client=`; a client they may not see finds nothing)."""
    user = cast(User, request.user)
    q = request.GET.get("q", "")[:500]
    number = _page_number(request.GET.get("page"))
    client = _client_id(request.GET.get("client"))
    page = search(user, q, client=client, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    clients = list(list_clients(user).order_by("name").values("pk", "name")[:MAX_CLIENTS])
    return render(
        request,
        "search/results.html",
        {
            "q": q,
            "page": page,
            "number": number,
            "last": (page.total - 1) // PER_PAGE + 1,
            "clients": clients,
            "client": client,
            "more": urlencode({"q": q, **({"client": client} if client else {})}),
        },
    )
