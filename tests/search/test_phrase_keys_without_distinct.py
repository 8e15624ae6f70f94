"""Migration search/0009 (PostgreSQL): phrase keys computed without DISTINCT are the same
keys as before, so no stored key needed recomputing."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="phrase keys exist on PostgreSQL only"
    ),
    pytest.mark.django_db,
]

migration = importlib.import_module("amends.search.migrations.0009_phrase_keys_without_distinct")

NO_NUL = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
WORDS = ["budget", "delay", "the", "invoice", "surprise", "of", "late", "late", "fee", "Budgets"]


@pytest.fixture
def old_function():
    """The function as search/0005 left it and as 0009 made it (search/0010 has since
    replaced both), under other names in this session only."""
    with connection.cursor() as cursor:
        cursor.execute(
            migration.WITH_DISTINCT.replace("amends_phrase_keys", "pg_temp.phrase_keys_distinct")
        )
        cursor.execute(
            migration.WITHOUT_DISTINCT.replace("amends_phrase_keys", "pg_temp.phrase_keys_plain")
        )


def _both(text: str) -> tuple[list[str], list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(pg_temp.phrase_keys_plain(v)),"
            " tsvector_to_array(pg_temp.phrase_keys_distinct(v))"
            " FROM (SELECT setweight(to_tsvector('english', %s), 'A')"
            " || setweight(to_tsvector('english', %s), 'B') AS v) AS d",
            [text[:40], text],
        )
        return cursor.fetchone()


def test_the_function_sorts_once():
    assert "array_agg(" in migration.WITHOUT_DISTINCT
    assert "DISTINCT" not in migration.WITHOUT_DISTINCT


@pytest.mark.parametrize(
    "text",
    [
        "",
        "budget",
        "budget delay budget delay budget delay",  # the same pair many times
        "the of and",  # stop words only: no lexeme at all
        "late late late late fee",
        "Budget delay. A surprise invoice, a late fee; the budget's delay!",
        "word " * 20_000,  # positions beyond 16,383 all share the last one
    ],
)
def test_the_same_keys_as_with_distinct(old_function, text):
    new, old = _both(text)
    assert new == old
    assert len(new) == len(set(new))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(WORDS) | st.text(NO_NUL, max_size=12), max_size=60))
def test_the_same_keys_on_any_text(old_function, words):
    new, old = _both(" ".join(words))
    assert new == old
