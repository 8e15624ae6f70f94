"""Full-text search: what it finds, how it highlights, who sees what, hostile queries.

Runs on SQLite (FTS5) and, through scripts/with_postgres.py, on PostgreSQL (tsvector).
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from amends.cases.actions import add_to_case, open_case, update_case
from amends.comms.actions import record_communication, update_communication
from amends.search.actions import reindex_all
from amends.search.models import SearchDocument
from amends.search.queries import fts5_query, highlight, parse_terms, search

API = "/api/v1/search"


def _call(world, **fields):
    fields.setdefault("channel", "call")
    fields.setdefault("direction", "in")
    return record_communication(world.alice, world.acme, **fields)


def _titles(page) -> list[str]:
    return [str(h.title) for h in page.hits]


# ------------------------------------------------------------------ what it finds


def test_finds_words_in_subject_and_body(world):
    _call(world, subject="Quarterly retainer", summary="Dana queried the hosting invoice")
    assert search(world.alice, "retainer").total == 1
    page = search(world.alice, "hosting invoice")
    assert page.total == 1
    assert page.hits[0].kind == "communication" and page.hits[0].label == "Call · in"
    assert "<mark>hosting</mark>" in page.hits[0].snippet
    assert page.hits[0].client_name == "Acme Ltd"
    assert page.hits[0].url.startswith("/comms/")


def test_finds_cases_and_concerns(world):
    # A concern's title names its case, so it matches too.
    case_hits = search(world.alice, "surprise")
    assert sorted(h.kind for h in case_hits.hits) == ["case", "concern"]
    case_hits = search(world.alice, "surprise", client=world.acme.pk)
    case_hit = next(h for h in case_hits.hits if h.kind == "case")
    assert case_hit.url == f"/cases/{world.case.pk}/"
    concern = search(world.alice, "never told")
    assert [h.kind for h in concern.hits] == ["concern"]
    assert concern.hits[0].case_id == world.case.pk
    assert "#concern-" in concern.hits[0].url


def test_every_word_must_match(world):
    _call(world, summary="apples and pears")
    _call(world, summary="apples and plums")
    assert search(world.alice, "apples").total == 2
    assert search(world.alice, "apples pears").total == 1
    assert search(world.alice, "apples bananas").total == 0


def test_phrase_search(world):
    _call(world, summary="the red balloon floated away")
    _call(world, summary="a balloon, red and blue")
    assert search(world.alice, "red balloon").total == 2
    page = search(world.alice, '"red balloon"')
    assert page.total == 1
    assert "floated" in page.hits[0].snippet


def test_stemming(world):
    _call(world, summary="They complained about the delays repeatedly")
    assert search(world.alice, "complaining").total == 1
    assert search(world.alice, "delay").total == 1


def test_ranked_then_newest_and_paginated(world):
    for i in range(25):
        _call(world, subject=f"Status report {i}", summary="weekly status")
    first = search(world.alice, "status", limit=10)
    assert first.total == 25 and len(first.hits) == 10 and first.has_next
    rest = search(world.alice, "status", limit=10, offset=20)
    assert len(rest.hits) == 5 and not rest.has_next and rest.has_previous
    seen = {h.object_id for h in first.hits} | {h.object_id for h in rest.hits}
    assert len(seen) == 15


def test_client_filter(world):
    _call(world, summary="shared word zebra")
    record_communication(
        world.carol, world.globex, channel="call", direction="in", summary="zebra at Globex"
    )
    assert search(world.ada, "zebra").total == 2
    assert search(world.ada, "zebra", client=world.globex.pk).total == 1
    # alice asking for a client she is not on gets nothing, not an error
    assert search(world.alice, "zebra", client=world.globex.pk).total == 0


def test_the_page_filters_by_client_and_says_what_each_result_is(world, client):
    from django.urls import reverse

    _call(world, subject="Zebra call", summary="shared word zebra")
    record_communication(
        world.carol, world.globex, channel="email", direction="out", summary="zebra at Globex"
    )
    client.force_login(world.ada)
    html = client.get(reverse("search:page"), {"q": "zebra"}).content.decode()
    assert "2 results" in html
    assert ">Call · in</span>" in html and ">Email · out</span>" in html
    assert '<option value="">All clients</option>' in html
    assert f'<option value="{world.globex.pk}">Globex' in html
    html = client.get(reverse("search:page"), {"q": "zebra", "client": world.globex.pk})
    html = html.content.decode()
    assert "1 result " in html and "</mark> at Globex" in html and "Zebra</mark> call" not in html
    assert f'<option value="{world.globex.pk}" selected>' in html
    for junk in ("x", "-1", "99999999999999999999", "1e3"):
        response = client.get(reverse("search:page"), {"q": "zebra", "client": junk})
        assert response.status_code == 200 and "2 results" in response.content.decode()
    # alice is not on Globex's team: it is not offered, and asking for it finds nothing.
    client.force_login(world.alice)
    html = client.get(reverse("search:page"), {"q": "zebra", "client": world.globex.pk})
    html = html.content.decode()
    assert "Globex" not in html and "Nothing found" in html


# ------------------------------------------------------------- hostile queries

HOSTILE = [
    '"',
    '""',
    "*",
    "invoice*",
    "NEAR(",
    "NEAR(invoice surprise, 3)",
    "OR",
    "invoice OR",
    "AND NOT",
    "-",
    "-invoice",
    "'; drop table search_fts; --",
    "title:invoice",
    "^invoice",
    "(((",
    "\x00",
    "invoice\x00surprise",
    "\ue000mark\ue001",
    "Überraschung 請求書 🚀",
    '"unterminated phrase',
    "a" * 10_000,
    "invoice " * 2_000,
    "",
    "   ",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_raise(world, as_alice, q):
    page = search(world.alice, q)
    assert page.total >= 0
    response = as_alice.get("/search/", {"q": q})
    assert response.status_code == 200
    assert b"Traceback" not in response.content
    assert SearchDocument.objects.exists()  # nothing dropped


def test_hostile_api_queries(world, client, api_alice):
    for q in HOSTILE:
        response = client.get(API, {"q": q[:500]}, **api_alice)
        assert response.status_code == 200, (q[:40], response.content[:300])
    too_long = client.get(API, {"q": "x" * 501}, **api_alice)
    assert too_long.status_code == 422


def test_fts5_terms_are_always_quoted():
    terms = parse_terms('say "NEAR(a" OR -b* "x""y"')
    assert fts5_query(terms) == '"say" AND "NEAR(a" AND "OR" AND "-b*" AND "x" AND "y"'
    assert fts5_query(['a"b']) == '"a""b"'
    assert parse_terms("* - ( \x00") == []


def test_highlight_escapes_and_marks():
    html = highlight("<b>\ue000hit\ue001</b> & \ue001stray")
    assert html == "&lt;b&gt;<mark>hit</mark>&lt;/b&gt; &amp; stray"


# ------------------------------------------------------------ HTML in indexed text


def test_highlighting_escapes_html_in_indexed_text(world, as_alice, client, api_alice):
    _call(world, subject="<b>bold</b>", summary="<script>alert(1)</script> invoice")
    response = as_alice.get("/search/", {"q": "invoice"})
    html = response.content.decode()
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "<mark>invoice</mark>" in html
    if connection.vendor == "sqlite":
        assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>invoice</mark>" in html
    # (PostgreSQL's ts_headline drops what its parser sees as tags; either way, no tag.)
    assert "<b>bold</b>" not in html
    data = json.loads(client.get(API, {"q": "invoice"}, **api_alice).content)
    snippets = [i["snippet"] for i in data["items"]]
    assert any("<mark>invoice</mark>" in s for s in snippets)
    assert not any("<script" in s for s in snippets)
    assert "&lt;b&gt;bold&lt;/b&gt;" in [i["title"] for i in data["items"]]


# --------------------------------------------------------------- who sees what


def test_outsider_finds_nothing_of_acme(world, as_carol, client, api_carol):
    _call(world, subject="Acme secret roadmap", summary="confidential invoice for Dana")
    assert search(world.carol, "invoice").total == 0
    assert search(world.carol, "Acme").total == 0
    assert search(world.carol, "invoice", client=world.acme.pk).total == 0
    page = as_carol.get("/search/", {"q": "invoice"}).content.decode()
    assert "roadmap" not in page and "Dana" not in page
    assert "Nothing found" in page
    for params in ({"q": "invoice"}, {"q": "Acme"}, {"q": "invoice", "client": world.acme.pk}):
        response = client.get(API, params, **api_carol)
        assert response.status_code == 200
        data = json.loads(response.content)
        assert data == {"count": 0, "items": []}
    # carol still finds her own client's records
    assert search(world.carol, "training").total == 1
    (item,) = json.loads(client.get(API, {"q": "training"}, **api_carol).content)["items"]
    assert item["kind"] in ("case", "concern", "communication") and item["label"]


def test_team_member_and_admin_see_acme(world):
    assert search(world.bob, "surprise").total == search(world.alice, "surprise").total == 2
    assert search(world.ada, "surprise").total == 2
    assert search(world.ada, "training").total == 1


def test_anonymous_is_sent_to_login(world, client):
    response = client.get("/search/", {"q": "invoice"})
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]
    api = client.get(API, {"q": "invoice"})
    assert api.status_code == 401


def test_top_bar_has_a_search_box(as_alice):
    html = as_alice.get("/").content.decode()
    assert 'action="/search/"' in html and 'name="q"' in html


# --------------------------------------------------------------- keeping current


def test_index_follows_edits(world):
    comm = _call(world, summary="the old wording pumpkin")
    assert search(world.alice, "pumpkin").total == 1
    update_communication(world.alice, comm, version=comm.version, summary="fresh text melon")
    assert search(world.alice, "pumpkin").total == 0
    assert search(world.alice, "melon").total == 1
    assert SearchDocument.objects.filter(kind="communication", object_id=comm.pk).count() == 1


def test_index_follows_case_and_concern_edits(world):
    case = open_case(world.alice, world.acme, title="Missing gazebo")
    assert search(world.alice, "gazebo").total == 1
    update_case(world.alice, case, version=case.version, title="Missing pergola")
    assert search(world.alice, "gazebo").total == 0
    assert search(world.alice, "pergola").total == 1
    concern = add_to_case(world.alice, case, "concern", text="The trellis wobbles")
    assert [h.kind for h in search(world.alice, "trellis").hits] == ["concern"]
    from amends.cases.actions import update_in_case

    update_in_case(world.alice, concern, version=concern.version, text="The arbour wobbles")
    assert search(world.alice, "trellis").total == 0
    assert search(world.alice, "arbour").total == 1


def test_other_case_parts_are_not_indexed(world):
    before = SearchDocument.objects.count()
    add_to_case(world.alice, world.case, "expectation", expected_by_client="a walrus")
    assert SearchDocument.objects.count() == before


def test_body_is_bounded(world):
    comm = _call(world, summary="start " + "filler " * 2800 + " needle")
    doc = SearchDocument.objects.get(kind="communication", object_id=comm.pk)
    assert len(doc.body) <= 100_000
    assert search(world.alice, "needle").total == 1


def test_reindex_rebuilds_from_scratch(world):
    _call(world, summary="kumquat harvest")
    count = SearchDocument.objects.count()
    # Wreck the index: drop every document and the engine's own rows.
    SearchDocument.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")
    assert search(world.alice, "kumquat").total == 0
    call_command("search-reindex")
    assert SearchDocument.objects.count() == count
    assert search(world.alice, "kumquat").total == 1
    assert search(world.alice, "never told").total == 1
    # Running it again changes nothing.
    assert reindex_all() == count
    assert search(world.alice, "kumquat").total == 1


def test_a_stale_fts_row_never_lends_its_text(world):
    """On SQLite, an index row left from another document (e.g. after a restore over an
    existing database) is ignored: the row must have been written for that document."""
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 only")
    comm = _call(world, summary="ordinary words")
    doc = SearchDocument.objects.get(kind="communication", object_id=comm.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_fts SET body = 'globex secret', doc_key = 'case:999:999'"
            " WHERE rowid = %s",
            [doc.pk],
        )
    assert search(world.alice, "secret").total == 0


def test_a_long_email_is_findable_beyond_its_summary(world, tmp_path):
    """An imported email's summary is its first 20,000 characters; search reads the whole
    text (up to the index's bound), by whichever path indexed it."""
    from amends.comms.actions import import_path
    from amends.comms.models import Communication
    from amends.search.actions import index_object
    from tests.comms_import import messages as m

    body = ("Status update on the launch plan. " * 1200 + "\r\nThe word zanzibarite.\r\n").encode()
    assert body.index(b"zanzibarite") > 20_000
    (tmp_path / "long.eml").write_bytes(m.simple(1, body=body))
    assert import_path(None, tmp_path).imported == 1
    assert search(world.alice, "zanzibarite").total == 1  # the importer's path

    comm = Communication.objects.get(summary__startswith="Status")
    assert len(comm.summary) == 20_000
    SearchDocument.objects.filter(kind="communication", object_id=comm.pk).delete()
    assert search(world.alice, "zanzibarite").total == 0
    index_object(comm)  # one at a time (an edit, a reindex)
    assert search(world.alice, "zanzibarite").total == 1
    assert search(world.carol, "zanzibarite").total == 0


def test_migration_re_reads_long_emails_indexed_by_their_summary(world, tmp_path):
    """search/0008: a long email indexed by an earlier release (its first 20,000
    characters) is rewritten whole, in place, and the engine's index follows."""
    import importlib

    from django.apps import apps

    from amends.comms.actions import import_path
    from amends.comms.models import Communication
    from amends.search.actions import _write_engine_index
    from tests.comms_import import messages as m

    body = ("Status update on the launch plan. " * 1200 + "\r\nThe word zanzibarite.\r\n").encode()
    (tmp_path / "long.eml").write_bytes(m.simple(1, body=body))
    (tmp_path / "short.eml").write_bytes(m.simple(2, body=b"A short note on the plan."))
    assert import_path(None, tmp_path).imported == 2
    comm = Communication.objects.get(summary__startswith="Status")
    doc = SearchDocument.objects.get(kind="communication", object_id=comm.pk)
    short = SearchDocument.objects.exclude(pk=doc.pk).get(kind="communication")
    # As an earlier release left it: the summary only.
    SearchDocument.objects.filter(pk=doc.pk).update(body=comm.summary)
    doc.refresh_from_db()
    _write_engine_index(doc)
    assert search(world.alice, "zanzibarite").total == 0
    before = SearchDocument.objects.get(pk=short.pk)

    migration = importlib.import_module("amends.search.migrations.0008_long_emails_whole")

    class Editor:
        connection = connection

    migration._rewrite(apps, Editor())
    page = search(world.alice, "zanzibarite")
    assert page.total == 1 and page.hits[0].object_id == comm.pk
    assert SearchDocument.objects.get(pk=doc.pk).body.endswith("The word zanzibarite.\n")
    assert search(world.alice, "status update").total == 1  # the start is still there
    assert search(world.carol, "zanzibarite").total == 0
    assert SearchDocument.objects.get(pk=short.pk).indexed_at == before.indexed_at  # untouched
