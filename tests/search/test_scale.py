"""Search at scale: deleted things leave the index (both engines' own index too), and a
query matching very many documents is counted and ranked over a bounded set."""

from __future__ import annotations

import pytest
from django.db import connection

from amends.cases.actions import add_to_case, open_case
from amends.cases.models import Case, Concern
from amends.clients.actions import create_client
from amends.comms.actions import record_communication
from amends.comms.models import Communication
from amends.search import queries
from amends.search.models import SearchDocument
from amends.search.queries import search

pytestmark = pytest.mark.django_db


def _fts_rows() -> int:
    if connection.vendor != "sqlite":
        return SearchDocument.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_fts")
        return int(cursor.fetchone()[0])


def _comm(world, client=None, **fields):
    fields.setdefault("channel", "call")
    fields.setdefault("direction", "in")
    return record_communication(world.alice, client or world.acme, **fields)


def test_a_deleted_communication_leaves_the_index(world):
    comm = _comm(world, summary="the quokka contract")
    assert search(world.alice, "quokka").total == 1
    before = _fts_rows()
    Communication.objects.filter(pk=comm.pk).delete()  # a queryset delete sends signals too
    assert search(world.alice, "quokka").total == 0
    assert not SearchDocument.objects.filter(kind="communication", object_id=comm.pk).exists()
    assert _fts_rows() == before - 1


def test_a_deleted_case_takes_its_concerns_but_not_its_messages(world):
    case = open_case(world.alice, world.acme, title="Wombat escalation")
    add_to_case(world.alice, case, "concern", text="The wombat report was late.")
    comm = _comm(world, summary="wombat call notes")
    comm.case = case
    comm.save()
    from amends.search.actions import index_object

    index_object(comm)
    assert search(world.alice, "wombat").total == 3
    Case.objects.filter(pk=case.pk).delete()
    page = search(world.alice, "wombat")
    assert [h.kind for h in page.hits] == ["communication"]
    assert page.hits[0].case_id is None
    assert not Concern.objects.filter(text__contains="wombat").exists()
    assert SearchDocument.objects.count() == _fts_rows()


def test_a_deleted_client_leaves_nothing_in_the_index(world):
    other = create_client(None, name="Numbat Ltd", owner=world.alice)
    _comm(world, client=other, summary="numbat invoice")
    open_case(world.alice, other, title="Numbat complaint")
    assert search(world.alice, "numbat").total == 2
    other.delete()
    assert search(world.alice, "numbat").total == 0
    assert search(world.ada, "numbat").total == 0
    assert SearchDocument.objects.count() == _fts_rows()


def test_many_matches_are_capped_and_ranked(world, monkeypatch):
    monkeypatch.setattr(queries, "MAX_CANDIDATES", 5)
    for i in range(8):
        _comm(world, subject=f"Note {i}", summary="platypus " + "filler " * i)
    _comm(world, subject="Platypus platypus", summary="platypus platypus platypus")
    page = search(world.alice, "platypus", limit=3)
    assert page.capped and page.total == 6 and page.shown_total == 5
    assert page.has_next
    rest = search(world.alice, "platypus", limit=3, offset=3)
    assert len(rest.hits) == 3
    seen = {h.object_id for h in page.hits} | {h.object_id for h in rest.hits}
    assert len(seen) == 6
    # Within the candidates, the best match comes first.
    monkeypatch.setattr(queries, "MAX_CANDIDATES", 100)
    page = search(world.alice, "platypus", limit=3)
    assert not page.capped and page.total == 9
    assert "Platypus" in str(page.hits[0].title)


def test_capped_count_on_the_page(world, as_alice, monkeypatch):
    monkeypatch.setattr(queries, "MAX_CANDIDATES", 2)
    for i in range(4):
        _comm(world, summary=f"echidna {i}")
    response = as_alice.get("/search/", {"q": "echidna"})
    assert "More than 2 results" in response.content.decode()


def test_member_scope_is_applied_inside_the_index(world):
    # bob is on Acme's team only; a Globex document with the same word stays hidden.
    _comm(world, summary="bilby forecast")
    _comm(world, client=world.globex, summary="bilby forecast")
    assert search(world.bob, "bilby").total == 1
    assert search(world.ada, "bilby").total == 2
    assert search(world.carol, "bilby").total == 1


# Phrases: on PostgreSQL a phrase-key index (search/0003) narrows the documents before the
# exact phrase is checked. It must never lose a match: the same documents as the exact
# check alone, for phrases with stop words, stemming, repeats, several phrases, and words
# split between the subject and the body.
PHRASE_TEXTS = [
    ("Budget delay", "the budget delay again"),
    ("Note", "budget of the delay"),
    ("Budget", "delay on the budget"),
    ("Delays", "budgets delayed, budget delayed twice"),
    ("Monthly budget", "delay notice"),
    ("Call", "The invoice was late. Budget delay and invoice late again"),
    ("Call", "late invoice; budget: delay"),
    ("Call", "e-mail budget delay"),
    ("Call", "10 days late, then 10 days more"),
    ("Café", "Café déjà vu budget"),
]
PHRASE_QUERIES = [
    '"budget delay"',
    '"budgets delayed"',
    '"the budget delay"',
    '"budget of the delay"',
    '"invoice late" "budget delay"',
    '"budget delay" invoice',
    '"Monthly budget delay"',
    '"10 days"',
    '"days late"',
    '"café déjà"',
    '"e-mail budget"',
    '"budget budget"',
]


@pytest.mark.parametrize("q", PHRASE_QUERIES)
def test_phrase_prefilter_never_loses_a_match(world, q):
    for subject, summary in PHRASE_TEXTS:
        record_communication(
            world.alice,
            world.acme,
            channel="call",
            direction="in",
            subject=subject,
            summary=summary,
        )
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: FTS5 answers phrases from its own position lists")
    found = {(h.kind, h.object_id) for h in search(world.alice, q, limit=200).hits}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, object_id FROM search_searchdocument"
            " WHERE search_vector @@ websearch_to_tsquery('english', %s)",
            [queries.websearch_query(queries.parse_terms(q))],
        )
        exact = {(r[0], r[1]) for r in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM search_searchdocument WHERE phrase_hashes IS NULL")
        assert cursor.fetchone()[0] == 0  # the trigger filled every row
    assert found == exact
    assert exact or q == '"budget budget"'


def test_bulk_indexed_documents_match_what_the_engine_computes(world, tmp_path):
    """The importer's bulk path writes the same index as one-by-one indexing: on
    PostgreSQL the vector (computed in the INSERT) and its phrase keys."""
    from amends.comms.actions import import_path
    from tests.comms_import.messages import GMAIL_REPLY, OUTLOOK_QP

    for i, data in enumerate([OUTLOOK_QP, GMAIL_REPLY]):
        (tmp_path / f"{i}.eml").write_bytes(data)
    summary = import_path(None, tmp_path)
    assert summary.imported == 2
    docs = SearchDocument.objects.filter(kind="communication")
    assert docs.count() >= 2
    assert search(world.ada, "nobody told us why").total >= 1
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchdocument WHERE search_vector IS DISTINCT FROM"
            " setweight(to_tsvector('english', title), 'A')"
            " || setweight(to_tsvector('english', body), 'B')"
            " OR phrase_hashes IS DISTINCT FROM amends_phrase_hashes(search_vector)"
        )
        assert cursor.fetchone()[0] == 0
