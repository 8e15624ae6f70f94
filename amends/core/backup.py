"""Backup and restore: every row of Amends in one zip file, and back again, losslessly.

The archive holds `manifest.json` (format, versions, database engine, applied
migrations, and per model: file, row count, size and SHA-256) and one JSON Lines file
per model under `data/`, written with Django's serializers in primary-key order.

Backups are written to a temporary file beside the target, fsynced, then renamed into
place, so a crash never leaves a half-written backup under the real name. A restore
validates the whole archive (structure, checksums, every row) before it touches the
database, then replaces everything in one transaction, so a bad archive leaves the
database exactly as it was.

This module is the one place that reads and writes raw rows instead of going through
`<app>/actions.py`: a backup must reproduce the database as it was, ids and
timestamps included, not replay history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.core.serializers.base import DeserializationError, DeserializedObject
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "amends-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_DIR = "data/"

# Third-party tables worth keeping besides our own apps: groups (with their
# permissions, by natural key) and the login-throttling records (an audit trail).
# Content types and permissions are rebuilt by `migrate`; sessions are deliberately
# not kept (a restore logs everyone out rather than resurrecting old logins).
EXTRA_MODELS = (
    "auth.group",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "axes.accessfailurelog",
)
# Referenced by natural key, so a restore works even where `migrate` gave them other ids.
NATURAL_KEY_TARGETS = ("contenttypes.contenttype", "auth.permission")

# Limits that keep a hostile or damaged archive from exhausting memory or disk.
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = 32 * 1024**3
MAX_MEMBERS = 1000
_MEMBER_NAME = re.compile(r"^data/[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.jsonl$")


class BackupError(Exception):
    """A backup could not be written, or an archive cannot be restored; says why."""


# ------------------------------------------------------------------ which models


# Derived data, rebuilt after a restore instead of being carried in the backup.
DERIVED_APPS = {"amends.search"}


def _derived_models() -> list[type[models.Model]]:
    return [
        m for name in DERIVED_APPS for m in apps.get_app_config(name.split(".")[-1]).get_models()
    ]


def backed_up_models() -> list[type[models.Model]]:
    """Every model a backup holds, parents before children (the order to load them)."""
    chosen: list[type[models.Model]] = []
    for config in apps.get_app_configs():
        if config.name.startswith("amends.") and config.name not in DERIVED_APPS:
            chosen.extend(m for m in config.get_models() if m._meta.managed)
    for label in EXTRA_MODELS:
        with contextlib.suppress(LookupError):
            chosen.append(apps.get_model(label))
    return _parents_first(chosen)


def _tables_to_clear() -> list[type[models.Model]]:
    """Backed-up models plus their auto-created many-to-many tables, children first."""
    chosen = backed_up_models() + _derived_models()
    through: list[type[models.Model]] = []
    for model in chosen:
        for m2m in model._meta.local_many_to_many:
            table = m2m.remote_field.through
            if table is not None and table._meta.auto_created:
                through.append(table)
    return list(reversed(_parents_first(chosen + through)))


def _parents_first(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    """Order models so that every model comes after the models its foreign keys name.

    Self-references and cycles cannot be ordered; they are safe anyway because Django
    creates foreign keys as deferred constraints, checked only when the transaction
    commits. The order keeps each step valid where it can, and the output stable.
    """
    chosen_set = set(chosen)
    deps = {m: {t for t in _targets(m) if t in chosen_set and t is not m} for m in chosen}
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()
    remaining = list(chosen)
    while remaining:
        ready = [m for m in remaining if deps[m] <= placed] or remaining[:1]
        for m in ready:
            ordered.append(m)
            placed.add(m)
        remaining = [m for m in remaining if m not in placed]
    return ordered


def _targets(model: type[models.Model]) -> list[Any]:
    """The models this model's foreign keys and one-to-ones point at."""
    return [
        f.remote_field.model
        for f in model._meta.concrete_fields
        if f.is_relation and f.remote_field is not None
    ]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _member_name(model: type[models.Model]) -> str:
    return f"{DATA_DIR}{_label(model)}.jsonl"


# ------------------------------------------------------------------ serialising


class _LosslessEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder truncates times to milliseconds; a backup keeps microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


class _Serializer(jsonl.Serializer):
    """JSON Lines, with natural keys only for content types and permissions.

    Everything else is referenced by primary key, which the restore keeps; natural
    keys for users or groups would cost a lookup per row and break on renames.
    """

    def _natural_for(self, field: models.Field) -> None:
        target = field.remote_field.model._meta.label_lower  # type: ignore[union-attr]
        self.use_natural_foreign_keys = target in NATURAL_KEY_TARGETS

    def handle_fk_field(self, obj: models.Model, field: models.Field) -> None:
        self._natural_for(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: models.Field) -> None:
        self._natural_for(field)
        super().handle_m2m_field(obj, field)


class _HashingWriter(io.TextIOBase):
    """A text stream over a binary one that counts bytes and a SHA-256 on the way."""

    def __init__(self, raw: IO[bytes]):
        super().__init__()
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.raw.write(data)
        self.sha256.update(data)
        self.bytes += len(data)
        return len(text)

    def flush(self) -> None:
        self.raw.flush()


def _counting(rows: Iterable[models.Model], counter: list[int]) -> Iterator[models.Model]:
    for row in rows:
        counter[0] += 1
        yield row


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Applied migrations per app, sorted: the schema the data belongs to."""
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def app_version() -> str:
    """The installed Amends version, or the one in pyproject.toml for a source checkout."""
    from importlib import metadata

    try:
        return metadata.version("amends")
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(settings.BASE_DIR).parent / "pyproject.toml"
    match = re.search(r'^version\s*=\s*"([^"]+)"', _read_text(pyproject), re.MULTILINE)
    return match.group(1) if match else "unknown"


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@contextlib.contextmanager
def _snapshot(using: str) -> Iterator[None]:
    """Read every table from one consistent point in time without blocking writers."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield  # already inside a transaction (tests, or a caller's own)
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # atomic() would BEGIN IMMEDIATE (our settings) and hold the write lock for the
        # whole backup; a plain deferred read transaction gets a WAL snapshot instead.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic(using=using):
            yield


@dataclass
class BackupResult:
    path: Path
    counts: dict[str, int]
    bytes: int


def write_backup(
    target: Path, *, using: str = DEFAULT_DB_ALIAS, chunk_size: int = 2000
) -> BackupResult:
    """Write a backup of the whole database to `target` (atomically: all or nothing)."""
    target = Path(target)
    directory = target.parent
    if not directory.is_dir():
        raise BackupError(f"The folder {directory} does not exist.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=directory)
    tmp = Path(tmp_name)
    counts: dict[str, int] = {}
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                entries = []
                with _snapshot(using):
                    migrations = applied_migrations(using)
                    for model in backed_up_models():
                        entries.append(_write_model(zf, model, using, chunk_size))
                        counts[entries[-1]["model"]] = entries[-1]["count"]
                connection = connections[using]
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "app_version": app_version(),
                    "created_at": timezone.now().isoformat(),
                    "database": {
                        "vendor": connection.vendor,
                        "engine": connection.settings_dict["ENGINE"],
                    },
                    "migrations": migrations,
                    "models": entries,
                }
                # Written last, so an archive cut short never has a manifest at all.
                zf.writestr(_zip_info(MANIFEST), json.dumps(manifest, indent=2, ensure_ascii=False))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(directory)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupResult(target, counts, target.stat().st_size)


def _write_model(
    zf: zipfile.ZipFile, model: type[models.Model], using: str, chunk_size: int
) -> dict[str, Any]:
    name = _member_name(model)
    counter = [0]
    qs = model._base_manager.using(using).order_by("pk")
    if model._meta.local_many_to_many:
        qs = qs.prefetch_related(*(f.name for f in model._meta.local_many_to_many))
    with zf.open(_zip_info(name), "w", force_zip64=True) as raw:
        writer = _HashingWriter(raw)
        _Serializer().serialize(
            _counting(qs.iterator(chunk_size=chunk_size), counter),
            stream=cast(IO[str], writer),  # a text stream, if not a typing.IO
            cls=_LosslessEncoder,
            use_natural_primary_keys=False,
        )
    return {
        "model": _label(model),
        "file": name,
        "count": counter[0],
        "bytes": writer.bytes,
        "sha256": writer.sha256.hexdigest(),
    }


def _zip_info(name: str) -> zipfile.ZipInfo:
    """A member stamped with the current time (zipfile's default is 1980)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # rw for the owner only, if anyone unpacks it
    return info


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories can't be opened."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ------------------------------------------------------------------ validating


@dataclass
class Manifest:
    data: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {e["model"]: e["count"] for e in self.entries}


def _fail(message: str) -> BackupError:
    return BackupError(f"This is not a usable Amends backup: {message}")


def open_archive(path: Path) -> zipfile.ZipFile:
    """Open `path` as a zip file, or explain why it cannot be one."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    try:
        return zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile:
        raise _fail("the file is not a zip archive, or it is truncated.") from None
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror or exc}.") from None


def read_manifest(zf: zipfile.ZipFile) -> Manifest:
    """Check the archive's structure and manifest against this installation's models."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _fail(f"it has {len(infos)} files; a backup has at most {MAX_MEMBERS}.")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _fail("a file name appears twice in the archive.")
    for info in infos:
        if info.filename != MANIFEST and not _MEMBER_NAME.match(info.filename):
            raise _fail(f"unexpected file name {info.filename[:200]!r} in the archive.")
        if info.flag_bits & 0x1:
            raise _fail("the archive is encrypted.")
        if info.file_size > MAX_MEMBER_BYTES:
            raise _fail(f"{info.filename} is larger than {MAX_MEMBER_BYTES} bytes.")
    if MANIFEST not in names:
        raise _fail("manifest.json is missing (the backup may have been cut short).")
    if zf.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
        raise _fail("manifest.json is too large.")
    try:
        data = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _fail(f"manifest.json is damaged ({exc}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"manifest.json is not valid JSON ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _fail("manifest.json does not describe an Amends backup.")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"This backup uses format version {version!r}; this Amends reads version "
            f"{FORMAT_VERSION}. Restore it with the Amends version that made it "
            f"({data.get('app_version', 'unknown')})."
        )
    entries = data.get("models")
    if not isinstance(entries, list) or not all(_entry_ok(e) for e in entries):
        raise _fail("manifest.json has a malformed list of models.")
    expected = {_label(m) for m in backed_up_models()}
    listed = [e["model"] for e in entries]
    if len(set(listed)) != len(listed):
        raise _fail("manifest.json lists a model twice.")
    if set(listed) != expected:
        missing = sorted(expected - set(listed))
        extra = sorted(set(listed) - expected)
        raise BackupError(
            "The backup's tables do not match this version of Amends"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(extra)}" if extra else "")
            + "."
        )
    data_members = {n for n in names if n != MANIFEST}
    if data_members != {e["file"] for e in entries}:
        raise _fail("the data files in the archive do not match its manifest.")
    for e in entries:
        if zf.getinfo(e["file"]).file_size != e["bytes"]:
            raise _fail(f"{e['file']} has the wrong size (the archive is damaged).")
    return Manifest(data, entries)


def _entry_ok(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("model"), str)
        and isinstance(entry.get("file"), str)
        and entry["file"] == f"{DATA_DIR}{entry['model']}.jsonl"
        and isinstance(entry.get("count"), int)
        and entry["count"] >= 0
        and isinstance(entry.get("bytes"), int)
        and isinstance(entry.get("sha256"), str)
    )


def check_migrations(manifest: Manifest, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refuse unless the database schema is exactly the one the backup was made from."""
    theirs = manifest.data.get("migrations")
    if not isinstance(theirs, dict):
        raise _fail("manifest.json does not record the database schema.")
    ours = applied_migrations(using)
    theirs_set = {(a, n) for a, names in theirs.items() if isinstance(names, list) for n in names}
    ours_set = {(a, n) for a, names in ours.items() for n in names}
    if theirs_set == ours_set:
        return
    only_backup = sorted(theirs_set - ours_set)
    only_here = sorted(ours_set - theirs_set)
    lines = ["The backup was made with a different database schema from this one."]
    if only_backup:
        lines.append(
            "Migrations in the backup but not applied here: "
            + _names(only_backup)
            + ". Upgrade Amends to the version that made the backup "
            f"({manifest.data.get('app_version', 'unknown')}) and run `amends migrate` first."
        )
    if only_here:
        lines.append(
            "Migrations applied here but not in the backup: "
            + _names(only_here)
            + ". Restore into a fresh database of the Amends version that made the backup, "
            "then upgrade it with `amends migrate`."
        )
    raise BackupError("\n".join(lines))


def _names(pairs: list[tuple[str, str]], limit: int = 8) -> str:
    shown = ", ".join(f"{a}.{n}" for a, n in pairs[:limit])
    return shown + (f" and {len(pairs) - limit} more" if len(pairs) > limit else "")


def _verify_member(zf: zipfile.ZipFile, entry: dict[str, Any]) -> None:
    """Check a member's size and SHA-256 against the manifest (and its zip CRC) before
    any row is parsed, so damage is reported as damage, not as a confusing JSON error."""
    digest = hashlib.sha256()
    size = 0
    try:
        with zf.open(entry["file"]) as raw:
            while chunk := raw.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _fail(f"{entry['file']} is damaged ({exc}).") from None
    if size != entry["bytes"] or digest.hexdigest() != entry["sha256"]:
        raise _fail(f"{entry['file']} does not match its checksum (the archive is damaged).")


def _rows(zf: zipfile.ZipFile, entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The raw rows of one member, each checked for shape; the count checked at the end."""
    label = entry["model"]
    count = 0
    try:
        with zf.open(entry["file"]) as raw:
            while True:
                line = raw.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                if len(line) > MAX_LINE_BYTES:
                    raise _fail(f"a row in {entry['file']} is longer than {MAX_LINE_BYTES} bytes.")
                if not line.strip():
                    continue
                count += 1
                yield _parse_row(line, label, entry["file"], count)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _fail(f"{entry['file']} is damaged ({exc}).") from None
    if count != entry["count"]:
        raise _fail(f"{entry['file']} has {count} rows; the manifest says {entry['count']}.")


def _parse_row(line: bytes, label: str, member: str, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"row {number} of {member} is not valid JSON ({exc}).") from None
    if (
        not isinstance(row, dict)
        or row.get("model") != label
        or "pk" not in row
        or not isinstance(row.get("fields"), dict)
    ):
        raise _fail(f"row {number} of {member} is not a {label} record.")
    return row


class _RowDeserializer(PythonDeserializer):
    """Django's Python deserializer, with every per-row failure reported the same way."""

    def _handle_object(self, obj: dict[str, Any]) -> Iterator[DeserializedObject]:
        try:
            yield from super()._handle_object(obj)  # type: ignore[misc]  # not in the stubs
        except (GeneratorExit, BackupError, DeserializationError):
            raise
        except Exception as exc:
            raise DeserializationError(f"{type(exc).__name__}: {exc}") from exc


def _objects(
    zf: zipfile.ZipFile, entry: dict[str, Any], using: str
) -> Iterator[DeserializedObject]:
    rows = _rows(zf, entry)
    try:
        yield from _RowDeserializer(rows, using=using)
    except DeserializationError as exc:
        raise _fail(f"a row in {entry['file']} does not fit this schema ({exc}).") from None


def validate_archive(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Read the whole archive and check every row, without writing anything."""
    with open_archive(path) as zf:
        manifest = read_manifest(zf)
        check_migrations(manifest, using)
        for entry in manifest.entries:
            _verify_member(zf, entry)
        for entry in manifest.entries:
            for _ in _objects(zf, entry, using):
                pass
    return manifest


# ------------------------------------------------------------------ restoring


def database_has_data(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Row counts of the backed-up models that have any rows (empty: nothing to lose)."""
    counts = {}
    for model in backed_up_models():
        n = model._base_manager.using(using).count()
        if n:
            counts[_label(model)] = n
    return counts


@dataclass
class RestoreResult:
    counts: dict[str, int]
    deleted: dict[str, int]
    manifest: dict[str, Any]


def restore_backup(
    path: Path,
    *,
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[str], None] | None = None,
) -> RestoreResult:
    """Replace the whole database with the backup at `path`, or change nothing at all."""
    say = progress or (lambda _msg: None)
    say("Checking the archive…")
    manifest = validate_archive(path, using=using)
    existing = database_has_data(using)
    if existing and not force:
        total = sum(existing.values())
        raise BackupError(
            f"This database already holds data ({total} rows, e.g. "
            + ", ".join(f"{n} {label}" for label, n in list(existing.items())[:4])
            + "). Restoring replaces all of it; run again with --force if that is what "
            "you want (consider `amends backup` of it first)."
        )
    connection = connections[using]
    counts: dict[str, int] = {}
    deleted: dict[str, int] = {}
    say("Restoring…")
    try:
        _replace_everything(path, manifest, connection, using, counts, deleted)
    except DatabaseError as exc:
        # The transaction has been rolled back by now: nothing was changed.
        raise BackupError(
            f"The restore failed and was rolled back; the database is unchanged. ({exc})"
        ) from exc
    # The search index (an FTS5 table on SQLite) is derived data: rebuild it from what
    # was just restored rather than trusting whatever the database held before.
    from amends.search.actions import reindex_all

    say("Rebuilding the search index…")
    reindex_all()
    return RestoreResult(counts, deleted, manifest.data)


def _replace_everything(
    path: Path,
    manifest: Manifest,
    connection: Any,
    using: str,
    counts: dict[str, int],
    deleted: dict[str, int],
) -> None:
    """Delete every backed-up row and load the archive's rows, in one transaction."""
    with open_archive(path) as zf, transaction.atomic(using=using):
        with connection.cursor() as cursor:
            for model in _tables_to_clear():
                table = connection.ops.quote_name(model._meta.db_table)
                # Plain DELETEs: the ORM's cascade collector would load every row.
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - quoted table name
                if cursor.rowcount and not model._meta.auto_created:
                    deleted[_label(model)] = cursor.rowcount
            _clear_sessions(cursor, connection)
        for entry in manifest.entries:
            n = 0
            # Checksums were verified by validate_archive; rows and counts are re-checked.
            for obj in _objects(zf, entry, using):
                obj.save(using=using, force_insert=True)
                n += 1
            counts[entry["model"]] = n
        _reset_sequences(using)
        connection.check_constraints()


def _clear_sessions(cursor: Any, connection: Any) -> None:
    """Old sessions would name user ids that may now belong to someone else."""
    with contextlib.suppress(LookupError):
        session = apps.get_model("sessions", "Session")
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(session._meta.db_table)}")  # noqa: S608


def _reset_sequences(using: str) -> None:
    """After inserting explicit ids, new rows must get ids above them (PostgreSQL)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), _tables_to_clear())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def describe_counts(counts: dict[str, int]) -> list[str]:
    """Human lines, one per model with rows: '  cases.case  12'."""
    width = max((len(k) for k in counts), default=0)
    return [f"  {label:<{width}}  {n:>8}" for label, n in counts.items() if n]
