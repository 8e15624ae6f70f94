"""The indexes dropped as redundant (each is the first column of a composite index) are
gone, the composites that cover them stay, nothing else is touched (the search index's
trigger on SQLite survives), and the migration reverses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

DROPPED = {
    "comms_emailmessage": [["client_id"], ["from_address"], ["normalised_subject"]],
    "comms_communication": [["client_id"]],
    "comms_messagereference": [["message_id"]],
    "clients_timelineentry": [["client_id"], ["case_id"]],
    "search_searchdocument": [["client_id"]],
}
COVERING = {
    "comms_emailmessage": ["client_id", "normalised_subject", "occurred_at"],
    "comms_communication": ["client_id", "direction", "occurred_at"],
    "comms_messagereference": ["message_id", "ref"],
    "clients_timelineentry": ["client_id", "at"],
    "search_searchdocument": ["client_id", "occurred_at"],
}
BEFORE = [
    ("comms", "0005_meeting_sequence"),
    ("clients", "0001_initial"),
    ("search", "0003_phrase_keys"),
]


def _index_columns(table: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]


def _search_trigger_present() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            " AND name = 'search_doc_deleted'"
        )
        return bool(cursor.fetchone()[0])


def _assert_dropped() -> None:
    for table, singles in DROPPED.items():
        columns = _index_columns(table)
        for single in singles:
            assert single not in columns, f"{table}{single} is still indexed on its own"
        assert COVERING[table] in columns, f"{table} lost its covering index"


@pytest.mark.django_db
def test_redundant_single_column_indexes_are_gone() -> None:
    _assert_dropped()
    if connection.vendor == "sqlite":
        assert _search_trigger_present()


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_and_reapplies() -> None:
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        for table, singles in DROPPED.items():
            columns = _index_columns(table)
            for single in singles:
                assert single in columns, f"{table}{single} was not re-created"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    _assert_dropped()
    if connection.vendor == "sqlite":
        assert _search_trigger_present()
