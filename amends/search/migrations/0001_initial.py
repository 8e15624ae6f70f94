"""The search index table, plus the engine's own full-text index."""

from typing import Any

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, body, doc_key UNINDEXED, tokenize='porter unicode61')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS search_fts"
PG_CREATE = (
    "CREATE INDEX search_doc_vector_gin ON search_searchdocument USING gin (search_vector)"
)
PG_DROP = "DROP INDEX IF EXISTS search_doc_vector_gin"


def _create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(PG_CREATE)


def _drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif vendor == "postgresql":
        schema_editor.execute(PG_DROP)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0002_initial"),
        ("clients", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("communication", "Communication"),
                            ("case", "Case"),
                            ("concern", "Concern"),
                        ],
                        max_length=20,
                    ),
                ),
                ("object_id", models.BigIntegerField()),
                ("occurred_at", models.DateTimeField()),
                ("title", models.CharField(blank=True, max_length=1000)),
                ("body", models.TextField(blank=True)),
                (
                    "search_vector",
                    django.contrib.postgres.search.SearchVectorField(blank=True, null=True),
                ),
                ("indexed_at", models.DateTimeField(auto_now=True)),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cases.case",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clients.client",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id"), name="search_doc_unique"
                    )
                ],
                "indexes": [
                    models.Index(
                        fields=["client", "occurred_at"], name="search_sear_client__021f6d_idx"
                    )
                ],
            },
        ),
        migrations.RunPython(_create, _drop),
    ]
