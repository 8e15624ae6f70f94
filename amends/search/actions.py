"""Writes to the search index. The write paths of comms and cases call `index_object`;
`reindex_all` rebuilds everything (the `amends search-reindex` command)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.db import connection, transaction

from amends.cases.models import Case, Concern
from amends.comms.models import Communication, EmailMessage
from amends.search.models import MAX_BODY_CHARS, PendingIndex, SearchDocument

# Characters never stored in the index: NUL and the private-use characters the queries
# use as highlight markers (so indexed text can never forge a <mark>).
_UNSAFE = re.compile("[\x00\ue000\ue001]")

KIND = SearchDocument.Kind


def _clean(text: str, limit: int) -> str:
    text = (text or "")[:limit]
    # Three substring tests are several times faster than the regex on clean text.
    if "\x00" in text or "\ue000" in text or "\ue001" in text:
        text = _UNSAFE.sub(" ", text)
    return text


def communication_text(summary: str, email_body: str, quote: tuple[int, int] | None = None) -> str:
    """What search reads of a communication: its summary and its email's text. An
    imported email's summary is the start of its text (the first 20,000 characters), so
    then the text alone, whole (up to MAX_BODY_CHARS); otherwise both. `quote`: where the
    email's quoted history is, (start, end), when it is not to be indexed (see
    `comms.actions.indexed_quote`)."""
    summary = summary or ""
    if not email_body:
        return summary
    indexed = email_body
    if quote is not None:
        start, end = quote
        indexed = email_body[:start] + ("\n" if start and end < len(email_body) else "")
        indexed += email_body[end:]
    if email_body.startswith(summary):
        return indexed
    return f"{summary}\n{indexed}"


def stored_quotes(comm_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """For communications whose emails are stored: where each email's quoted history is,
    for those whose quote is not to be indexed — a reply whose parent
    (In-Reply-To, else the last of References) is stored in the same client, where its
    words are indexed already. The importer works this out as it goes
    (`comms.actions.indexed_quote`); every other way of indexing reads it from here, so
    a document is the same however its email arrived. By communication id."""
    from amends.comms.rendering import quote_span

    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(comm_ids), 500):
        rows += EmailMessage.objects.filter(
            communication_id__in=comm_ids[start : start + 500], client__isnull=False
        ).values_list("communication_id", "text_body", "in_reply_to", "references", "client_id")
    parents: dict[int, tuple[str, int]] = {}
    for comm_id, _text, in_reply_to, references, client_id in rows:
        refs = references if isinstance(references, list) else []
        parent = in_reply_to or (refs[-1] if refs and isinstance(refs[-1], str) else "")
        if parent:
            parents[comm_id] = (parent, client_id)
    wanted = sorted({parent for parent, _ in parents.values()})
    present: set[tuple[str, int]] = set()
    for start in range(0, len(wanted), 500):
        present.update(
            EmailMessage.objects.filter(
                message_id__in=wanted[start : start + 500], client__isnull=False
            ).values_list("message_id", "client_id")
        )
    quotes = {}
    for comm_id, text, *_ in rows:
        if parents.get(comm_id) in present and (cut := quote_span(text)) is not None:
            quotes[comm_id] = cut
    return quotes


def _document_fields(obj: Any) -> dict[str, Any] | None:
    """What to index for `obj`, or None when it is not something search covers."""
    if isinstance(obj, Communication):
        email_body = (
            EmailMessage.objects.filter(communication_id=obj.pk)
            .values_list("text_body", flat=True)
            .first()
        )
        quote = stored_quotes([obj.pk]).get(obj.pk) if email_body else None
        body = communication_text(obj.summary, email_body or "", quote)
        return {
            "kind": KIND.COMMUNICATION,
            "client_id": obj.client_id,
            "case_id": obj.case_id,
            "occurred_at": obj.occurred_at,
            "title": obj.subject or str(obj),
            "body": body,
        }
    if isinstance(obj, Case):
        return {
            "kind": KIND.CASE,
            "client_id": obj.client_id,
            "case_id": obj.pk,
            "occurred_at": obj.opened_at,
            "title": obj.title,
            "body": obj.summary,
        }
    if isinstance(obj, Concern):
        case = obj.case
        return {
            "kind": KIND.CONCERN,
            "client_id": case.client_id,
            "case_id": case.pk,
            "occurred_at": obj.raised_at,
            "title": f"{obj.get_kind_display()} in “{case.title}”",
            "body": obj.text,
        }
    return None


def doc_key(kind: str, object_id: int, client_id: int) -> str:
    """What an FTS5 row was written for. Queries join on it as well as on the rowid, so
    a stale row (say, after a restore over an existing database) can never lend its
    text to another document, let alone another client's."""
    return f"{kind}:{object_id}:{client_id}"


def scope_token(client_id: int) -> str:
    """The FTS5 `scope` token of a client's documents (SQLite)."""
    return f"c{int(client_id)}"


def _write_engine_index(doc: SearchDocument) -> None:
    """Bring the engine's own index for `doc` up to date."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [doc.pk])
            cursor.execute(
                "INSERT INTO search_fts(rowid, title, body, doc_key, scope)"
                " VALUES (%s, %s, %s, %s, %s)",
                [
                    doc.pk,
                    doc.title,
                    doc.body,
                    doc_key(doc.kind, doc.object_id, doc.client_id),
                    scope_token(doc.client_id),
                ],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE search_searchdocument SET search_vector ="
                " setweight(to_tsvector('english', title), 'A')"
                " || setweight(to_tsvector('english', body), 'B')"
                " WHERE id = %s",
                [doc.pk],
            )


@transaction.atomic
def index_object(obj: Any) -> SearchDocument | None:
    """Add or refresh `obj` (a Communication, Case or Concern) in the search index.

    Anything else (the other parts of a case) is ignored, so write paths can call this
    without checking. Returns the document, or None when nothing was indexed.
    """
    fields = _document_fields(obj)
    if fields is None or obj.pk is None:
        return None
    kind = fields.pop("kind")
    occurred_at: datetime = fields["occurred_at"]
    defaults = {
        **fields,
        "occurred_at": occurred_at,
        "title": _clean(fields["title"], 1000),
        "body": _clean(fields["body"], MAX_BODY_CHARS),
    }
    doc, _ = SearchDocument.objects.update_or_create(kind=kind, object_id=obj.pk, defaults=defaults)
    _write_engine_index(doc)
    return doc


_PG_VECTOR_OF_PARAMS = (
    "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B')"
)


class IndexedCommunication(Protocol):
    """What `index_communications` reads of each communication (a model instance or
    the importer's lighter record)."""

    pk: int
    client_id: int
    case_id: int | None
    occurred_at: datetime
    subject: str
    summary: str


def index_communications(
    comms: Sequence[IndexedCommunication],
    email_bodies: dict[int, str],
    quotes: dict[int, tuple[int, int]] | None = None,
) -> int:
    """Index just-created communications in bulk (the email importer's path): the same
    documents `index_object` writes, with a few statements for the whole batch.
    `email_bodies` maps a communication's id to its email's text; `quotes`, to where
    its quoted history starts when that is not to be indexed (None: read from the
    database, `stored_quotes`). Call inside the transaction that created them. Returns
    how many documents were written."""
    from amends.search.bulk import Inserter

    if quotes is None:
        quotes = stored_quotes([comm.pk for comm in comms if email_bodies.get(comm.pk)])
    docs: list[dict[str, Any]] = []
    for comm in comms:
        body = communication_text(comm.summary, email_bodies.get(comm.pk, ""), quotes.get(comm.pk))
        docs.append(
            {
                "kind": KIND.COMMUNICATION,
                "object_id": comm.pk,
                "client_id": comm.client_id,
                "case_id": comm.case_id,
                "occurred_at": comm.occurred_at,
                "title": _clean(comm.subject or str(comm), 1000),
                "body": _clean(body, MAX_BODY_CHARS),
            }
        )
    if not docs:
        return 0
    computed = None
    if connection.vendor == "postgresql":
        # The vector is computed in the INSERT (one row version, one pass of the trigger
        # and the indexes) rather than by an UPDATE of every new row.
        computed = {"search_vector": (_PG_VECTOR_OF_PARAMS, ["title", "body"])}
    ids = Inserter(SearchDocument, list(docs[0]), computed=computed).insert(docs)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(
                "INSERT INTO search_fts(rowid, title, body, doc_key, scope)"
                " VALUES (%s, %s, %s, %s, %s)",
                [
                    (
                        pk,
                        d["title"],
                        d["body"],
                        doc_key(d["kind"], d["object_id"], d["client_id"]),
                        scope_token(d["client_id"]),
                    )
                    for pk, d in zip(ids, docs, strict=True)
                ],
            )
    return len(docs)


def defer_communications(comm_ids: Sequence[int]) -> None:
    """List just-created communications as waiting to be indexed (see `PendingIndex`).
    Call inside the transaction that created them; `index_deferred` or `index_pending`
    indexes them later, in another."""
    if connection.vendor == "postgresql":  # the ids as one array: no instance for each
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_pendingindex (communication_id) SELECT unnest(%s::bigint[])",
                [list(comm_ids)],
            )
        return
    PendingIndex.objects.bulk_create(
        [PendingIndex(communication_id=pk) for pk in comm_ids], batch_size=1000
    )


def _already_indexed(comm_ids: Sequence[int]) -> set[int]:
    """Those of `comm_ids` that have a document already (`index_object` wrote it: the
    communication was edited while it waited). Theirs is newer: it stays."""
    return set(
        SearchDocument.objects.filter(kind=KIND.COMMUNICATION, object_id__in=comm_ids).values_list(
            "object_id", flat=True
        )
    )


@transaction.atomic
def index_deferred(
    comms: Sequence[IndexedCommunication],
    email_bodies: dict[int, str],
    quotes: dict[int, tuple[int, int]] | None = None,
) -> int:
    """Index communications listed by `defer_communications`, from the records the
    importer already holds, and strike them off the list in the same transaction. Those
    no longer listed (indexed meanwhile by `index_pending`, or deleted) are skipped, so
    two indexers never write one document twice. Returns how many were indexed."""
    ids = [comm.pk for comm in comms]
    taken: set[int] = set()
    for chunk in [ids[i : i + 500] for i in range(0, len(ids), 500)]:
        if connection.vendor == "postgresql":  # one statement: what this one struck off
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM search_pendingindex WHERE communication_id = ANY(%s)"
                    " RETURNING communication_id",
                    [chunk],
                )
                taken.update(int(row[0]) for row in cursor.fetchall())
            continue
        pending = PendingIndex.objects.select_for_update().filter(pk__in=chunk)
        taken.update(pending.values_list("pk", flat=True))
        PendingIndex.objects.filter(pk__in=chunk).delete()
    taken -= _already_indexed(list(taken))
    return index_communications([comm for comm in comms if comm.pk in taken], email_bodies, quotes)


def index_pending(batch_size: int = 500) -> int:
    """Index every communication still waiting (an import cut short, an indexer that
    failed), reading them back from the database, one transaction per `batch_size`.
    Several processes may run it at once (on PostgreSQL each skips the rows another has
    locked). Returns how many were indexed."""
    total = 0
    while True:
        with transaction.atomic():
            waiting = PendingIndex.objects.order_by("pk").values_list("pk", flat=True)
            if connection.features.has_select_for_update_skip_locked:
                waiting = waiting.select_for_update(skip_locked=True)
            ids = list(waiting[:batch_size])
            if not ids:
                return total
            PendingIndex.objects.filter(pk__in=ids).delete()
            fresh = set(ids) - _already_indexed(ids)
            comms = list(Communication.objects.filter(pk__in=fresh).order_by("pk"))
            bodies = dict(
                EmailMessage.objects.filter(communication_id__in=fresh).values_list(
                    "communication_id", "text_body"
                )
            )
            total += index_communications(comms, bodies)


def drop_indexed_quotes(email_ids: Sequence[int]) -> int:
    """Index again those of the emails whose quoted history is indexed but no longer
    should be: replies stored before their parent, which has come since, in the same
    client (an Inbox imported before its Sent folder, a parent assigned from triage).
    Their documents are rewritten as `stored_quotes` now says, in one transaction.
    Returns how many were."""
    ids = sorted(set(email_ids))
    comm_ids: list[int] = []
    for start in range(0, len(ids), 500):
        comm_ids += EmailMessage.objects.filter(
            pk__in=ids[start : start + 500], communication__isnull=False
        ).values_list("communication_id", flat=True)
    cuts = stored_quotes(sorted(set(comm_ids)))
    redo = sorted(cuts)
    with transaction.atomic():
        for start in range(0, len(redo), 500):
            chunk = redo[start : start + 500]
            SearchDocument.objects.filter(kind=KIND.COMMUNICATION, object_id__in=chunk).delete()
            comms = list(Communication.objects.filter(pk__in=chunk).order_by("pk"))
            bodies = dict(
                EmailMessage.objects.filter(communication_id__in=chunk).values_list(
                    "communication_id", "text_body"
                )
            )
            index_communications(comms, bodies, {pk: cuts[pk] for pk in chunk})
    return len(redo)


def remove_object(kind: str, object_id: int) -> None:
    """Drop what the index holds for a deleted object (the engine's own index row goes
    with it: a trigger on SQLite, the same row on PostgreSQL)."""
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


def _clear() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM search_fts")
    SearchDocument.objects.all().delete()
    PendingIndex.objects.all().delete()  # everything is indexed again below


def _each(objs: Iterable[Any]) -> int:
    count = 0
    for obj in objs:
        if index_object(obj) is not None:
            count += 1
    return count


@transaction.atomic
def reindex_all() -> int:
    """Rebuild the whole index from scratch; returns how many documents it holds."""
    _clear()
    total = _each(Communication.objects.iterator(chunk_size=500))
    total += _each(Case.objects.iterator(chunk_size=500))
    total += _each(Concern.objects.select_related("case").iterator(chunk_size=500))
    return total
