"""The bulk import path gives exactly what storing one message at a time gives:
same messages, same threads (headers, subject fallback, adoption, client scope), same
timeline, search documents and first-response clocks."""

from __future__ import annotations

import os
import random
from datetime import timedelta
from email.utils import format_datetime

import pytest
import time_machine
from django.utils import timezone

from amends.cases.models import Case
from amends.clients.actions import create_client
from amends.clients.models import Client, TimelineEntry
from amends.comms import actions
from amends.comms.actions import Matcher, import_path, store_parsed_message
from amends.comms.importing import parse_message
from amends.comms.models import Communication, EmailMessage, MessageReference, RawMessage
from amends.search.models import SearchDocument
from amends.search.queries import search
from bench.mailgen import CLIENT_DOMAINS, Mailbox
from tests.comms_import import messages as m

pytestmark = pytest.mark.django_db


def _mailbox(count: int) -> list[bytes]:
    box = Mailbox(seed=7)
    out: list[bytes] = []
    while len(out) < count:
        out.extend(box.thread())
    now = timezone.now()
    # Header-less replies (subject fallback) around some originals, in any order.
    for i in range(12):
        when = format_datetime(now - timedelta(days=60 - i * 4))
        subject = ["Budget", "Re: Budget", "AW: budget", "Fwd: Budget"][i % 4]
        out.append(m.simple(900 + i, subject=subject, date=when))
    random.Random(3).shuffle(out)
    return out[: count + 12]


def _snapshot() -> dict[str, tuple]:
    sha = dict(EmailMessage.objects.values_list("pk", "raw__sha256"))
    out = {}
    for e in EmailMessage.objects.select_related("communication", "client"):
        comm = e.communication
        out[sha[e.pk]] = (
            sha.get(e.thread_root_id),
            e.client.name if e.client else None,
            e.direction,
            e.subject,
            comm.subject if comm else None,
            comm.occurred_at if comm else None,
            comm.direction if comm else None,
            comm.contact_id if comm else None,
            sorted(e.refs.values_list("ref", flat=True)),
        )
    return out


def _counts() -> tuple[int, ...]:
    return (
        RawMessage.objects.count(),
        EmailMessage.objects.count(),
        Communication.objects.count(),
        TimelineEntry.objects.filter(kind="comm.email").count(),
        TimelineEntry.objects.filter(kind="case.first_response").count(),
        SearchDocument.objects.filter(kind="communication").count(),
    )


def _wipe() -> None:
    TimelineEntry.objects.filter(kind__in=["comm.email", "case.first_response"]).delete()
    SearchDocument.objects.filter(kind="communication").delete()
    MessageReference.objects.all().delete()
    EmailMessage.objects.all().delete()
    RawMessage.objects.all().delete()
    Communication.objects.all().delete()
    Case.objects.update(first_response_at=None)


@time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)
def test_bulk_import_equals_one_at_a_time(world, tmp_path, monkeypatch):
    for domain in CLIENT_DOMAINS[:25]:  # the rest stay unmatched
        create_client(None, name=domain, owner=world.alice, email_domains=domain)
    data = _mailbox(400)
    for i, raw in enumerate(data):
        (tmp_path / f"{i:04d}.eml").write_bytes(raw)

    def no_fallback(*args, **kwargs):
        raise AssertionError("the bulk path fell back to one message at a time")

    with monkeypatch.context() as patch:
        patch.setattr(actions, "_store_one", no_fallback)
        summary = import_path(None, tmp_path, batch_size=37)
    assert summary.imported == len(data) and not summary.rejected
    bulk, bulk_counts = _snapshot(), _counts()
    threads = {v[0] for v in bulk.values()}
    assert len(threads) < len(bulk) / 2  # real threads were formed

    _wipe()
    matcher = Matcher()
    for i in range(len(data)):
        path = tmp_path / f"{i:04d}.eml"
        parsed = parse_message(path.read_bytes())
        store_parsed_message(None, parsed, matcher=matcher, source=str(path))  # type: ignore[arg-type]
    assert _snapshot() == bulk
    assert _counts() == bulk_counts


def test_a_batch_with_a_bad_message_falls_back_and_keeps_the_others(world, tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"{i}.eml").write_bytes(m.simple(i))
    real = actions.store_parsed_message

    def refuse_third(actor, parsed, **kwargs):
        if parsed.message_id == "m3@acme.example":
            raise ValueError("refused")
        return real(actor, parsed, **kwargs)

    def broken_bulk(*args, **kwargs):
        raise RuntimeError("the database refused the batch")

    monkeypatch.setattr(actions, "_bulk_store", broken_bulk)
    monkeypatch.setattr(actions, "store_parsed_message", refuse_third)
    summary = import_path(None, tmp_path)
    assert summary.imported == 4
    assert [reason for _, reason in summary.rejected] == [
        "could not be stored: ValueError: refused"
    ]
    assert EmailMessage.objects.count() == 4


def test_bulk_import_stops_first_response_clock_and_indexes(world, tmp_path):
    case = world.case
    assert case.first_response_at is None
    when = timezone.now() - timedelta(hours=2)
    reply = m.simple(
        5, sender="alice@firm.example", to="dana@acme.example", date=format_datetime(when)
    )
    (tmp_path / "a.eml").write_bytes(m.simple(4, body=b"Where is the zebracorn invoice?"))
    (tmp_path / "b.eml").write_bytes(reply)
    import_path(None, tmp_path)
    case.refresh_from_db()
    assert case.first_response_at == when.replace(microsecond=0)
    assert TimelineEntry.objects.filter(kind="case.first_response", case=case).count() == 1
    page = search(world.alice, "zebracorn")
    assert page.total == 1 and page.hits[0].kind == "communication"


def test_tone_is_scored_once_for_each_inbound_message(world, tmp_path, monkeypatch):
    from amends.comms import tone

    calls: list[str] = []

    def fake_score(text: str) -> float:
        calls.append(text)
        return -0.5

    monkeypatch.setattr(tone, "score", fake_score)
    (tmp_path / "in.eml").write_bytes(m.simple(1, body=b"This is unacceptable."))
    (tmp_path / "out.eml").write_bytes(
        m.simple(2, sender="alice@firm.example", to="dana@acme.example")
    )
    import_path(None, tmp_path)
    inbound = Communication.objects.get(direction="in")
    outbound = Communication.objects.get(direction="out")
    assert (inbound.tone, outbound.tone) == (-0.5, None)
    assert len(calls) == 1 and "unacceptable" in calls[0]


def test_parsing_in_worker_processes_gives_the_same_result(world, tmp_path, monkeypatch, settings):
    from amends.comms import tone

    settings.AMENDS_IMPORT_WORKERS = 2
    monkeypatch.setattr(actions, "POOL_MIN_MESSAGES", 1)
    monkeypatch.setattr(actions, "POOL_CHUNK", 3)
    files = {f"{i:02d}.eml": m.simple(i, body=b"warm thanks\n") for i in range(10)}
    files["bad.eml"] = b"\x89PNG\r\n\x1a\n\x00\x00"
    files["out.eml"] = m.simple(50, sender="alice@firm.example", to="dana@acme.example")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert actions.import_workers(12) == 2
    summary = import_path(None, tmp_path, batch_size=4)
    assert (summary.seen, summary.imported, summary.rejected_count) == (12, 11, 1)
    for name, data in files.items():
        if name != "bad.eml":
            import hashlib

            raw = RawMessage.objects.get(sha256=hashlib.sha256(data).hexdigest())
            assert bytes(raw.data) == data
    tones = dict(Communication.objects.values_list("direction", "tone").distinct())
    # Scored by the workers, the same as here; never for our own messages.
    assert tones == {"in": tone.score("warm thanks\n"), "out": None}
    again = import_path(None, tmp_path)
    assert (again.imported, again.duplicates) == (0, 11)


def test_headerless_reply_lookup_finds_exactly_the_adoptable_rows(world, tmp_path):
    """The per-batch lookup of header-less replies (plain SQL, so the engine can use the
    partial index) returns what the same condition through the ORM returns; on SQLite
    the plan uses the index."""
    from django.db import connection
    from django.db.models import F

    from amends.comms.models import HEADERLESS_REPLY

    for domain in CLIENT_DOMAINS[:25]:
        create_client(None, name=domain, owner=world.alice, email_domains=domain)
    for i, raw in enumerate(_mailbox(150)):
        (tmp_path / f"{i:04d}.eml").write_bytes(raw)
    import_path(None, tmp_path)
    EmailMessage.objects.update(thread_root_id=F("pk"))  # as if none had been adopted yet
    rows = EmailMessage.objects.values_list("client_id", "normalised_subject", "occurred_at")
    early = min(r[2] for r in rows) - timedelta(days=1)
    late = max(r[2] for r in rows) + timedelta(days=1)
    pairs = sorted({(c, s, early, late) for c, s, _ in rows if s}, key=repr)
    expected = set(
        EmailMessage.objects.filter(HEADERLESS_REPLY, thread_root_id=F("pk")).values_list(
            "pk", flat=True
        )
    )
    assert expected  # the mailbox has header-less replies
    found: set[int] = set()
    with connection.cursor() as cursor:
        for chunk in actions._chunks(pairs, 100):
            sql, params = actions._headerless_replies_sql(chunk)
            cursor.execute(sql, params)
            found |= {row[1] for row in cursor.fetchall()}
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
                assert "email_headerless_reply" in plan, plan
    assert found == expected


@pytest.mark.parametrize(("cpus", "workers"), [(1, 0), (2, 2), (3, 3), (8, 4)])
def test_by_default_one_parser_per_core_up_to_four(cpus, workers, monkeypatch, settings):
    settings.AMENDS_IMPORT_WORKERS = None
    monkeypatch.delenv("AMENDS_IMPORT_WORKERS", raising=False)
    monkeypatch.setattr(actions.os, "cpu_count", lambda: cpus)
    assert actions.import_workers(20_000) == workers
    assert actions.import_workers(actions.POOL_MIN_MESSAGES - 1) == 0


def test_parsing_workers_run_at_a_lower_priority():
    from concurrent.futures import ProcessPoolExecutor

    from amends.comms.importing import WORKER_NICENESS, init_worker

    with ProcessPoolExecutor(
        1, initializer=init_worker, initargs=(frozenset(), frozenset())
    ) as pool:
        assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + WORKER_NICENESS)


def test_a_large_sqlite_import_widens_the_page_cache_and_puts_it_back(world, tmp_path, monkeypatch):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache and checkpoints only")

    def pragmas():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cache, cursor.fetchone()[0]

    before = pragmas()
    seen = []
    store = actions._store_batch
    monkeypatch.setattr(actions, "POOL_MIN_MESSAGES", 2)
    monkeypatch.setattr(
        actions, "_store_batch", lambda *a, **k: (seen.append(pragmas()), store(*a, **k))
    )
    for i in range(3):
        (tmp_path / f"{i}.eml").write_bytes(m.simple(i))
    assert import_path(None, tmp_path).imported == 3
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_size")
        page = cursor.fetchone()[0]
    # 40 MB of WAL between checkpoints, whatever the page size.
    assert seen == [(-actions.IMPORT_CACHE_KIB, actions.IMPORT_CHECKPOINT_BYTES // page)]
    assert pragmas() == before


def test_a_large_postgresql_import_renews_the_planner_statistics_as_it_doubles(
    world, tmp_path, monkeypatch
):
    """PostgreSQL: the tables each batch looks up are analysed after the first batch,
    then each time the import has doubled since: the lookups use their indexes instead
    of reading whole tables the statistics still say are empty."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics only")

    def analysed() -> dict[str, float]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
                [["comms_emailmessage", "comms_messagereference", "comms_rawmessage"]],
            )
            return dict(cursor.fetchall())

    runs: list[int] = []
    after = actions._PlannerStatistics.after
    monkeypatch.setattr(actions, "POOL_MIN_MESSAGES", 2)
    # A new database's tables, never analysed. (ANALYZE's counts outlive the rolled-back
    # transactions of earlier tests: the catalog is updated in place.)
    monkeypatch.setattr(actions._PlannerStatistics, "_rows_known", staticmethod(lambda: 0))
    monkeypatch.setattr(
        actions._PlannerStatistics,
        "for_import",
        classmethod(lambda cls, total: cls(0)),
    )
    monkeypatch.setattr(
        actions._PlannerStatistics,
        "after",
        lambda self, imported: (runs.append((imported, self.known)), after(self, imported)),
    )
    for i in range(9):
        refs = f"References: <{i + 100}@acme.example>\n".encode()
        (tmp_path / f"{i:02}.eml").write_bytes(m.simple(i, extra=refs))
    assert import_path(None, tmp_path, batch_size=1).imported == 9
    # Analysed after 1, 3 and 7 messages (each time the import passed twice what the
    # last statistics counted), not after each batch.
    assert [known for _, known in runs] == [0, 2, 2, 6, 6, 6, 6, 14, 14]
    assert analysed() == {
        "comms_emailmessage": 7,
        "comms_messagereference": 7,
        "comms_rawmessage": 7,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'comms_emailmessage'"
            " AND attname = 'message_id'"
        )
        assert cursor.fetchone()[0] == 1


def test_an_import_into_an_analysed_database_leaves_its_statistics_alone(world, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics only")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE comms_emailmessage")
    stats = actions._PlannerStatistics.for_import(10_000)
    assert stats is not None and stats.known == 0  # an empty table, analysed
    stats.known = 1_000  # as if the table held 1,000 emails
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'comms_rawmessage'")
        before = cursor.fetchone()[0]
        stats.after(600)
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'comms_rawmessage'")
        assert cursor.fetchone()[0] == before == 0
    assert actions._PlannerStatistics.for_import(100) is None  # a small import: none


def test_a_new_sqlite_database_has_16_kb_pages(tmp_path):
    """The settings' init_command: a new file gets 16 KB pages, in WAL mode."""
    import sqlite3

    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite only")
    db = sqlite3.connect(tmp_path / "new.sqlite3")
    db.executescript(settings.DATABASES["default"]["OPTIONS"]["init_command"])
    db.execute("CREATE TABLE t (x)")
    assert db.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_workers_score_the_tone_only_of_mail_a_client_will_own(world, tmp_path, monkeypatch):
    """Mail from nobody a client knows waits in triage: its tone is not scored in the
    workers (nor later by the writer), and it is scored when someone assigns it."""
    from amends.comms import importing, tone
    from amends.comms.actions import assign_message

    matcher = Matcher()
    monkeypatch.setattr(importing, "_ours_users", frozenset(matcher.users))
    monkeypatch.setattr(importing, "_ours_domains", frozenset(matcher.ours))
    monkeypatch.setattr(importing, "_client_senders", matcher.client_senders())
    senders = {
        "contact.eml": "dana@acme.example",  # a contact
        "domain.eml": "someone@acme.example",  # a client's domain
        "stranger.eml": "news@unknown.example",  # nobody's: triage
    }
    for i, (name, sender) in enumerate(senders.items()):
        (tmp_path / name).write_bytes(m.simple(i, sender=sender, body=b"Thank you, wonderful."))
    work = [(None, str(tmp_path / name), 10**6) for name in senders]
    parsed = dict(zip(senders, importing.parse_in_worker(work), strict=True))
    assert [parsed[name].tone_scored for name in senders] == [True, True, False]
    assert Matcher(world.acme).client_senders() is None  # an import for one client: all

    calls: list[str] = []
    real = tone.score
    monkeypatch.setattr(tone, "score", lambda text: calls.append(text) or real(text))
    summary = actions.ImportSummary()
    actions._store_batch(None, list(parsed.items()), matcher, summary)
    assert (summary.imported, summary.unmatched) == (3, 1)
    assert calls == []  # the workers' scores were used; the stranger's is not needed
    waiting = EmailMessage.objects.get(from_address="news@unknown.example")
    assert waiting.communication_id is None
    comm = assign_message(None, waiting, world.acme)
    assert comm.tone == real("Thank you, wonderful.") > 0
    assert len(calls) == 1  # scored once, from the email's whole text


def test_reserved_ids_are_new_and_rows_are_written_with_them(world):
    """`Inserter.reserve`: ids no row ever had (not even one deleted since), in order;
    the rows then written with them keep them."""
    from django.db import transaction

    from amends.search.bulk import Inserter

    inserter = Inserter(RawMessage, ["sha256", "size", "data"])

    def row(n: int) -> dict:
        return {"sha256": f"{n:064x}", "size": 1, "data": b"x"}

    with transaction.atomic():
        first = inserter.insert([row(1), row(2)])
    RawMessage.objects.filter(pk=first[1]).delete()  # the largest id, gone
    with transaction.atomic():
        ids = inserter.reserve(3)
        assert ids == list(range(ids[0], ids[0] + 3)) and ids[0] > first[1]
        assert inserter.insert([row(3), row(4), row(5)], ids=ids) == ids
    assert list(RawMessage.objects.filter(pk__in=ids).values_list("sha256", flat=True)) == [
        f"{n:064x}" for n in (3, 4, 5)
    ]
    with transaction.atomic():  # the next ones follow
        assert inserter.reserve(1)[0] > ids[-1]


def test_rows_written_with_their_ids_over_several_statements_keep_them(world, monkeypatch):
    """The id is one more parameter a row, so statements hold fewer rows; each row
    still gets its own id, in order."""
    from django.db import transaction

    from amends.search import bulk

    monkeypatch.setattr(bulk, "_max_params", lambda: 10)
    inserter = bulk.Inserter(RawMessage, ["sha256", "size", "data"])
    rows = [{"sha256": f"{n:064x}", "size": 1, "data": b"x"} for n in range(7)]
    with transaction.atomic():
        ids = inserter.reserve(len(rows))
        assert inserter.insert(rows, ids=ids) == ids
    assert RawMessage.objects.filter(pk__in=ids).count() == 7


@time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)
def test_triage_matching_in_chunks_equals_one_at_a_time(world, tmp_path, monkeypatch):
    """The `comms.match_triage` job places the waiting mail in chunks
    (`place_batch_in_clients`); one message at a time (`place_in_client`, its fallback)
    gives the same clients, threads, timeline, clocks and search documents. In both, a
    message left in triage is never in a thread rooted in a client."""
    from amends.comms import triage_actions
    from amends.comms.triage_actions import match_waiting

    for domain in CLIENT_DOMAINS[:20]:
        create_client(None, name=domain, owner=world.alice, email_domains=domain)
    data = _mailbox(400)
    for i, raw in enumerate(data):
        (tmp_path / f"{i:04d}.eml").write_bytes(raw)

    def late_clients_and_match() -> int:
        import_path(None, tmp_path, batch_size=50)
        for domain in CLIENT_DOMAINS[20:26]:
            create_client(None, name=f"late {domain}", owner=world.bob, email_domains=domain)
        return match_waiting()

    def one_at_a_time(*args, **kwargs):
        raise RuntimeError("placed one at a time")

    def same_scope() -> bool:
        client_of = dict(EmailMessage.objects.values_list("pk", "client_id"))
        return all(client_of[e.thread_root_id] == e.client_id for e in EmailMessage.objects.all())

    with monkeypatch.context() as patch:
        patch.setattr(triage_actions, "_PLACE_CHUNK", 23)
        chunked = late_clients_and_match()
    assert chunked > 20 and same_scope()
    in_chunks, chunk_counts = _snapshot(), _counts()
    placed = {sha for sha, row in in_chunks.items() if row[1] and row[1].startswith("late ")}
    assert len(placed) == chunked

    _wipe()
    Client.objects.filter(name__startswith="late ").delete()
    with monkeypatch.context() as patch:
        patch.setattr(triage_actions, "place_batch_in_clients", one_at_a_time)
        assert late_clients_and_match() == chunked
    assert same_scope()
    one_by_one = _snapshot()
    assert {sha: one_by_one[sha] for sha in placed} == {sha: in_chunks[sha] for sha in placed}
    assert {sha: row[1:] for sha, row in one_by_one.items()} == {
        sha: row[1:] for sha, row in in_chunks.items()
    }
    assert _counts() == chunk_counts
