"""The search index: one `SearchDocument` row per indexed thing.

The text itself is searched through each engine's own index:

- SQLite: the FTS5 virtual table `search_fts(title, body)`, whose rowid is the
  document's id (created by migration 0001 only on SQLite);
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
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
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
