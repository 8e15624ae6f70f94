"""Fast bulk inserts for the email importer and its search index.

SQLite gets multi-row INSERTs as large as it allows. PostgreSQL gets COPY: the ids are
drawn from the table's sequence first (one statement), then the rows are streamed with
them. COPY is what PostgreSQL is built to load with: no statement with tens of thousands
of parameters to parse, plan and bind, and psycopg encodes each row in C. On a 20,000
message import it halved the importing process's CPU time and took a fifth off the
server's (docs/benchmarks.md)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from datetime import datetime
from itertools import chain
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

# Each table's id sequence on PostgreSQL, by (database, table, id column).
_SEQUENCES: dict[tuple[str, str, str], str] = {}


class Inserter:
    """Bulk INSERT of plain rows for one model, returning their ids in order, for the
    importer's hot path.

    Django's bulk_create prepares every value of every row through the field machinery,
    which cost several times the INSERT itself. Here each value named in `given` is
    adapted by type (datetimes and JSON as the backend wants them, the rest as is), and
    every other column gets its default (or "now" for auto_now_add), prepared once per
    batch — so a column added to the model later with a default is still filled."""

    def __init__(
        self,
        model: Any,
        given: list[str],
        computed: dict[str, tuple[str, list[str]]] | None = None,
    ) -> None:
        """`computed` (PostgreSQL only) maps a column to an SQL expression (placeholders
        only) and the given fields that fill its placeholders: the database computes the
        value as the row is written (a tsvector), instead of an UPDATE afterwards."""
        from django.db import models as m

        self.table = connection.ops.quote_name(model._meta.db_table)
        self.pk_name = model._meta.pk.column
        now = timezone.now()
        computed = computed or {}
        if computed and connection.vendor != "postgresql":
            raise NotImplementedError("computed columns are for PostgreSQL")
        self.columns: list[str] = []
        self.slots: list[tuple[str | None, Any, Callable[[Any], Any] | None]] = []
        self.computed_params: list[list[str]] = []
        self.computed_sql: list[str] = []  # each computed column's SQL, over `s.` columns
        self.staged: list[Any] = []  # the fields that are not computed (pk first)
        quoted = {f.attname: connection.ops.quote_name(f.column) for f in model._meta.fields}
        for f in model._meta.concrete_fields:
            if f.primary_key:
                self.staged.append(f)
                continue
            self.columns.append(connection.ops.quote_name(f.column))
            if f.attname in computed:
                expression, names = computed[f.attname]
                self.slots.append(("\0computed", len(self.computed_params), None))
                self.computed_params.append(names)
                self.computed_sql.append(
                    expression.replace("%s", "{}").format(*(f"s.{quoted[n]}" for n in names))
                )
                continue
            self.staged.append(f)
            if f.attname in given:
                adapt: Callable[[Any], Any] | None = None
                if isinstance(f, m.DateTimeField):
                    adapt = _datetime_adapter()
                elif isinstance(f, m.JSONField):
                    adapt = _json_adapter(f)
                self.slots.append((f.attname, None, adapt))
                continue
            value = (
                now
                if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
                else (f.get_default())
            )
            self.slots.append((None, f.get_db_prep_save(value, connection), None))
        self.per_row = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
        self.copy_types = _copy_types(model) if connection.vendor == "postgresql" else None
        self.width = len(self.columns)
        self.max_rows = max(1, _max_params() // self.width)

    def _column(self, chunk: list[dict[str, Any]], slot: tuple[Any, ...]) -> list[Any]:
        name, constant, adapt = slot
        if name is None:
            return [constant] * len(chunk)
        values = [row[name] for row in chunk]
        if adapt is None:
            return values
        return [None if v is None else adapt(v) for v in values]

    def reserve(self, count: int) -> list[int]:
        """Ids for `count` rows about to be inserted (`insert(rows, ids=...)`), so that a
        row can be written with its own id (an email that is its own thread's root)
        instead of being updated afterwards. PostgreSQL draws them from the table's
        sequence; SQLite takes the next ones after the largest ever given (its
        AUTOINCREMENT rule), which is safe inside a transaction: Amends begins SQLite's
        transactions IMMEDIATE, so no other connection writes until this one ends."""
        if count < 1:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [self._sequence(cursor), count],
                )
                return [int(r[0]) for r in cursor.fetchall()]
            if not connection.in_atomic_block:
                raise RuntimeError("reserve ids inside the transaction that inserts them")
            pk = connection.ops.quote_name(self.pk_name)
            cursor.execute(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"  # noqa: S608
                f" coalesce((SELECT max({pk}) FROM {self.table}), 0))",
                [self.table.strip('"')],
            )
            last = int(cursor.fetchone()[0])
        return list(range(last + 1, last + 1 + count))

    def _sequence(self, cursor: Any) -> str:
        """The table's id sequence (PostgreSQL), looked up once per table: as an argument
        of `nextval` for each id, `pg_get_serial_sequence` read the catalog for every
        row (about 3 buffer reads an id)."""
        key = (connection.settings_dict["NAME"], self.table, self.pk_name)
        if key not in _SEQUENCES:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.table, self.pk_name])
            _SEQUENCES[key] = cursor.fetchone()[0]
        return _SEQUENCES[key]

    def insert(self, rows: list[dict[str, Any]], ids: list[int] | None = None) -> list[int]:
        """Write `rows` (dicts keyed by the `given` field names); returns their new ids
        in the same order (`ids`, when given: from `reserve`). Call inside a
        transaction: a failure leaves nothing."""
        if not rows:
            return []
        if ids is not None and len(ids) != len(rows):
            raise ValueError("one id for each row")
        if connection.vendor == "postgresql":
            return self._copy_computed(rows, ids) if self.computed_params else self._copy(rows, ids)
        given = ids
        ids = []
        names = list(self.columns)
        per_row, step = self.per_row, self.max_rows
        if given is not None:  # one more parameter a row: the id
            names.insert(0, connection.ops.quote_name(self.pk_name))
            per_row = "(%s, " + per_row[1:]
            step = max(1, _max_params() // (self.width + 1))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                # Column by column (one comprehension each), then row by row.
                columns: list[list[Any]] = []
                if given is not None:
                    columns.append(given[start : start + len(chunk)])
                columns.extend(self._column(chunk, slot) for slot in self.slots)
                params = list(chain.from_iterable(zip(*columns, strict=True)))
                cursor.execute(
                    f"INSERT INTO {self.table} ({', '.join(names)})"  # noqa: S608
                    f" VALUES {', '.join([per_row] * len(chunk))} RETURNING id",
                    params,
                )
                ids.extend(int(r[0]) for r in cursor.fetchall())
        if len(ids) != len(rows):
            raise RuntimeError("the database did not return an id for every row")
        return ids

    def _copy(self, rows: list[dict[str, Any]], ids: list[int] | None) -> list[int]:
        """PostgreSQL: reserve the ids from the table's sequence (unless given), then
        COPY the rows with them. Values go through psycopg's own dumpers, as they would
        as parameters."""
        if ids is None:
            ids = self.reserve(len(rows))
        with connection.cursor() as cursor:
            columns = [ids, *(self._column(rows, slot) for slot in self.slots)]
            names = [connection.ops.quote_name(self.pk_name), *self.columns]
            statement = f"COPY {self.table} ({', '.join(names)}) FROM STDIN"
            if self.copy_types is not None:
                statement += " (FORMAT BINARY)"
            # Past Django's cursor wrapper, so its errors are mapped here (a duplicate is
            # an IntegrityError, as it would be from INSERT).
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                if self.copy_types is not None:
                    copy.set_types(self.copy_types)
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
        if len(ids) != len(rows):
            raise RuntimeError("the sequence did not give an id for every row")
        return ids

    def _copy_computed(self, rows: list[dict[str, Any]], ids: list[int] | None) -> list[int]:
        """PostgreSQL, with computed columns (a search document's vector): COPY the rows
        into a temporary table of this session, then one INSERT … SELECT computes each
        row's value from there. Each row is written once, as with an INSERT of
        parameters — but no statement carries the rows' text (psycopg binds parameters
        on the client: it quoted every value into the SQL, and the server parsed it back;
        the text was sent twice, as the body and to compute the vector)."""
        if ids is None:
            ids = self.reserve(len(rows))
        staged = [connection.ops.quote_name(f.column) for f in self.staged]
        # Named by its columns: a model changed by a migration gets a table of its own.
        stage = connection.ops.quote_name(
            f"stage_{self.table.strip(chr(34))}_{zlib.crc32(' '.join(staged).encode()):08x}"
        )
        plain = [slot for slot in self.slots if slot[0] != "\0computed"]
        # Its rows go at the end of each transaction (ON COMMIT, which empties the file
        # rather than leaving dead rows for a vacuum that never visits temporary tables)
        # and, within one, after each use.
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS"  # noqa: S608
                f" SELECT {', '.join(staged)} FROM {self.table} WITH NO DATA"
            )
            columns = [ids, *(self._column(rows, slot) for slot in plain)]
            statement = f"COPY {stage} ({', '.join(staged)}) FROM STDIN"
            types = _copy_types(None, self.staged)
            if types is not None:
                statement += " (FORMAT BINARY)"
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                if types is not None:
                    copy.set_types(types)
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
            values, computed = iter(staged[1:]), iter(self.computed_sql)
            select = [
                next(computed) if slot[0] == "\0computed" else f"s.{next(values)}"
                for slot in self.slots
            ]
            names = [staged[0], *self.columns]
            cursor.execute(
                f"INSERT INTO {self.table} ({', '.join(names)})"  # noqa: S608
                f" SELECT s.{staged[0]}, {', '.join(select)} FROM {stage} s"
            )
            inserted = cursor.rowcount
            cursor.execute(f"DELETE FROM {stage}")  # noqa: S608
        if inserted != len(rows):
            raise RuntimeError("the database did not write every row")
        return ids


def _copy_types(model: Any, fields: list[Any] | None = None) -> list[str] | None:
    """PostgreSQL's type of each column COPY writes (the id first; or of `fields`), for
    the binary format: the server then reads each value as it is stored (no text to
    parse, no hex for raw messages). None when psycopg does not know one of them: COPY
    then uses its text format."""
    connection.ensure_connection()
    known = connection.connection.adapters.types
    names: list[str] = []
    if fields is None:
        fields = [model._meta.pk, *(f for f in model._meta.concrete_fields if not f.primary_key)]
    for f in fields:
        name = re.sub(r"\(.*\)$", "", f.db_type(connection) or "").strip()
        if not name or known.get(name) is None:
            return None
        names.append(name)
    return names


def _max_params() -> int:
    """How many parameters one statement may have, with a margin: SQLite's compiled-in
    limit (32,766 since 3.32; 999 before), PostgreSQL's 65,535."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(100, min(limit, 32_766) - 100)
    return 30_000


def _json_adapter(f: Any) -> Callable[[Any], Any]:
    ops, encoder = connection.ops, f.encoder  # looked up once, not for every value
    if connection.vendor == "postgresql":
        return _jsonb_adapter(encoder)
    empty = ops.adapt_json_value([], encoder)  # most lists written are empty

    def adapt(value: Any) -> Any:
        if value == [] and isinstance(value, list):
            return empty
        return ops.adapt_json_value(value, encoder)

    return adapt


def _as_is(text: str) -> str:
    return text


def _jsonb_adapter(encoder: Any) -> Callable[[Any], Any]:
    """PostgreSQL: each value encoded here, once, as Django's backend would (`json.dumps`
    with the field's encoder), and handed to psycopg already encoded. Django's own
    adapter lets psycopg call `json.dumps` as each row is sent, even for the empty lists
    that most of an email's seven JSON columns hold: 155,000 calls in an import of
    20,000 messages."""
    import json

    from psycopg.types.json import Jsonb

    def dumps(value: Any) -> str:
        return json.dumps(value, cls=encoder)

    empty = Jsonb(dumps([]), dumps=_as_is)

    def adapt(value: Any) -> Any:
        if value == [] and isinstance(value, list):
            return empty
        return Jsonb(dumps(value), dumps=_as_is)

    return adapt


# The same instant is written several times for each message (the email, its timeline
# record, the timeline entry, the search document): adapted once. Keyed by vendor as
# well, since the adapted value differs (text on SQLite); an aware datetime hashes by
# its instant, which is what is stored.
_ADAPTED: dict[tuple[str, datetime], Any] = {}


def _datetime_adapter() -> Callable[[datetime], Any]:
    ops, vendor = connection.ops, connection.vendor  # looked up once, not for every value

    def adapt(value: datetime) -> Any:
        key = (vendor, value)
        adapted = _ADAPTED.get(key)
        if adapted is None:
            if len(_ADAPTED) >= 20_000:
                _ADAPTED.clear()
            adapted = _ADAPTED[key] = ops.adapt_datetimefield_value(value)
        return adapted

    return adapt
