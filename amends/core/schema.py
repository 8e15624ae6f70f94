"""Schema helpers for migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def drop_field_index(
    app_label: str, model_name: str, name: str, field: Any
) -> migrations.SeparateDatabaseAndState:
    """`AlterField(model_name, name, field)` for a field that loses its own index
    (`db_index` True → False), done as a DROP INDEX on every engine.

    Django's AlterField rebuilds the whole table on SQLite for this change: it copies
    every row, and dropping the old table drops the triggers on it (the search index's).
    Here the table is left as it is. Reversing re-creates the index as Django names it
    (with PostgreSQL's `_like` index for a text column)."""

    def target(apps: Any) -> tuple[Any, Any]:
        model = apps.get_model(app_label, model_name)
        return model, model._meta.get_field(name)

    def index_names(schema_editor: Any, model: Any, column_field: Any) -> list[str]:
        index = schema_editor._create_index_name(model._meta.db_table, [column_field.column])
        names = [index]
        if schema_editor.connection.vendor == "postgresql":
            names.append(index + "_like")  # only text columns have one; IF EXISTS
        return names

    def drop(apps: Any, schema_editor: Any) -> None:
        model, column_field = target(apps)
        for index in index_names(schema_editor, model, column_field):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")

    def create(apps: Any, schema_editor: Any) -> None:
        model, column_field = target(apps)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[column_field]))
        if schema_editor.connection.vendor == "postgresql":
            like = schema_editor._create_like_index_sql(model, column_field)
            if like is not None:
                schema_editor.execute(like)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name, name, field)],
        database_operations=[migrations.RunPython(drop, create, elidable=False)],
    )


def lz4_available(connection: Any) -> bool:
    """Whether this PostgreSQL server was built with LZ4 (Debian's is)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings"
            " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
        return cursor.fetchone() is not None


def compress_with_lz4(columns: dict[str, list[str]]) -> migrations.RunPython:
    """Have PostgreSQL compress the large values of these columns ({table: [column]})
    with LZ4 instead of its default, PGLZ: several times faster to write, about the same
    size for mail. Values already stored keep their compression and read the same; a
    server built without LZ4 keeps PGLZ; SQLite is untouched. Reverses to the default."""

    def alter(method: str) -> Any:
        def run(apps: Any, schema_editor: Any) -> None:
            connection = schema_editor.connection
            if connection.vendor != "postgresql":
                return
            if method == "lz4" and not lz4_available(connection):
                return
            quote = schema_editor.quote_name
            for table, names in columns.items():
                changes = ", ".join(
                    f"ALTER COLUMN {quote(name)} SET COMPRESSION {method}" for name in names
                )
                schema_editor.execute(f"ALTER TABLE {quote(table)} {changes}")

        return run

    return migrations.RunPython(alter("lz4"), alter("default"))
