"""API: full-text search across everything the caller may see."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from amends.core.api_support import READ_ERRORS, Id, actor
from amends.search.queries import MAX_LIMIT, search

router = Router(tags=["Search"])


class SearchParams(Schema):
    """Query-string parameters of GET /search."""

    q: str = Field("", max_length=500, description='Words and "quoted phrases"; all must match.')
    client: Id | None = Field(None, description="Only this client's records.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=100_000)


class SearchHitOut(Schema):
    """One result. `title` and `snippet` are HTML: escaped text with <mark> highlights."""

    kind: str
    id: int
    title: str
    snippet: str
    client: int
    client_name: str
    case: int | None
    case_title: str
    url: str
    occurred_at: datetime
    label: str = Field(description='What it is, for people: "Email · in", "Call · out", "Case".')


class SearchPageOut(Schema):
    """A page of results, best first, and how many match in all."""

    count: int
    items: list[SearchHitOut]


@router.get("/search", response={200: SearchPageOut, **READ_ERRORS})
def search_records(request: HttpRequest, params: Query[SearchParams]) -> dict[str, object]:
    """Search communications, cases and concerns you may see (best match first)."""
    page = search(
        actor(request), params.q, client=params.client, limit=params.limit, offset=params.offset
    )
    return {
        "count": page.total,
        "items": [
            {
                "kind": h.kind,
                "id": h.object_id,
                "title": str(h.title),
                "snippet": str(h.snippet),
                "client": h.client_id,
                "client_name": h.client_name,
                "case": h.case_id,
                "case_title": h.case_title,
                "url": request.build_absolute_uri(h.url),
                "occurred_at": h.occurred_at,
                "label": h.label,
            }
            for h in page.hits
        ],
    }
