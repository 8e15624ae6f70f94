"""Storing an uploaded mail export on disk, safely: bounded size, and an archive (.zip,
or a tar such as Google Takeout's .tgz) unpacked only into its own folder (no absolute
names, no `..`, no links or devices, bounded member count and uncompressed size). No
database here: `actions.start_import` and `amends import` call these."""

from __future__ import annotations

import re
import secrets
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

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
    ".tgz": "tar",
    ".tar": "tar",
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
    """eml, emlx (Apple Mail), mbox, zip, tar (.tgz, .tar.gz, .tar), ics or csv, from the
    uploaded file's name; ValidationError otherwise."""
    path = PurePosixPath(name.replace("\\", "/"))
    suffix = path.suffix.lower()
    if path.name.lower().endswith(".tar.gz"):
        suffix = ".tgz"
    kind = _SUFFIXES.get(suffix)
    if kind is None and suffix in OUTLOOK_SUFFIXES:
        reason = not_mail_reason(b"", path.name).removeprefix("not an email: ")
        raise ValidationError({"file": f"This is {reason}."})
    if kind is None:
        raise ValidationError(
            {
                "file": (
                    "Upload a .eml, .emlx, .mbox, .zip or .tgz of mail,"
                    " an .ics calendar or a .csv call log."
                )
            }
        )
    return kind


def _bad_zip(reason: str, what: str = "zip") -> ValidationError:
    return ValidationError({"file": f"This {what} cannot be imported: {reason}."})


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


def check_zip(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every file member with where it goes, or ValidationError saying what is wrong."""
    members = archive.infolist()
    if len(members) > max_zip_members():
        raise _bad_zip(f"it holds more than {max_zip_members()} members")
    declared = 0
    plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    for info in members:
        if _is_symlink(info):
            raise _bad_zip(f"the member “{info.filename[:100]}” is a symbolic link")
        target = safe_member_path(info.filename)
        declared += max(0, info.file_size)
        if declared > max_zip_bytes():
            raise _bad_zip(f"it unpacks to more than {max_zip_bytes() / 1024 / 1024:g} MB")
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
                raise _bad_zip(f"it unpacks to more than {limit:g} MB", what)
            out.write(chunk)
    return written


def extract_zip(zip_path: Path, dest: Path) -> None:
    """Unpack `zip_path` into `dest` (which must not exist yet), checked by `check_zip`."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _bad_zip(f"it is not a readable zip file ({exc})") from None
    with archive:
        plan = check_zip(archive)
        dest.mkdir()
        root = dest.resolve()
        budget = max_zip_bytes()
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


def extract_tar(tar_path: Path, dest: Path) -> None:
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
    budget, members = max_zip_bytes(), 0
    seen: set[PurePosixPath] = set()
    try:
        with archive:
            for info in archive:
                members += 1
                if members > max_zip_members():
                    raise _bad_zip(f"it holds more than {max_zip_members()} members", what)
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
                    limit = max_zip_bytes() / 1024 / 1024
                    raise _bad_zip(f"it unpacks to more than {limit:g} MB", what)
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


def extract_archive(path: Path, dest: Path) -> None:
    """Unpack a .zip or a tar archive into `dest` (which must not exist yet)."""
    with path.open("rb") as fh:
        zipped = fh.read(4) == b"PK\x03\x04"
    if zipped:
        extract_zip(path, dest)
    else:
        extract_tar(path, dest)


def is_archive(path: Path) -> bool:
    """Whether `path` is a file holding a zip or a tar archive (gzip, bzip2 or xz
    compressed, or plain), by its first bytes rather than its name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(262)
    except OSError:
        return False
    compressed = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
    return (
        head.startswith(b"PK\x03\x04") or head.startswith(compressed) or head[257:262] == b"ustar"
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
    relative to DATA_DIR. A zip is unpacked; anything wrong removes the folder again."""
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
        if kind in ("zip", "tar"):
            extract_archive(saved, folder / "files")
            saved.unlink()
            target = import_root(folder / "files")
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
