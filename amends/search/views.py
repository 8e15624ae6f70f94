"""The search page: /search/?q=…, results highlighted and paginated."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amends.accounts.models import User
from amends.search.queries import search

PER_PAGE = 20
MAX_PAGE = 500


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), MAX_PAGE))
    except ValueError:
        return 1


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Search everything the user may see."""
    q = request.GET.get("q", "")[:500]
    number = _page_number(request.GET.get("page"))
    page = search(cast(User, request.user), q, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    return render(
        request,
        "search/results.html",
        {"q": q, "page": page, "number": number, "last": (page.total - 1) // PER_PAGE + 1},
    )
