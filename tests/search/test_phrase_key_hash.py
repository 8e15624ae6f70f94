"""The phrase keys' migrations (PostgreSQL): search/0005 hashed the pairs with
hashtextextended instead of MD5, search/0010 made them integers. Every stored key is
recomputed both ways, and phrase search finds the same documents after each."""

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

PHRASE = "to_tsvector('english', 'surprise invoice')"


def _values(sql: str) -> set:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {k for row in cursor.fetchall() for k in (row[0] or [])}


def _stored_match_computed(column: str, function: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchdocument WHERE search_vector IS NOT NULL"
            f" AND {column} IS DISTINCT FROM {function}(search_vector)"
        )
        return cursor.fetchone()[0] == 0


def _text_keys() -> set:
    return _values(f"SELECT tsvector_to_array(amends_phrase_keys({PHRASE}))")


@pytest.mark.django_db(transaction=True)
def test_phrase_keys_are_recomputed_both_ways(world):
    assert SearchDocument.objects.exclude(search_vector=None).exists()
    integers = _values(f"SELECT amends_phrase_hashes({PHRASE})")
    assert integers and all(isinstance(k, int) and 0 <= k < 2**20 for k in integers)
    assert _stored_match_computed("phrase_hashes", "amends_phrase_hashes")
    found = {r.object_id for r in search(world.ada, '"surprise invoice"').hits}
    assert found

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("search", "0009_phrase_keys_without_distinct")])
        hashed = _text_keys()
        assert hashed and all(re.fullmatch(r"[0-9a-f]{5}", k) for k in hashed)
        assert _stored_match_computed("phrase_keys", "amends_phrase_keys")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("search", "0004_redundant_indexes")])
        md5 = _text_keys()
        assert md5 != hashed and all(re.fullmatch(r"[0-9a-f]{5}", k) for k in md5)
        assert _stored_match_computed("phrase_keys", "amends_phrase_keys")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    assert _values(f"SELECT amends_phrase_hashes({PHRASE})") == integers
    assert _stored_match_computed("phrase_hashes", "amends_phrase_hashes")
    assert {r.object_id for r in search(world.ada, '"surprise invoice"').hits} == found
