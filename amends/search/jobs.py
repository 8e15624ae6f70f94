"""The worker's share of search: index what an interrupted import left waiting."""

from __future__ import annotations

from datetime import datetime

from amends.watch.schedule import periodic


@periodic("search.pending")
def index_what_is_pending(now: datetime) -> int:
    """Index the communications still listed in `PendingIndex` (a large import on
    PostgreSQL killed before its indexer caught up). Almost always one empty query.
    Enqueues nothing; returns 0."""
    from amends.search.actions import index_pending

    index_pending()
    return 0
