"""Migration search/0005 (PostgreSQL): phrase keys hashed with hashtextextended, every
stored key recomputed both ways, and phrase search finds the same documents after it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from amends.search.models import SearchDocument
from amends.search.queries import search

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="phrase keys exist on PostgreSQL only"
)


def _keys(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {k for row in cursor.fetchall() for k in (row[0] or [])}


def _stored_match_computed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchdocument WHERE search_vector IS NOT NULL"
            " AND phrase_keys IS DISTINCT FROM amends_phrase_keys(search_vector)"
        )
        return cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_phrase_keys_are_recomputed_both_ways(world):
    assert SearchDocument.objects.exclude(search_vector=None).exists()
    phrase = (
        "SELECT tsvector_to_array(amends_phrase_keys(to_tsvector('english', 'surprise invoice')))"
    )
    hashed = _keys(phrase)
    assert hashed and all(re.fullmatch(r"[0-9a-f]{5}", k) for k in hashed)
    assert _stored_match_computed()
    found = {r.object_id for r in search(world.ada, '"surprise invoice"').hits}
    assert found

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("search", "0004_redundant_indexes")])
        md5 = _keys(phrase)
        assert md5 != hashed and all(re.fullmatch(r"[0-9a-f]{5}", k) for k in md5)
        assert _stored_match_computed()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    assert _keys(phrase) == hashed
    assert _stored_match_computed()
    assert {r.object_id for r in search(world.ada, '"surprise invoice"').hits} == found
