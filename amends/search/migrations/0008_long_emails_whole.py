"""Re-read long emails indexed by earlier releases, so search finds any word of them.

Earlier releases indexed a communication's summary, which for an imported email is its
first 20,000 characters. Search now reads the email's whole text (up to
`MAX_BODY_CHARS`, `search.actions.communication_text`). This migration rewrites the
documents of the emails longer than that summary — usually a small share of a mailbox —
in place, in chunks: each stays findable throughout, and the engine's own index (the
FTS5 row on SQLite, the vector and, through its trigger, the phrase keys on PostgreSQL)
is brought up to date with it. Nothing to undo going back: the longer text is simply
kept.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models.functions import Length

SUMMARY_CHARS = 20_000
CHUNK = 200


def _rewrite(apps: Any, schema_editor: Any) -> None:
    from amends.search.actions import _clean, communication_text, doc_key, scope_token
    from amends.search.models import MAX_BODY_CHARS

    EmailMessage = apps.get_model("comms", "EmailMessage")
    SearchDocument = apps.get_model("search", "SearchDocument")
    connection = schema_editor.connection
    long_emails = (
        EmailMessage.objects.using(connection.alias)
        .annotate(chars=Length("text_body"))
        .filter(chars__gt=SUMMARY_CHARS, communication__isnull=False)
        .order_by("communication_id")
        .values_list("communication_id", flat=True)
    )
    ids = list(long_emails)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        texts = dict(
            EmailMessage.objects.using(connection.alias)
            .filter(communication_id__in=chunk)
            .values_list("communication_id", "text_body")
        )
        docs = SearchDocument.objects.using(connection.alias).filter(
            kind="communication", object_id__in=chunk
        )
        summaries = dict(
            apps.get_model("comms", "Communication")
            .objects.using(connection.alias)
            .filter(pk__in=chunk)
            .values_list("pk", "summary")
        )
        with connection.cursor() as cursor:
            for doc_id, object_id, client_id, title in docs.values_list(
                "pk", "object_id", "client_id", "title"
            ):
                body = _clean(
                    communication_text(summaries.get(object_id, ""), texts[object_id]),
                    MAX_BODY_CHARS,
                )
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "UPDATE search_searchdocument SET body = %s, search_vector ="
                        " setweight(to_tsvector('english', title), 'A')"
                        " || setweight(to_tsvector('english', %s), 'B') WHERE id = %s",
                        [body, body, doc_id],
                    )
                    continue
                SearchDocument.objects.using(connection.alias).filter(pk=doc_id).update(
                    body=body
                )
                if connection.vendor == "sqlite":
                    cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [doc_id])
                    cursor.execute(
                        "INSERT INTO search_fts(rowid, title, body, doc_key, scope)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        [
                            doc_id,
                            title,
                            body,
                            doc_key("communication", object_id, client_id),
                            scope_token(client_id),
                        ],
                    )


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0008_lz4_compression"),
        ("search", "0007_lz4_compression"),
    ]

    operations = [
        migrations.RunPython(_rewrite, migrations.RunPython.noop),
    ]
