"""Search at scale (issue 3).

- SQLite: the FTS5 table gains an indexed `scope` column holding a token for the
  document's client ("c42"), so a query restricted to a user's clients is intersected
  inside FTS5 instead of row by row; it is rebuilt from the documents. A trigger drops a
  document's FTS5 row whenever the document row goes, whatever deleted it (a cascade
  from its client, a signal receiver, raw SQL).
- Both: a document no longer disappears with the case a communication was linked to
  (the communication stays; only its link goes).
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

FTS_NEW = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, body, doc_key UNINDEXED, scope, tokenize='porter unicode61')"
)
FTS_OLD = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, body, doc_key UNINDEXED, tokenize='porter unicode61')"
)
FILL_NEW = (
    "INSERT INTO search_fts(rowid, title, body, doc_key, scope)"
    " SELECT id, title, body, kind || ':' || object_id || ':' || client_id, 'c' || client_id"
    " FROM search_searchdocument"
)
FILL_OLD = (
    "INSERT INTO search_fts(rowid, title, body, doc_key)"
    " SELECT id, title, body, kind || ':' || object_id || ':' || client_id"
    " FROM search_searchdocument"
)
TRIGGER = (
    "CREATE TRIGGER search_doc_deleted AFTER DELETE ON search_searchdocument"
    " BEGIN DELETE FROM search_fts WHERE rowid = old.id; END"
)


def _forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    schema_editor.execute(FTS_NEW)
    schema_editor.execute(FILL_NEW)
    schema_editor.execute(TRIGGER)


def _backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS search_doc_deleted")
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    schema_editor.execute(FTS_OLD)
    schema_editor.execute(FILL_OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchdocument",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.case",
            ),
        ),
        migrations.RunPython(_forward, _backward),
    ]
