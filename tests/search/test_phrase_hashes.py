"""The phrase keys as integers (search/0010, PostgreSQL): a document that holds a phrase
always holds every key of that phrase, so narrowing by the keys never loses a match, and
a quoted phrase is looked up through them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from amends.comms.actions import record_communication
from amends.search.queries import search

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="phrase keys exist on PostgreSQL only"
    ),
    pytest.mark.django_db,
]

WORDS = [
    "budget", "budgets", "delay", "delayed", "the", "of", "invoice", "late", "fee", "a",
    "Budget", "DELAY", "e-mail", "10", "days", "café", "déjà", "vu", "it's", "won't",
]  # fmt: skip
NO_NUL = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))


def _holds(text: str, phrase: str) -> tuple[bool, bool, int]:
    """Whether the text holds the phrase (PostgreSQL's exact check), whether its keys
    contain the phrase's, and how many keys the phrase has."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH d AS (SELECT setweight(to_tsvector('english', ''), 'A')"
            " || setweight(to_tsvector('english', %s), 'B') AS v),"
            " q AS (SELECT amends_phrase_hashes(to_tsvector('english', %s)) AS k,"
            " websearch_to_tsquery('english', %s) AS query)"
            " SELECT ts_match_vq(d.v, q.query), amends_phrase_hashes(d.v) @> q.k,"
            " cardinality(q.k) FROM d, q",
            [text, phrase, f'"{phrase}"'],
        )
        return cursor.fetchone()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(WORDS) | st.text(NO_NUL, max_size=10), min_size=1, max_size=40),
    st.data(),
)
def test_a_document_holding_a_phrase_holds_all_its_keys(words, data):
    start = data.draw(st.integers(0, len(words) - 1))
    size = data.draw(st.integers(2, 4))
    phrase = " ".join(words[start : start + size])
    phrase = " ".join(phrase.replace('"', " ").split())
    if not phrase:
        return
    holds, has_keys, keys = _holds(" ".join(words), phrase)
    event(f"holds the phrase: {bool(holds)}, phrase keys: {min(keys or 0, 2)}")
    if holds:
        assert has_keys


def test_keys_are_twenty_bits_and_differ_by_order():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT amends_phrase_hashes(to_tsvector('english', 'budget delay')),"
            " amends_phrase_hashes(to_tsvector('english', 'delay budget')),"
            " amends_phrase_hashes(to_tsvector('english', 'budget')),"
            " amends_phrase_hashes(to_tsvector('english', 'the of a'))"
        )
        forward, backward, single, stop_words = cursor.fetchone()
    assert len(forward) == len(backward) == 1 and forward != backward
    assert 0 <= forward[0] < 2**20
    assert single == [] and stop_words == []


def test_a_quoted_phrase_is_narrowed_by_its_keys(world):
    for subject, summary in [("Call", "the budget delay again"), ("Note", "delay the budget")]:
        record_communication(
            world.alice, world.acme, channel="call", direction="in", subject=subject,
            summary=summary,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        hits = search(world.alice, '"budget delay"').hits
    assert [h.title for h in hits] == ["Call"]
    assert any("phrase_hashes @>" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        assert search(world.alice, "budget").total == 2
    assert not any("phrase_hashes" in q["sql"] for q in queries.captured_queries)
