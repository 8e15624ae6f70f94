"""`amends search-reindex`: rebuild the search index from scratch."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amends.search.actions import reindex_all


class Command(BaseCommand):
    """Rebuild the full-text index of communications, cases and concerns."""

    help = "Rebuild the search index from scratch (communications, cases, concerns)."

    def handle(self, *args: Any, **options: Any) -> None:
        """Drop every indexed document and index everything again."""
        count = reindex_all()
        self.stdout.write(f"Indexed {count} document(s).")
