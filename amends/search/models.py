"""The search index: one `SearchDocument` row per indexed thing.

The text itself is searched through each engine's own index:

- SQLite: the FTS5 virtual table `search_fts(title, body, doc_key, scope)`, whose rowid
  is the document's id and whose `scope` holds a token for the client ("c42"), so a
  query limited to some clients is intersected inside FTS5 (created by migrations 0001
  and 0002, only on SQLite; a trigger drops a row when its document goes);
- PostgreSQL: the `search_vector` column (a tsvector, GIN-indexed, created by the same
  migration only on PostgreSQL).
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models

MAX_BODY_CHARS = 100_000


class SearchDocument(models.Model):
    """What search knows about one communication, case or concern."""

    class Kind(models.TextChoices):
        COMMUNICATION = "communication", "Communication"
        CASE = "case", "Case"
        CONCERN = "concern", "Concern"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField()
    # Indexed as the first column of the (client, occurred_at) index.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # A communication linked to a deleted case stays (and stays findable), unlinked.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField()
    title = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    # Only filled (and only meaningful) on PostgreSQL; NULL on SQLite.
    search_vector = SearchVectorField(null=True, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_unique")
        ]
        indexes = [models.Index(fields=["client", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title[:60]}"


class PendingIndex(models.Model):
    """A communication stored but not yet in the index: the large imports on PostgreSQL
    index in a second connection, in parallel with storing the next batch. The row is
    written in the same transaction as the communication and deleted in the one that
    indexes it, so a communication whose indexing was cut short (the process killed, the
    indexer failed) stays listed, and `search.actions.index_pending` (run by the next
    import and by the worker every little while) finishes the job."""

    communication = models.OneToOneField(
        "comms.Communication", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"communication {self.communication_id} waiting to be indexed"
