"""PostgreSQL compresses imported mail and search documents with LZ4 (comms/0008,
search/0007); the migrations reverse to the default, and what was stored under either
reads back byte for byte."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from amends.comms.models import RawMessage
from amends.core.schema import lz4_available

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="column compression is PostgreSQL's"
)

COLUMNS = {
    ("comms_rawmessage", "data"),
    ("comms_emailmessage", "text_body"),
    ("comms_communication", "summary"),
    ("search_searchdocument", "body"),
    ("search_searchdocument", "search_vector"),
    ("search_searchdocument", "phrase_keys"),  # as search/0007 left it
    ("search_searchdocument", "phrase_hashes"),  # since search/0010
}
BEFORE = [("comms", "0007_headerless_reply_index"), ("search", "0006_pending_index")]


def _methods() -> dict[tuple[str, str], str]:
    """Each column's compression: 'l' (LZ4), 'p' (PGLZ) or '' (the server's default)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, a.attcompression FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE (c.relname, a.attname) IN (" + ", ".join(["(%s, %s)"] * len(COLUMNS)) + ")",
            [v for pair in sorted(COLUMNS) for v in pair],
        )
        return {(table, column): method for table, column, method in cursor.fetchall()}


def _store(n: int) -> bytes:
    # Compressible (so it is compressed) and over the 2 KB threshold.
    data = (f"Message {n}: the launch slipped again.\r\n" * 400).encode()
    RawMessage.objects.create(sha256=f"{n:064x}", size=len(data), data=data)
    return data


@pytest.mark.django_db(transaction=True)
def test_mail_is_compressed_with_lz4_and_the_migration_reverses():
    if not lz4_available(connection):
        pytest.skip("this PostgreSQL was built without LZ4: the migrations leave PGLZ")
    assert set(_methods().values()) == {"l"}
    lz4_data = _store(1)
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        assert set(_methods().values()) == {""}
        default_data = _store(2)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    assert set(_methods().values()) == {"l"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sha256, pg_column_compression(data), data FROM comms_rawmessage ORDER BY 1"
        )
        rows = cursor.fetchall()
    assert [(method, bytes(data)) for _, method, data in rows] == [
        ("lz4", lz4_data),
        ("pglz", default_data),
    ]
