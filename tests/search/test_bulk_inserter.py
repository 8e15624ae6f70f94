"""The importer's bulk writer (search.bulk.Inserter): multi-row INSERT on SQLite, COPY
with ids drawn from the sequence on PostgreSQL. Whatever the engine, a row written by it
must read back exactly as one written by the ORM, and the ids it returns must be the
rows' own, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from amends.comms.models import EmailMessage, RawMessage
from amends.search.bulk import Inserter

pytestmark = pytest.mark.django_db

# Text that COPY's text format must escape: tabs, newlines, carriage returns,
# backslashes, its own end marker, quotes and non-ASCII.
AWKWARD = "a\tb\nc\r\nd \\ e \\. f \\N g \"q\" 's' ü 語 😀 \u2028"
EVERY_BYTE = bytes(range(256)) * 3


def _email_row(raw_id: int, n: int) -> dict:
    at = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/London")) + timedelta(hours=n)
    return {
        "raw_id": raw_id,
        "client_id": None,
        "communication_id": None,
        "message_id": f"<{n}.{AWKWARD}@example.com>",
        "in_reply_to": "",
        "references": [f"<r{n}@x>", AWKWARD, {"nested": [1, None, "\\"]}] if n % 2 else [],
        "from_name": AWKWARD,
        "from_address": f"dana{n}@example.com",
        "to_addresses": ["a@example.com", "ü@例え.jp"],
        "cc_addresses": [],
        "subject": f"Re: {AWKWARD}",
        "normalised_subject": AWKWARD.lower(),
        "sent_at": None if n % 3 == 0 else at,
        "occurred_at": at,
        "direction": "in",
        "text_body": AWKWARD * (n + 1),
        "attachments": [{"filename": "x\ty.pdf", "size": n}],
        "problems": [],
        "source": f"/tmp/{n}.eml",
        "imported_by_id": None,
    }


def _fields(obj: EmailMessage) -> dict:
    return {f: getattr(obj, f) for f in _email_row(0, 0) if f != "raw_id"}


def test_rows_read_back_as_written_with_their_own_ids_in_order():
    raws = [
        {"sha256": f"{n:064x}", "size": len(EVERY_BYTE) + n, "data": EVERY_BYTE[n:]}
        for n in range(7)
    ]
    with transaction.atomic():
        raw_ids = Inserter(RawMessage, ["sha256", "size", "data"]).insert(raws)
        rows = [_email_row(raw_id, n) for n, raw_id in enumerate(raw_ids)]
        email_ids = Inserter(EmailMessage, list(rows[0])).insert(rows)

    assert len(set(raw_ids)) == len(raws) and len(set(email_ids)) == len(rows)
    for raw_id, expected in zip(raw_ids, raws, strict=True):
        raw = RawMessage.objects.get(pk=raw_id)
        assert raw.sha256 == expected["sha256"] and bytes(raw.data) == expected["data"]
        assert raw.received_at is not None  # auto_now_add filled without being given
    for email_id, expected in zip(email_ids, rows, strict=True):
        email = EmailMessage.objects.get(pk=email_id)
        assert email.raw_id == expected["raw_id"]
        got = _fields(email)
        want = {k: v for k, v in expected.items() if k != "raw_id"}
        for key in ("sent_at", "occurred_at"):  # the same instant, read back in UTC
            if want[key] is not None:
                assert got[key] == want[key].astimezone(UTC)
                got[key] = want[key]
        assert got == want


def test_the_orm_and_the_bulk_writer_share_the_sequence():
    """Ids the bulk writer takes are never handed out again, and the ORM's next id
    follows them."""
    raw = RawMessage.objects.create(sha256="0" * 64, size=1, data=b"x")
    with transaction.atomic():
        ids = Inserter(RawMessage, ["sha256", "size", "data"]).insert(
            [{"sha256": f"{n + 1:064x}", "size": 1, "data": b"y"} for n in range(5)]
        )
    assert min(ids) > raw.pk
    later = RawMessage.objects.create(sha256="f" * 64, size=1, data=b"z")
    assert later.pk > max(ids)
    assert RawMessage.objects.count() == 7


def test_a_failing_batch_leaves_nothing_behind():
    """A row the database refuses (a duplicate sha256) fails the whole batch inside its
    transaction: none of its rows remain, on either engine."""
    RawMessage.objects.create(sha256="a" * 64, size=1, data=b"x")
    rows = [{"sha256": f"{n:064x}", "size": 1, "data": b"y"} for n in range(1, 4)]
    rows.append({"sha256": "a" * 64, "size": 1, "data": b"dup"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Inserter(RawMessage, ["sha256", "size", "data"]).insert(rows)
    assert list(RawMessage.objects.values_list("sha256", flat=True)) == ["a" * 64]


def test_an_empty_batch_writes_nothing():
    assert Inserter(RawMessage, ["sha256", "size", "data"]).insert([]) == []
    assert not RawMessage.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's path")
def test_postgresql_streams_the_rows_with_copy():
    """No INSERT and one statement for the ids, whatever the number of rows (the COPY
    itself goes straight to psycopg, past Django's query log)."""
    from django.test.utils import CaptureQueriesContext

    rows = [{"sha256": f"{n:064x}", "size": 1, "data": b"y"} for n in range(2_000)]
    Inserter(RawMessage, ["sha256", "size", "data"]).reserve(1)  # finds the sequence
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        ids = Inserter(RawMessage, ["sha256", "size", "data"]).insert(rows)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and "nextval" in statements[0]
    assert len(ids) == RawMessage.objects.count() == 2_000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="sequences: PostgreSQL")
def test_postgresql_looks_up_each_tables_sequence_once():
    """`nextval` is given the sequence itself: `pg_get_serial_sequence` is asked once per
    table, not once for every id."""
    from django.test.utils import CaptureQueriesContext

    from amends.search import bulk

    bulk._SEQUENCES.clear()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        first = Inserter(RawMessage, ["sha256", "size", "data"]).reserve(3)
        second = Inserter(RawMessage, ["sha256", "size", "data"]).reserve(2)
        emails = Inserter(EmailMessage, ["message_id"]).reserve(1)
    lookups = [q["sql"] for q in queries.captured_queries if "pg_get_serial_sequence" in q["sql"]]
    assert len(lookups) == 2  # raw messages, emails
    assert len(set(first + second)) == 5 and min(second) > max(first)
    assert emails and RawMessage.objects.create(sha256="b" * 64, size=1, data=b"").pk > max(second)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="computed columns: PostgreSQL")
def test_search_documents_are_copied_then_computed_in_one_statement(world):
    """PostgreSQL: the documents go by COPY into a temporary table, and one INSERT …
    SELECT writes them with their vectors: no statement carries their text. Every
    document gets its own text, its vector and (through the trigger) its phrase keys;
    twice in one transaction, nothing of the first batch is written again."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from amends.comms.models import Communication
    from amends.search.actions import index_communications
    from amends.search.models import SearchDocument

    comms = [
        Communication.objects.create(
            client=world.acme,
            channel=Communication.Channel.EMAIL,
            direction=Communication.Direction.IN,
            occurred_at=timezone.now(),
            subject=f"Long {i}",
            summary="budget delay",
        )
        for i in range(6)
    ]
    bodies = {
        c.pk: f"budget delay number{i} " + "filler words " * 2_000 for i, c in enumerate(comms)
    }
    SearchDocument.objects.filter(kind="communication", object_id__in=bodies).delete()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert index_communications(comms[:4], bodies) == 4
        assert index_communications(comms[4:], bodies) == 2
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2 and all("filler" not in sql for sql in inserts)
    assert SearchDocument.objects.filter(kind="communication", object_id__in=bodies).count() == 6
    for i, comm in enumerate(comms):
        doc = SearchDocument.objects.get(kind="communication", object_id=comm.pk)
        assert doc.body == bodies[comm.pk] and doc.title == f"Long {i}"
        assert doc.client_id == world.acme.pk and doc.occurred_at == comm.occurred_at
        assert f"number{i}" in str(doc.search_vector) and "'long':1A" in str(doc.search_vector)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchdocument WHERE kind = 'communication'"
            " AND object_id = ANY(%s) AND coalesce(cardinality(phrase_hashes), 0) = 0",
            [list(bodies)],
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="computed columns: PostgreSQL")
def test_a_failed_computed_insert_leaves_nothing(world):
    """A document that cannot be written (here a duplicate id) fails the whole batch,
    and the temporary table holds nothing afterwards for the next one."""
    from django.db import IntegrityError
    from django.utils import timezone

    from amends.search.bulk import Inserter
    from amends.search.models import SearchDocument

    computed = {"search_vector": ("to_tsvector('english', %s)", ["body"])}
    row = {
        "kind": "communication",
        "object_id": 1,
        "client_id": world.acme.pk,
        "case_id": None,
        "occurred_at": timezone.now(),
        "title": "t",
        "body": "hello there",
    }
    inserter = Inserter(SearchDocument, list(row), computed=computed)
    before = SearchDocument.objects.count()
    ids = inserter.reserve(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        inserter.insert([row, {**row, "object_id": 2}], ids=[ids[0], ids[0]])
    assert SearchDocument.objects.count() == before
    with transaction.atomic():
        (new,) = inserter.insert([{**row, "object_id": 3}])
    assert SearchDocument.objects.get(pk=new).object_id == 3
    assert SearchDocument.objects.count() == before + 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the other engines")
def test_computed_columns_are_refused_off_postgresql(db):
    from amends.search.bulk import Inserter
    from amends.search.models import SearchDocument

    with pytest.raises(NotImplementedError, match="PostgreSQL"):
        Inserter(SearchDocument, ["body"], computed={"search_vector": ("%s", ["body"])})
