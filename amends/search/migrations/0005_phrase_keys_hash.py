"""Phrase keys hashed with the server's own `hashtextextended` instead of MD5 (PostgreSQL).

Hashing each adjacent pair of lexemes with MD5 was half the cost of computing a
document's phrase keys, and the keys were a third of the server's work during an email
import (docs/benchmarks.md). The keys keep their shape — 20 bits written as five hex
digits — so the queries do not change; every stored key is recomputed here, since the
old keys and the new never match. `hashtextextended` is the function PostgreSQL's hash
partitioning relies on, so it is stable across versions; a database moved to a machine
of another byte order gets its keys recomputed by `amends search-reindex` (or by any
restore, since the trigger fills them on insert). SQLite is unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION amends_phrase_keys(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH p AS (SELECT t.lexeme, unnest(t.positions) AS pos FROM unnest(v) AS t)
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT {key})), ''::tsvector)
  FROM p a JOIN p b ON b.pos = a.pos + 1
$$
"""
HASHED = _FUNCTION.format(
    key="lpad(to_hex(hashtextextended(a.lexeme || ' ' || b.lexeme, 0) & 1048575), 5, '0')"
)
MD5 = _FUNCTION.format(key="left(md5(a.lexeme || ' ' || b.lexeme), 5)")
RECOMPUTE = (
    "UPDATE search_searchdocument SET phrase_keys = amends_phrase_keys(search_vector)"
    " WHERE search_vector IS NOT NULL"
)


def _use(function: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(function)
        schema_editor.execute(RECOMPUTE)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_redundant_indexes"),
    ]

    operations = [
        migrations.RunPython(_use(HASHED), _use(MD5)),
    ]
