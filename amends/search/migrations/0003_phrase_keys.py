"""Phrase search at scale on PostgreSQL (issue 3).

A phrase of two common words ("budget delay") used to make PostgreSQL recheck every
document holding both words for adjacency: tens of thousands of rows at 200,000
documents. Each document now also keeps `phrase_keys`: for every pair of adjacent
lexemes in its `search_vector`, a 20-bit hash of the pair (five hex digits of MD5, so the
keys are few and the index small — ~0.8 KB a document). A GIN index on it finds the
documents that can hold a phrase; the exact phrase is still checked on each.

A trigger fills `phrase_keys` whenever `search_vector` is written, so every writer (the
importer, `index_object`, a reindex, raw SQL) keeps it right. SQLite is unchanged (FTS5
answers phrases from its own position lists).
"""

from typing import Any

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION amends_phrase_keys(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH p AS (SELECT t.lexeme, unnest(t.positions) AS pos FROM unnest(v) AS t)
  SELECT coalesce(
    array_to_tsvector(array_agg(DISTINCT left(md5(a.lexeme || ' ' || b.lexeme), 5))),
    ''::tsvector)
  FROM p a JOIN p b ON b.pos = a.pos + 1
$$
"""
TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION amends_search_phrase_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.phrase_keys := CASE WHEN NEW.search_vector IS NULL THEN NULL
                          ELSE amends_phrase_keys(NEW.search_vector) END;
  RETURN NEW;
END
$$
"""
TRIGGER = """
CREATE TRIGGER search_doc_phrase_keys
BEFORE INSERT OR UPDATE OF search_vector ON search_searchdocument
FOR EACH ROW EXECUTE FUNCTION amends_search_phrase_keys()
"""


def _forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE search_searchdocument ADD COLUMN phrase_keys tsvector")
    schema_editor.execute(FUNCTION)
    schema_editor.execute(TRIGGER_FUNCTION)
    schema_editor.execute(TRIGGER)
    schema_editor.execute(
        "UPDATE search_searchdocument SET phrase_keys = amends_phrase_keys(search_vector)"
        " WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute(
        "CREATE INDEX search_doc_phrase_gin ON search_searchdocument USING gin (phrase_keys)"
    )


def _backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS search_doc_phrase_keys ON search_searchdocument")
    schema_editor.execute("DROP FUNCTION IF EXISTS amends_search_phrase_keys()")
    schema_editor.execute("DROP INDEX IF EXISTS search_doc_phrase_gin")
    schema_editor.execute("ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS phrase_keys")
    schema_editor.execute("DROP FUNCTION IF EXISTS amends_phrase_keys(tsvector)")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_scoped_index_and_deletes"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward),
    ]
