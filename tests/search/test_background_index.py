"""Indexing imported mail in a second connection (PostgreSQL), and the list of what is
still waiting (`PendingIndex`) that makes it safe: a batch's communications are listed
in the batch's transaction and struck off in the indexer's, so whatever stops half-way,
the next import or the worker finishes the indexing."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from amends.clients.actions import create_client
from amends.comms import actions
from amends.comms.actions import import_path
from amends.comms.models import Communication, EmailMessage, RawMessage
from amends.search import actions as search_actions
from amends.search.actions import defer_communications, index_object, index_pending
from amends.search.models import PendingIndex, SearchDocument
from amends.search.queries import search
from amends.watch.schedule import run_schedules
from bench.mailgen import CLIENT_DOMAINS, Mailbox
from tests.comms_import.test_bulk import _wipe

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL indexes in a second connection (SQLite has one writer)",
)


def _comm(client, subject: str, text: str) -> Communication:
    """A communication stored as the bulk importer stores one: with its email, not yet
    in the index."""
    comm = Communication.objects.create(
        client=client,
        channel=Communication.Channel.EMAIL,
        direction=Communication.Direction.IN,
        occurred_at=timezone.now(),
        subject=subject,
        summary=text[:20],
    )
    raw = RawMessage.objects.create(sha256=f"{comm.pk:064x}", size=1, data=b"x")
    EmailMessage.objects.create(
        raw=raw,
        client=client,
        communication=comm,
        message_id=f"<{comm.pk}@x>",
        subject=subject,
        occurred_at=comm.occurred_at,
        direction="in",
        text_body=text,
    )
    return comm


def _document(comm_id: int) -> tuple:
    doc = SearchDocument.objects.get(kind="communication", object_id=comm_id)
    return (doc.client_id, doc.title, doc.body, doc.search_vector)


def test_what_waits_is_indexed_as_index_object_would(world):
    waiting = [
        _comm(world.acme, "Quarterly zebracorn figures", "The zebracorn budget slipped " * 3),
        _comm(world.acme, "Launch", "A second message about the launch plan."),
    ]
    defer_communications([c.pk for c in waiting])
    assert not search(world.alice, "zebracorn").total  # not findable while it waits

    assert index_pending(batch_size=1) == 2
    assert not PendingIndex.objects.exists()
    page = search(world.alice, "zebracorn budget")
    assert [hit.object_id for hit in page.hits] == [waiting[0].pk]
    assert not search(world.carol, "zebracorn").total  # still scoped

    indexed = {c.pk: _document(c.pk) for c in waiting}
    for comm in waiting:
        index_object(comm)  # the one-at-a-time path writes the same document
    assert {c.pk: _document(c.pk) for c in waiting} == indexed
    assert index_pending() == 0


def test_a_newer_document_is_kept_and_a_deleted_communication_leaves_the_list(world):
    edited = _comm(world.acme, "Old subject", "old text")
    gone = _comm(world.acme, "Deleted", "deleted text")
    defer_communications([edited.pk, gone.pk])
    edited.subject = "New subject"
    edited.save()
    index_object(edited)  # edited while it waited: its document is written now
    gone.delete()
    assert list(PendingIndex.objects.values_list("pk", flat=True)) == [edited.pk]

    assert index_pending() == 0  # nothing left to write; the newer document stays
    assert _document(edited.pk)[1] == "New subject"
    assert not PendingIndex.objects.exists()


def test_the_worker_indexes_what_waits(world):
    comm = _comm(world.acme, "Periodic", "an ocelot appears")
    defer_communications([comm.pk])
    run_schedules(force=True)
    assert search(world.alice, "ocelot").total == 1
    assert not PendingIndex.objects.exists()


def test_sqlite_and_transactions_index_in_line(world):
    """No second connection on SQLite, nor inside a transaction (it could not see the
    batches before they commit), nor for a small import."""
    assert actions._BackgroundIndexer.for_import(10_000) is None  # the test's transaction
    assert actions._BackgroundIndexer.for_import(None) is None


def _write_mailbox(path, count: int) -> None:
    box = Mailbox(seed=11)
    written = 0
    while written < count:
        for raw in box.thread():
            (path / f"{written:05d}.eml").write_bytes(raw)
            written += 1


def _index_snapshot() -> dict[str, tuple]:
    by_comm = dict(
        EmailMessage.objects.filter(communication__isnull=False).values_list(
            "communication_id", "raw__sha256"
        )
    )
    return {
        by_comm[d.object_id]: (d.client_id, d.title, d.body, d.search_vector, d.occurred_at)
        for d in SearchDocument.objects.filter(kind="communication")
    }


@pytest.fixture
def mailbox_clients(transactional_db, world):
    for domain in CLIENT_DOMAINS[:25]:
        create_client(None, name=domain, owner=world.alice, email_domains=domain)
    return world


@postgresql_only
@time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)  # "now" for future dates
def test_a_large_import_indexes_in_other_connections_exactly_as_in_line(
    mailbox_clients, tmp_path, monkeypatch
):
    _write_mailbox(tmp_path, 300)
    threads: list[str] = []
    real_deferred = search_actions.index_deferred

    def spy(*args):
        threads.append(threading.current_thread().name)
        return real_deferred(*args)

    monkeypatch.setattr(search_actions, "index_deferred", spy)
    monkeypatch.setattr(actions, "BACKGROUND_INDEX_MIN_MESSAGES", 100)
    summary = import_path(None, tmp_path, batch_size=40)
    assert summary.imported >= 300 and not summary.rejected
    assert threads
    assert set(threads) <= {f"amends-import-indexer-{i}" for i in range(actions.INDEX_THREADS)}
    assert not PendingIndex.objects.exists()
    in_background = _index_snapshot()
    assert len(in_background) == EmailMessage.objects.filter(communication__isnull=False).count()
    assert len(in_background) > 150

    _wipe()
    monkeypatch.setattr(actions, "BACKGROUND_INDEX_MIN_MESSAGES", 10**9)
    import_path(None, tmp_path, batch_size=40)
    assert _index_snapshot() == in_background
    assert len(threads) == len(set(range(0, summary.imported, 40)))  # none added in line


@postgresql_only
def test_when_the_indexer_fails_the_import_indexes_the_rest_itself(
    mailbox_clients, tmp_path, monkeypatch
):
    _write_mailbox(tmp_path, 200)

    def broken(*args):
        raise RuntimeError("the indexer's connection dropped")

    monkeypatch.setattr(search_actions, "index_deferred", broken)
    monkeypatch.setattr(actions, "BACKGROUND_INDEX_MIN_MESSAGES", 100)
    import_path(None, tmp_path, batch_size=50)
    assert not PendingIndex.objects.exists()
    assert (
        SearchDocument.objects.filter(kind="communication").count()
        == Communication.objects.count()
        > 100
    )


@postgresql_only
def test_an_import_cut_short_is_indexed_by_the_next_or_by_the_worker(
    mailbox_clients, tmp_path, monkeypatch
):
    """As after `kill -9`: batches committed, their indexing never done."""
    _write_mailbox(tmp_path, 200)
    monkeypatch.setattr(search_actions, "index_deferred", lambda *args: 0)  # dies silently
    monkeypatch.setattr(actions, "BACKGROUND_INDEX_MIN_MESSAGES", 100)
    import_path(None, tmp_path, batch_size=50)
    waiting = PendingIndex.objects.count()
    assert waiting == Communication.objects.count() > 100
    assert not SearchDocument.objects.filter(kind="communication").exists()

    monkeypatch.undo()
    run_schedules(force=True)  # the worker's periodic work
    assert not PendingIndex.objects.exists()
    assert SearchDocument.objects.filter(kind="communication").count() == waiting

    # And an import finishes what an earlier one left, before its own work.
    some = list(Communication.objects.values_list("pk", flat=True)[:30])
    SearchDocument.objects.filter(kind="communication", object_id__in=some).delete()
    defer_communications(some)
    summary = import_path(None, tmp_path, batch_size=50)
    assert summary.imported == 0
    assert not PendingIndex.objects.exists()
    assert SearchDocument.objects.filter(kind="communication").count() == waiting


@postgresql_only
def test_if_the_indexing_thread_is_gone_the_import_neither_hangs_nor_loses_anything(
    mailbox_clients, tmp_path, monkeypatch
):
    _write_mailbox(tmp_path, 200)
    monkeypatch.setattr(actions._BackgroundIndexer, "_run", lambda self: None)  # exits at once
    monkeypatch.setattr(actions, "BACKGROUND_INDEX_MIN_MESSAGES", 100)
    monkeypatch.setattr(actions, "INDEX_QUEUE_BATCHES", 1)
    summary = import_path(None, tmp_path, batch_size=20)  # more batches than the queue holds
    assert summary.imported > 100
    assert not PendingIndex.objects.exists()
    assert (
        SearchDocument.objects.filter(kind="communication").count() == Communication.objects.count()
    )
