"""Storing an uploaded mail export on disk, safely: bounded size, and an archive (.zip,
or a tar such as Google Takeout's .tgz) unpacked only into its own folder (no absolute
names, no `..`, no links or devices, bounded member count and uncompressed size); a
single compressed file (a gzipped mbox, say a mailing list's monthly archive) is
decompressed there under the same limit. No database here: `actions.start_import` and
`amends import` call these."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import secrets
import shutil
import socket
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from django.conf import settings

from amends.comms.importing import OUTLOOK_SUFFIXES, not_mail_reason
from amends.core.errors import ValidationError

DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_ZIP_MEMBERS = 50_000
DEFAULT_MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
CHUNK = 1024 * 1024
_SAFE_PART = re.compile(r"[^A-Za-z0-9._,:+=@-]")
_SUFFIXES = {
    ".eml": "eml",
    ".emlx": "emlx",
    ".mbox": "mbox",
    ".mbx": "mbox",
    ".zip": "zip",
    ".tgz": "archive",
    ".tbz": "archive",
    ".tbz2": "archive",
    ".txz": "archive",
    ".tar": "archive",
    ".gz": "archive",
    ".bz2": "archive",
    ".xz": "archive",
    ".msg": "msg",  # Outlook's own files (comms.outlook)
    ".pst": "pst",
    ".ost": "ost",
    ".ics": "ics",
    ".csv": "csv",
}


class Uploaded(Protocol):
    """The part of Django's UploadedFile this module uses."""

    name: str | None
    size: int | None

    def chunks(self, chunk_size: int | None = None) -> object: ...


def max_upload_bytes() -> int:
    """Largest upload accepted (setting AMENDS_MAX_UPLOAD_BYTES, default 200 MB)."""
    return int(getattr(settings, "AMENDS_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def max_zip_members() -> int:
    """Most members a zip may hold (setting AMENDS_MAX_ZIP_MEMBERS, default 50,000)."""
    return int(getattr(settings, "AMENDS_MAX_ZIP_MEMBERS", DEFAULT_MAX_ZIP_MEMBERS))


def max_zip_bytes() -> int:
    """Most bytes a zip may unpack to (setting AMENDS_MAX_ZIP_BYTES, default 2 GB)."""
    return int(getattr(settings, "AMENDS_MAX_ZIP_BYTES", DEFAULT_MAX_ZIP_BYTES))


def uploads_root() -> Path:
    """The folder every upload lives under: DATA_DIR/uploads."""
    return Path(settings.DATA_DIR) / "uploads"


def upload_kind(name: str) -> str:
    """eml, emlx (Apple Mail), mbox, zip, archive (a tar, plain or compressed: .tgz,
    .tar.gz, .tar.bz2, .tar.xz, .tar; or one compressed file: .mbox.gz, .gz, .bz2, .xz),
    msg, pst or ost (Outlook), ics or csv, from the uploaded file's name; ValidationError
    otherwise."""
    path = PurePosixPath(name.replace("\\", "/"))
    suffix = path.suffix.lower()
    kind = _SUFFIXES.get(suffix)
    if kind is None and suffix in OUTLOOK_SUFFIXES:
        reason = not_mail_reason(b"", path.name).removeprefix("not an email: ")
        raise ValidationError({"file": f"This is {reason}."})
    if kind is None:
        raise ValidationError(
            {
                "file": (
                    "Upload a .eml, .emlx, .mbox, .zip or .tgz of mail (or a .gz of one),"
                    " Outlook's .msg or .pst, an .ics calendar or a .csv call log."
                )
            }
        )
    return kind


def _bad_zip(reason: str, what: str = "zip") -> ValidationError:
    return ValidationError({"file": f"This {what} cannot be imported: {reason}."})


class TooLarge(ValidationError):
    """An archive past a limit (bytes, members): refused whole, wherever it was found."""


def _too_large(reason: str, what: str = "zip") -> ValidationError:
    return TooLarge({"file": f"This {what} cannot be imported: {reason}."})


def safe_member_path(name: str, what: str = "zip") -> PurePosixPath | None:
    """The sanitised relative path an archive member is written to, or None for a
    folder entry.

    Refuses absolute names, drive letters and `..`; every part is reduced to a safe
    character set, so a name can never reach outside the upload folder."""
    if "\x00" in name:
        raise _bad_zip("a member name contains a NUL character", what)
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise _bad_zip(f"the member “{name[:100]}” has an absolute path", what)
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise _bad_zip(f"the member “{name[:100]}” points outside the archive (..)", what)
    if unified.endswith("/") or not parts:
        return None
    cleaned = [(_SAFE_PART.sub("_", p)[:200] or "_").lstrip(".") or "_" for p in parts]
    return PurePosixPath(*cleaned)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return bool(mode) and stat.S_ISLNK(mode)


def check_zip(
    archive: zipfile.ZipFile, limit: int | None = None
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every file member with where it goes, or ValidationError saying what is wrong
    (`limit`: the bytes it may unpack to, by default `max_zip_bytes`)."""
    limit = max_zip_bytes() if limit is None else limit
    members = archive.infolist()
    if len(members) > max_zip_members():
        raise _too_large(f"it holds more than {max_zip_members()} members")
    declared = 0
    plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    for info in members:
        if _is_symlink(info):
            raise _bad_zip(f"the member “{info.filename[:100]}” is a symbolic link")
        target = safe_member_path(info.filename)
        declared += max(0, info.file_size)
        if declared > limit:
            raise _too_large(f"it unpacks to more than {max_zip_bytes() / 1024 / 1024:g} MB")
        if target is not None:
            plan.append((info, target))
    return plan


def _copy_bounded(src: IO[bytes], dest: Path, budget: int, what: str = "zip") -> int:
    """Copy at most `budget` bytes; ValidationError if the source holds more (a member
    whose real size exceeds its declared size)."""
    written = 0
    with dest.open("xb") as out:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > budget:
                limit = max_zip_bytes() / 1024 / 1024
                raise _too_large(f"it unpacks to more than {limit:g} MB", what)
            out.write(chunk)
    return written


def extract_zip(zip_path: Path, dest: Path, limit: int | None = None) -> None:
    """Unpack `zip_path` into `dest` (which must not exist yet), checked by `check_zip`
    (`limit`: the bytes it may unpack to, by default `max_zip_bytes`)."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _bad_zip(f"it is not a readable zip file ({exc})") from None
    with archive:
        budget = max_zip_bytes() if limit is None else limit
        plan = check_zip(archive, budget)
        dest.mkdir()
        root = dest.resolve()
        seen: set[PurePosixPath] = set()
        for info, relative in plan:
            if relative in seen:
                continue
            seen.add(relative)
            target = root.joinpath(*relative.parts)
            if root not in target.parents:  # defence in depth; safe_member_path forbids it
                raise _bad_zip(f"the member “{info.filename[:100]}” points outside the archive")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src:
                    budget -= _copy_bounded(src, target, budget)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                name, why = info.filename[:100], getattr(exc, "strerror", None) or exc
                raise _bad_zip(f"the member “{name}” cannot be unpacked ({why})") from None


def extract_tar(tar_path: Path, dest: Path, limit: int | None = None) -> None:
    """Unpack a tar archive (plain, or compressed with gzip, bzip2 or xz: Google
    Takeout's .tgz) into `dest` (which must not exist yet), under the limits a zip has.
    It is read as a stream, member by member, so the limits are checked as it goes;
    links and devices are refused. On any refusal the caller removes `dest`."""
    what = "archive"
    try:
        archive = tarfile.open(tar_path, mode="r:*")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _bad_zip(f"it is not a readable tar or .tgz file ({exc})", what) from None
    dest.mkdir()
    root = dest.resolve()
    budget, members = (max_zip_bytes() if limit is None else limit), 0
    seen: set[PurePosixPath] = set()
    try:
        with archive:
            for info in archive:
                members += 1
                if members > max_zip_members():
                    raise _too_large(f"it holds more than {max_zip_members()} members", what)
                name = info.name[:100]
                if info.issym() or info.islnk():
                    raise _bad_zip(f"the member “{name}” is a link", what)
                if info.isdir():
                    continue
                if not info.isreg():
                    raise _bad_zip(f"the member “{name}” is not a plain file", what)
                relative = safe_member_path(info.name, what)
                if relative is None or relative in seen:
                    continue
                seen.add(relative)
                if info.size > budget:
                    shown = max_zip_bytes() / 1024 / 1024
                    raise _too_large(f"it unpacks to more than {shown:g} MB", what)
                target = root.joinpath(*relative.parts)
                if root not in target.parents:  # defence in depth, as for a zip
                    raise _bad_zip(f"the member “{name}” points outside the archive", what)
                target.parent.mkdir(parents=True, exist_ok=True)
                src = archive.extractfile(info)
                if src is None:  # pragma: no cover - a regular member always has data
                    continue
                with src:
                    budget -= _copy_bounded(src, target, budget, what)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise _bad_zip(f"it cannot be unpacked ({why})", what) from None


# A compressed file's first bytes, and what opens it as a stream.
_COMPRESSED: tuple[tuple[bytes, str, Any], ...] = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bzip2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
)
# The names a compressed file's content goes by once decompressed: `inbox.mbox.gz` holds
# `inbox.mbox`, `cal.ics.bz2` holds `cal.ics` (which is how a calendar is recognised).
_COMPRESSION_SUFFIXES = (".gz", ".gzip", ".z", ".bz2", ".xz")
_DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


def _compression(head: bytes) -> tuple[str, Any] | None:
    for magic, label, opener in _COMPRESSED:
        if head.startswith(magic):
            return label, opener
    return None


def _holds_tar(path: Path, opener: Any) -> bool:
    """Whether a compressed file holds a tar archive: its first 512 bytes, once
    decompressed, are a valid tar header (or the zero block of an empty tar). A file
    too damaged to tell is not: decompressing it says what is wrong."""
    try:
        with opener(path, "rb") as stream:
            block = stream.read(tarfile.BLOCKSIZE)
    except _DECOMPRESS_ERRORS:
        return False
    if len(block) < tarfile.BLOCKSIZE or block == bytes(tarfile.BLOCKSIZE):
        return len(block) == tarfile.BLOCKSIZE
    if block[257:262] == b"ustar":
        return True
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def decompressed_name(name: str) -> str:
    """The safe file name a compressed file's content is written to: its own name without
    the compression suffix (`2024-March.txt.gz` gives `2024-March.txt`)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    lowered = base.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lowered.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    if base.lower().endswith(".tgz"):  # a gzipped file given a tar's name
        base = base[:-4] + ".tar"
    return (_SAFE_PART.sub("_", base)[:200] or "_").lstrip(".") or "mail"


def extract_compressed(path: Path, dest: Path, *, name: str = "", limit: int | None = None) -> Path:
    """Decompress one gzip, bzip2 or xz file that is not a tar (an `inbox.mbox.gz`, a
    mailing list's monthly `2024-March.txt.gz`) into `dest` (which must not exist yet),
    as the file `decompressed_name(name or path.name)`, under the archive byte limit;
    return that file. On any refusal the caller removes `dest`."""
    with path.open("rb") as fh:
        found = _compression(fh.read(8))
    if found is None:
        raise _bad_zip("it is not a compressed file", "file")
    label, opener = found
    dest.mkdir()
    target = dest / decompressed_name(name or path.name)
    try:
        with opener(path, "rb") as stream:
            budget = max_zip_bytes() if limit is None else limit
            written = _copy_bounded(stream, target, budget, "file")
    except _DECOMPRESS_ERRORS as exc:
        why = getattr(exc, "strerror", None) or exc
        raise _bad_zip(f"it is not a readable {label} file ({why})", "file") from None
    if written == 0:
        raise _bad_zip(f"the {label} file holds nothing", "file")
    return target


def extract_archive(path: Path, dest: Path, *, name: str = "") -> Path:
    """Unpack a .zip or a tar archive into `dest` (which must not exist yet), or
    decompress a single compressed file into it (`name`, the file's own name, names
    what it holds; by default the path's) — and unpack it too when it is a zip (an
    `export.zip.gz`). Returns what to import: the `import_root` of what was unpacked,
    or the decompressed file."""
    with path.open("rb") as fh:
        head = fh.read(8)
    found = _compression(head)
    if found is not None and not _holds_tar(path, found[1]):
        outer = dest.with_name(dest.name + ".decompressed")
        try:
            single = extract_compressed(path, outer, name=name)
            with single.open("rb") as fh:
                zipped = fh.read(4) == b"PK\x03\x04"
        except BaseException:
            shutil.rmtree(outer, ignore_errors=True)
            raise
        if not zipped:
            outer.rename(dest)
            return dest / single.name
        # A zip inside (an `export.zip.gz`): unpacked too, under the same limits.
        try:
            extract_zip(single, dest)
        finally:
            shutil.rmtree(outer, ignore_errors=True)
        unpack_inner(dest)
        return import_root(dest)
    if head.startswith(b"PK\x03\x04"):
        extract_zip(path, dest)
    else:
        extract_tar(path, dest)
    unpack_inner(dest)
    return import_root(dest)


# Archives found inside an unpacked one (a zip of Takeout zips, of gzipped mbox files,
# of a mailing list's monthly .txt.gz files): unpacked where they are, by their names
# (an Office document is a zip too, and is not unpacked), at most this many levels and
# this many archives deep, all within the outer archive's byte limit.
MAX_NESTING = 3
MAX_INNER_ARCHIVES = 200
_INNER_SUFFIXES = (
    ".tar.gz",
    ".tar.bz2",
    ".tar.xz",
    ".zip",
    ".tar",
    ".tgz",
    ".tbz2",
    ".txz",
    ".gz",
    ".gzip",
    ".bz2",
    ".xz",
)


def _inner_suffix(path: Path) -> str:
    lower = path.name.lower()
    return next((s for s in _INNER_SUFFIXES if lower.endswith(s) and lower != s), "")


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _tree_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _free(path: Path) -> Path:
    """`path`, or `path` with a number when something of that name is there already."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _unpack_one(path: Path, limit: int) -> tuple[int, int]:
    """Unpack one archive found inside another where it is, then remove it: `Mail.zip`
    becomes the folder `Mail`, `inbox.mbox.gz` the file `inbox.mbox`. Answers how many
    bytes and files that added."""
    work = _free(path.with_name(path.name + ".unpacking"))
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
        found = _compression(head)
        if found is not None and not _holds_tar(path, found[1]):
            single = extract_compressed(path, work, limit=limit)
            added, files = single.stat().st_size, 1
            single.rename(_free(path.with_name(single.name)))
            shutil.rmtree(work)
        else:
            if head.startswith(b"PK\x03\x04"):
                extract_zip(path, work, limit)
            else:
                extract_tar(path, work, limit)
            added, files = _tree_bytes(work), _tree_files(work)
            stem = path.name[: -len(_inner_suffix(path))]
            work.rename(_free(path.with_name(stem)))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    removed = path.stat().st_size
    path.unlink()
    return added - removed, files - 1


def unpack_inner(root: Path) -> None:
    """Unpack the archives and compressed files inside the unpacked folder `root`, in
    place (`_unpack_one`), level by level. One that cannot be unpacked is left as it is
    (the import lists it with its reason). Raises ValidationError when the whole would
    pass the outer archive's limits."""
    done = 0
    damaged: set[Path] = set()
    total, members = _tree_bytes(root), _tree_files(root)
    for _level in range(MAX_NESTING):
        found = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and not p.is_symlink() and _inner_suffix(p) and p not in damaged
        )
        if not found:
            return
        for path in found:
            done += 1
            if done > MAX_INNER_ARCHIVES:
                raise _too_large(f"it holds more than {MAX_INNER_ARCHIVES} archives inside it")
            limit = max_zip_bytes() - (total - path.stat().st_size)
            try:
                added, files = _unpack_one(path, limit)
            except TooLarge:
                raise  # past a limit of the whole: all of it is refused
            except ValidationError:
                damaged.add(path)
                continue
            total, members = total + added, members + files
            if members > max_zip_members():
                raise _too_large(f"it holds more than {max_zip_members()} members")


def is_archive(path: Path) -> bool:
    """Whether `path` is a file holding a zip or a tar archive (gzip, bzip2 or xz
    compressed, or plain) or one compressed file, by its first bytes rather than its
    name: what `extract_archive` takes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(262)
    except OSError:
        return False
    return (
        head.startswith(b"PK\x03\x04")
        or _compression(head) is not None
        or head[257:262] == b"ustar"
    )


def import_root(folder: Path) -> Path:
    """What to import from an unpacked zip: a Maildir (at the top or one level down; a
    missing empty `new` or `cur` is created), else the folder of .eml files."""
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())]
    for candidate in candidates:
        if (candidate / "cur").is_dir() or (candidate / "new").is_dir():
            (candidate / "cur").mkdir(exist_ok=True)
            (candidate / "new").mkdir(exist_ok=True)
            return candidate
    return folder


def store_upload(uploaded: Uploaded) -> str:
    """Save an upload under DATA_DIR/uploads/<random>/ and return the path to import,
    relative to DATA_DIR. An archive is unpacked (a compressed file decompressed);
    anything wrong removes the folder again."""
    name = uploaded.name or ""
    kind = upload_kind(name)
    limit = max_upload_bytes()
    if uploaded.size is not None and uploaded.size > limit:
        raise ValidationError({"file": f"The file is larger than {limit / 1024 / 1024:g} MB."})
    folder = uploads_root() / secrets.token_hex(16)
    folder.mkdir(parents=True)
    try:
        saved = folder / f"upload.{kind}"
        written = 0
        with saved.open("xb") as out:
            for chunk in uploaded.chunks():  # type: ignore[attr-defined]
                written += len(chunk)
                if written > limit:
                    raise ValidationError(
                        {"file": f"The file is larger than {limit / 1024 / 1024:g} MB."}
                    )
                out.write(chunk)
        if written == 0:
            raise ValidationError({"file": "The file is empty."})
        target = saved
        if kind in ("zip", "archive"):
            target = extract_archive(saved, folder / "files", name=name)
            saved.unlink()
            if target.suffix.lower() == ".csv":  # its columns are mapped on their own page
                raise ValidationError(
                    {"file": "This is a compressed CSV: upload the .csv itself to map its columns."}
                )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return target.relative_to(Path(settings.DATA_DIR)).as_posix()


def resolve_upload(relative: str) -> Path:
    """The absolute path of a stored upload; ValueError if it is not under the uploads
    folder (a payload can never point the importer elsewhere)."""
    root = uploads_root().resolve()
    path = (Path(settings.DATA_DIR) / relative).resolve()
    if path != root and root not in path.parents:
        raise ValueError("The upload path is outside the uploads folder.")
    return path


def upload_folder(relative: str) -> Path:
    """The <random> folder an upload lives in (to remove it once imported)."""
    path = resolve_upload(relative)
    root = uploads_root().resolve()
    return root / path.relative_to(root).parts[0]


_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def upload_token(relative: str) -> str:
    """The random folder name of a stored upload (names a pending CSV import)."""
    return PurePosixPath(relative).parts[1]


def upload_by_token(token: str) -> Path | None:
    """The stored file of a pending upload named by its token, or None."""
    if not _TOKEN.match(token or ""):
        return None
    folder = uploads_root() / token
    files = sorted(folder.glob("upload.*")) if folder.is_dir() else []
    return files[0] if files else None


DEFAULT_UPLOAD_RETENTION_HOURS = 48


def upload_retention_hours() -> float:
    """How long an upload nobody imports is kept (setting AMENDS_UPLOAD_RETENTION_HOURS,
    default 48): a CSV left on its mapping page, an import whose job was deleted."""
    return float(getattr(settings, "AMENDS_UPLOAD_RETENTION_HOURS", DEFAULT_UPLOAD_RETENTION_HOURS))


def stale_upload_folders(now: float, keep: set[str]) -> list[Path]:
    """Upload folders last changed more than the retention period before `now` (a Unix
    time), except the tokens in `keep`. Only the random-named folders the uploads code
    creates are considered; nothing else under the uploads folder is touched."""
    root = uploads_root()
    if not root.is_dir():
        return []
    cutoff = now - upload_retention_hours() * 3600
    stale = []
    for folder in root.iterdir():
        if not _TOKEN.match(folder.name) or folder.name in keep or folder.is_symlink():
            continue
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                stale.append(folder)
        except OSError:
            continue
    return stale


# `amends import ARCHIVE` unpacks into an upload folder of its own, marked with the
# process that owns it, so a run that was killed (`kill -9`, a closed terminal) has its
# copy removed by the next one rather than left for the 48-hour sweep.
_OWNER_FILE = "amends-import.owner"


def _process_start(pid: int) -> str:
    """When process `pid` started, in clock ticks since boot ("" where /proc is not
    there): with the pid, it tells a process from a later one given the same number."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat_line.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def _alive(pid: int, started: str) -> bool:
    if pid <= 0:  # not a process (0 and -1 would ask about whole groups)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, whoever it is
    return not started or _process_start(pid) in ("", started)


def claim_import_folder() -> Path:
    """A new folder under the uploads folder for a command-line import, marked as this
    process's (host, pid and its start), to unpack into as `folder / "files"`."""
    folder = uploads_root() / secrets.token_hex(16)
    folder.mkdir(parents=True)
    pid = os.getpid()
    owner = f"{socket.gethostname()}\n{pid}\n{_process_start(pid)}\n"
    (folder / _OWNER_FILE).write_text(owner)
    return folder


def abandoned_import_folders() -> list[Path]:
    """The folders of command-line imports on this host whose process is gone (killed
    halfway). A folder of another host (a shared data folder) or of a process still
    running is left alone, as is every upload of the web pages (it has no owner file)."""
    root = uploads_root()
    if not root.is_dir():
        return []
    host = socket.gethostname()
    found = []
    for folder in root.iterdir():
        if not _TOKEN.match(folder.name) or folder.is_symlink():
            continue
        try:
            owner_host, pid, started = (folder / _OWNER_FILE).read_text().split("\n")[:3]
            if owner_host == host and not _alive(int(pid), started):
                found.append(folder)
        except (OSError, ValueError):
            continue
    return found
