"""Phrase keys as integers (PostgreSQL): `phrase_hashes int4[]` replaces `phrase_keys`.

Since search/0003 each document has kept a 20-bit key for every pair of adjacent lexemes
in its `search_vector`, so a phrase of common words reads only the documents that can
hold it. The keys were written as five hex digits in a tsvector, and making each one
text (`to_hex`, `lpad`, the pair's lexemes joined before hashing) was most of their
cost. Here each lexeme is hashed once (`hashtext`) and a pair's key is combined from
its two hashes in integer arithmetic; the keys are an `int4[]` with a GIN index of
integers. On the 15,131 documents of the import benchmark, writing them with their keys
took 1.51 s instead of 1.93 s of the server's time (docs/benchmarks.md): about 2% of a
PostgreSQL import. The keys are as selective as before (20 bits).

Every stored key is computed anew here (the old keys and the new never match). Like
`hashtextextended` before, `hashtext` is the hash PostgreSQL's own hash indexes rely on,
so it is stable across its versions; a database moved to a machine of another byte
order gets its keys computed anew by `amends search-reindex` (or any restore, since the
trigger fills them on insert). SQLite is unchanged (FTS5 answers phrases from its own
position lists).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations

from amends.core.schema import lz4_available

# A pair's key: both lexemes' hashes mixed (a multiply, then XOR), kept to 20 bits.
HASHES = """
CREATE OR REPLACE FUNCTION amends_phrase_hashes(v tsvector) RETURNS int4[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH p AS (SELECT hashtext(t.lexeme)::int8 AS h, unnest(t.positions) AS pos
             FROM unnest(v) AS t)
  SELECT coalesce(array_agg((((a.h * 1000003) # b.h) & 1048575)::int4), '{}')
  FROM p a JOIN p b ON b.pos = a.pos + 1
$$
"""
HASHES_TRIGGER = """
CREATE OR REPLACE FUNCTION amends_search_phrase_hashes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.phrase_hashes := CASE WHEN NEW.search_vector IS NULL THEN NULL
                            ELSE amends_phrase_hashes(NEW.search_vector) END;
  RETURN NEW;
END
$$;
CREATE TRIGGER search_doc_phrase_hashes
BEFORE INSERT OR UPDATE OF search_vector ON search_searchdocument
FOR EACH ROW EXECUTE FUNCTION amends_search_phrase_hashes()
"""

# What search/0003, 0005 and 0009 left, for the way back: 0009's function, 0003's
# trigger.
_0003 = importlib.import_module("amends.search.migrations.0003_phrase_keys")
_0009 = importlib.import_module("amends.search.migrations.0009_phrase_keys_without_distinct")
KEYS = _0009.WITHOUT_DISTINCT
KEYS_TRIGGER = f"{_0003.TRIGGER_FUNCTION};{_0003.TRIGGER}"


def _replace(
    old: str, new: str, new_type: str, function: str, trigger: str, old_function: str
) -> Any:
    """Swap the phrase-key column `old` for `new` (of `new_type`): its trigger, index and
    functions go, the new ones come, and every document's keys are computed."""

    def run(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        execute = schema_editor.execute
        execute(f"DROP TRIGGER IF EXISTS search_doc_{old} ON search_searchdocument")
        execute(f"DROP FUNCTION IF EXISTS amends_search_{old}()")
        execute("DROP INDEX IF EXISTS search_doc_phrase_gin")
        execute(f"ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS {old}")
        execute(f"DROP FUNCTION IF EXISTS {old_function}(tsvector)")
        execute(f"ALTER TABLE search_searchdocument ADD COLUMN {new} {new_type}")
        if lz4_available(connection):
            execute(f"ALTER TABLE search_searchdocument ALTER COLUMN {new} SET COMPRESSION lz4")
        execute(function)
        execute(trigger)
        compute = function.split("FUNCTION ", 1)[1].split("(", 1)[0]
        execute(
            f"UPDATE search_searchdocument SET {new} = {compute}(search_vector)"
            " WHERE search_vector IS NOT NULL"
        )
        execute(f"CREATE INDEX search_doc_phrase_gin ON search_searchdocument USING gin ({new})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0009_phrase_keys_without_distinct"),
    ]

    operations = [
        migrations.RunPython(
            _replace(
                "phrase_keys",
                "phrase_hashes",
                "int4[]",
                HASHES,
                HASHES_TRIGGER,
                "amends_phrase_keys",
            ),
            _replace(
                "phrase_hashes",
                "phrase_keys",
                "tsvector",
                KEYS,
                KEYS_TRIGGER,
                "amends_phrase_hashes",
            ),
        ),
    ]
