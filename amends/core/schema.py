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
