"""Phrase keys computed without a redundant sort (PostgreSQL).

`amends_phrase_keys` collected its keys with `array_agg(DISTINCT ...)`, then turned
them into a tsvector with `array_to_tsvector`, which sorts its lexemes and drops
duplicates itself. The DISTINCT sorted every document's keys a second time: about 7% of
what the trigger costs during an import (docs/benchmarks.md). The keys are the same, so
none is recomputed: only the function is replaced. SQLite is unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION amends_phrase_keys(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH p AS (SELECT t.lexeme, unnest(t.positions) AS pos FROM unnest(v) AS t)
  SELECT coalesce(array_to_tsvector(array_agg({distinct}
    lpad(to_hex(hashtextextended(a.lexeme || ' ' || b.lexeme, 0) & 1048575), 5, '0'))),
    ''::tsvector)
  FROM p a JOIN p b ON b.pos = a.pos + 1
$$
"""
WITHOUT_DISTINCT = _FUNCTION.format(distinct="")
WITH_DISTINCT = _FUNCTION.format(distinct="DISTINCT")  # as search/0005 left it


def _use(function: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(function)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0008_long_emails_whole"),
    ]

    operations = [
        migrations.RunPython(_use(WITHOUT_DISTINCT), _use(WITH_DISTINCT)),
    ]
