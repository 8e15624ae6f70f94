"""Full-text search, permission-scoped, behind one function: `search()`.

User input never reaches FTS5 or tsquery syntax raw: the query is split into words and
"quoted phrases"; each becomes a quoted FTS5 string (inner quotes doubled), joined with
AND, or a quoted `websearch_to_tsquery` phrase on PostgreSQL. Highlights come back with
private-use marker characters that are turned into <mark> only after HTML-escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from amends.accounts.models import User
from amends.accounts.queries import visible_client_ids
from amends.search.models import SearchDocument

START, STOP = "\ue000", "\ue001"
MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_LIMIT = 200

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ue000\ue001]")


@dataclass(frozen=True)
class SearchHit:
    """One result: what it is, where it belongs, and a highlighted snippet."""

    kind: str
    object_id: int
    title: SafeString
    snippet: SafeString
    client_id: int
    client_name: str
    case_id: int | None
    case_title: str
    url: str
    occurred_at: datetime
    label: str = ""  # what it is, for people: "Email · in", "Meeting · out", "Case"


@dataclass(frozen=True)
class SearchPage:
    """A page of results and the number of matches, counted up to MAX_CANDIDATES + 1
    (`capped` says there were more)."""

    query: str
    terms: list[str]
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    limit: int = 20
    offset: int = 0

    @property
    def capped(self) -> bool:
        """More matched than were counted: show "1,000+"."""
        return self.total > MAX_CANDIDATES

    @property
    def shown_total(self) -> int:
        """The total to show (with a "+" when `capped`)."""
        return min(self.total, MAX_CANDIDATES)

    @property
    def has_next(self) -> bool:
        """Whether there are results after this page."""
        return self.offset + len(self.hits) < self.total

    @property
    def has_previous(self) -> bool:
        """Whether there are results before this page."""
        return self.offset > 0


def parse_terms(q: str) -> list[str]:
    """Words and "quoted phrases" of `q`, without quotes or control characters.

    Terms without a single letter or digit (`*`, `-`, `(`) are dropped: they could
    only ever be syntax.
    """
    q = _CONTROL.sub(" ", q or "")[:MAX_QUERY_CHARS]
    terms: list[str] = []
    for phrase, word in _TOKEN.findall(q):
        term = " ".join((phrase or word).replace('"', " ").split())
        if term and _WORD.search(term):
            terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return terms


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term a quoted string, joined with AND."""
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def websearch_query(terms: list[str]) -> str:
    """A `websearch_to_tsquery` input: every term a quoted phrase (so AND of them)."""
    return " ".join('"' + t.replace('"', " ") + '"' for t in terms)


def highlight(text: str) -> SafeString:
    """HTML-escape `text`, then turn the engine's markers into <mark> elements."""
    escaped = str(escape(text.replace(STOP + START, "")))
    opened = 0
    out: list[str] = []
    for ch in escaped:
        if ch == START:
            if not opened:
                out.append("<mark>")
            opened += 1
        elif ch == STOP:
            if opened:
                opened -= 1
                if not opened:
                    out.append("</mark>")
        else:
            out.append(ch)
    if opened:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above; only <mark> added


def _scope(user: User, client: int | None) -> list[int] | None:
    """Client ids to restrict to (empty: nothing visible), or None for every client."""
    ids = visible_client_ids(user)
    allowed = None if ids is None else set(ids.values_list("client_id", flat=True))
    if client is not None:
        if allowed is not None and client not in allowed:
            return []
        return [client]
    return None if allowed is None else sorted(allowed)


def _in_clause(ids: list[int] | None, column: str) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


# At most this many matches are ranked and counted: a query matching more says "1,000+"
# and ranks the newest 1,000 (SQLite) or the first 1,000 the index yields (PostgreSQL).
# Ranking and counting every match of a common word is what made search slow.
MAX_CANDIDATES = 1000
# Up to this many clients are matched inside FTS5 (scope tokens); more are filtered on
# the joined document rows only.
MAX_SCOPE_TOKENS = 100


def _ranked_page(
    candidates: list[tuple[int, float, datetime]], limit: int, offset: int
) -> tuple[int, list[int]]:
    """Sort candidates (id, rank — lower is better —, occurred_at) best first, then
    newest, and return the (capped) total and the ids of the page."""
    ordered = sorted(candidates, key=lambda c: (c[1], -c[2].timestamp(), -c[0]))
    return len(candidates), [c[0] for c in ordered[offset : offset + limit]]


def _sqlite_rows(
    terms: list[str], ids: list[int] | None, limit: int, offset: int
) -> tuple[int, list[tuple[int, str, str]]]:
    from amends.search.actions import scope_token

    match = "{title body} : (" + fts5_query(terms) + ")"
    if ids is not None and len(ids) <= MAX_SCOPE_TOKENS:
        match += " AND scope : (" + " OR ".join(f'"{scope_token(i)}"' for i in ids) + ")"
    where, params = _in_clause(ids, "d.client_id")
    # CROSS JOIN keeps the FTS5 table outermost (SQLite does not reorder it); rowid DESC
    # is FTS5's own order, so the LIMIT stops the scan: newest documents first.
    sql = (
        "SELECT d.id, bm25(search_fts, 5.0, 1.0, 0.0, 0.0), d.occurred_at"  # noqa: S608
        " FROM search_fts CROSS JOIN search_searchdocument d ON d.id = search_fts.rowid"
        " AND search_fts.doc_key = d.kind || ':' || d.object_id || ':' || d.client_id"
        " WHERE search_fts MATCH %s" + where + " ORDER BY search_fts.rowid DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, MAX_CANDIDATES + 1])
        candidates = [(int(r[0]), float(r[1]), _as_datetime(r[2])) for r in cursor.fetchall()]
        total, page_ids = _ranked_page(candidates, limit, offset)
        if not page_ids:
            return total, []
        # Highlight only this page's rows.
        marks = ", ".join(["%s"] * len(page_ids))
        cursor.execute(
            "SELECT rowid, highlight(search_fts, 0, %s, %s),"  # noqa: S608
            " snippet(search_fts, 1, %s, %s, '…', 24) FROM search_fts"
            " WHERE search_fts MATCH %s AND rowid IN (" + marks + ")",
            [START, STOP, START, STOP, match, *page_ids],
        )
        marked = {int(r[0]): (r[1] or "", r[2] or "") for r in cursor.fetchall()}
    return total, [(i, *marked.get(i, ("", ""))) for i in page_ids]


def _as_datetime(value: Any) -> datetime:
    """A datetime from a raw SQLite row (text, in UTC)."""
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value or "")) or datetime(1970, 1, 1)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_PG_HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=2"
# ts_headline parses the text again: only the start of a very long body is highlighted.
_PG_HEADLINE_CHARS = 50_000


# Phrases whose words are plain letters and digits: PostgreSQL reads them into the same
# lexemes in a document and in a query, so their phrase keys (search/0003, 0010) are exact.
_PLAIN_PHRASE = re.compile(r"[^\W_]+(?: [^\W_]+)+")


def _phrase_keys(cursor: Any, terms: list[str]) -> list[int]:
    """The phrase keys (20-bit integers, migration 0010) that every document holding all
    of the query's plain phrases has; none when no phrase gives a key."""
    phrases = [t for t in terms if _PLAIN_PHRASE.fullmatch(t)]
    if not phrases:
        return []
    cursor.execute(
        "SELECT DISTINCT k FROM unnest(%s::text[]) AS p(phrase),"
        " unnest(amends_phrase_hashes(to_tsvector('english', p.phrase))) AS k",
        [phrases],
    )
    return sorted(int(r[0]) for r in cursor.fetchall())


def _postgres_rows(
    terms: list[str], ids: list[int] | None, limit: int, offset: int
) -> tuple[int, list[tuple[int, str, str]]]:
    query = websearch_query(terms)
    where, params = _in_clause(ids, "d.client_id")
    with connection.cursor() as cursor:
        keys = _phrase_keys(cursor, terms)
        # A bounded candidate set from a GIN index (the LIMIT stops the heap scan), then
        # rank only those. With phrase keys, the phrase-key index finds the documents that
        # can hold the phrases and the exact match is checked on those only (written as
        # ts_match_vq so the planner does not also scan the word index). `where` holds
        # only placeholders, never user text.
        match = "d.search_vector @@ q.query"
        if keys:
            match = "d.phrase_hashes @> %s::int4[] AND ts_match_vq(d.search_vector, q.query)"
            params = [keys, *params]
        sql = (
            "WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query),"  # noqa: S608
            " cand AS (SELECT d.id, d.occurred_at, d.search_vector"
            " FROM search_searchdocument d, q WHERE " + match + where + " LIMIT %s)"
            " SELECT cand.id, -ts_rank_cd(cand.search_vector, q.query, 1), cand.occurred_at"
            " FROM cand, q"
        )
        cursor.execute(sql, [query, *params, MAX_CANDIDATES + 1])
        candidates = [(int(r[0]), float(r[1]), r[2]) for r in cursor.fetchall()]
        total, page_ids = _ranked_page(candidates, limit, offset)
        if not page_ids:
            return total, []
        title_options = _PG_HEADLINE.replace("MaxFragments=2", "HighlightAll=true")
        cursor.execute(
            "WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query)"
            " SELECT d.id, ts_headline('english', d.title, q.query, %s),"
            " ts_headline('english', left(d.body, %s), q.query, %s)"
            " FROM search_searchdocument d, q WHERE d.id = ANY(%s)",
            [query, title_options, _PG_HEADLINE_CHARS, _PG_HEADLINE, page_ids],
        )
        marked = {int(r[0]): (r[1] or "", r[2] or "") for r in cursor.fetchall()}
    return total, [(i, *marked.get(i, ("", ""))) for i in page_ids]


def _labels(docs: Any) -> dict[tuple[str, int], str]:
    """What each communication among `docs` is ("Email · in", "Call · out"…); they are
    the user's already, and only their channel and direction are read."""
    from amends.comms.models import Communication

    ids = [d.object_id for d in docs if d.kind == SearchDocument.Kind.COMMUNICATION]
    channels = dict(Communication.Channel.choices)
    return {
        (SearchDocument.Kind.COMMUNICATION, pk): f"{channels.get(channel, channel)} · {direction}"
        for pk, channel, direction in Communication.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", "channel", "direction")
    }


def _url(doc: SearchDocument) -> str:
    if doc.kind == SearchDocument.Kind.COMMUNICATION:
        return reverse("comms:detail", args=[doc.object_id])
    if doc.kind == SearchDocument.Kind.CASE:
        return reverse("cases:detail", args=[doc.object_id])
    return reverse("cases:detail", args=[doc.case_id]) + f"#concern-{doc.object_id}"


def search(
    user: User, q: str, *, client: int | None = None, limit: int = 20, offset: int = 0
) -> SearchPage:
    """Everything `user` may see that matches `q`, best first (rank, then newest).

    Never raises on any query text: nothing searchable gives an empty page.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    terms = parse_terms(q)
    page = SearchPage(query=q, terms=terms, limit=limit, offset=offset)
    if not terms:
        return page
    ids = _scope(user, client)
    if ids is not None and not ids:
        return page
    if connection.vendor == "postgresql":
        total, rows = _postgres_rows(terms, ids, limit, offset)
    else:
        total, rows = _sqlite_rows(terms, ids, limit, offset)
    docs = SearchDocument.objects.select_related("client", "case").in_bulk([r[0] for r in rows])
    labels = _labels(docs.values())
    hits = []
    for doc_id, title, snippet in rows:
        doc = docs.get(doc_id)
        if doc is None:
            continue
        hits.append(
            SearchHit(
                kind=doc.kind,
                object_id=doc.object_id,
                title=highlight(title or doc.title),
                snippet=highlight(snippet or doc.body[:200]),
                client_id=doc.client_id,
                client_name=doc.client.name,
                case_id=doc.case_id,
                case_title=doc.case.title if doc.case else "",
                url=_url(doc),
                occurred_at=doc.occurred_at,
                label=labels.get((doc.kind, doc.object_id), doc.get_kind_display()),
            )
        )
    return SearchPage(query=q, terms=terms, hits=hits, total=total, limit=limit, offset=offset)
