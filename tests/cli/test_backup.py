"""`amends backup` and `amends restore`: a lossless round trip, and nothing changed by a
bad archive."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from axes.models import AccessLog
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.utils import timezone

from amends.accounts.actions import create_user, issue_token, revoke_token
from amends.accounts.models import ApiToken, User
from amends.cases.actions import add_to_case
from amends.clients.actions import create_client
from amends.clients.models import Client, Engagement, TimelineEntry
from amends.comms.actions import record_communication
from amends.core import backup
from amends.core.backup import BackupError, restore_backup, write_backup
from amends.core.demo import load_demo

from .helpers import canonical_dump, manifest_of, read_members, write_members


@pytest.fixture
def rich_world(world):
    """The shared personas plus the demo firm, and the awkward corners of the schema:
    tokens (one revoked), groups and permissions, a login record, non-ASCII text,
    microsecond timestamps and decimals."""
    load_demo()
    _, _ = issue_token(world.alice, name="ci")
    token, _ = issue_token(world.bob, name="old laptop")
    revoke_token(world.bob, token=token)
    group = Group.objects.create(name="Reviewers")
    perm = Permission.objects.get(codename="view_client")
    group.permissions.add(perm)
    world.alice.groups.add(group)
    world.alice.user_permissions.add(Permission.objects.get(codename="change_case"))
    AccessLog.objects.create(
        user_agent="pytest",
        ip_address="192.0.2.1",
        username="alice",
        http_accept="*/*",
        path_info="/accounts/login/",
    )
    record_communication(
        world.alice,
        world.acme,
        channel="email",
        direction="in",
        contact=world.contact,
        occurred_at=timezone.now() - timedelta(microseconds=123457),
        subject="Zoë’s “quick” note — 🍷",
        summary="Ünïcödé, tabs\tand\nnewlines survive.",
    )
    add_to_case(world.alice, world.case, "milestone", title="Naïve café launch")
    return world


def _backup(tmp_path: Path, name: str = "amends.zip") -> Path:
    path = tmp_path / name
    call_command("backup", str(path), stdout=io.StringIO())
    return path


@pytest.mark.django_db(transaction=True)
def test_round_trip_restores_every_row_exactly(rich_world, tmp_path):
    before = canonical_dump()
    path = _backup(tmp_path)
    call_command("flush", interactive=False, verbosity=0)
    assert not Client.objects.exists() and not User.objects.exists()

    out = io.StringIO()
    call_command("restore", str(path), stdout=out)

    assert canonical_dump() == before
    assert "Restored" in out.getvalue() and "cases.case" in out.getvalue()
    # The dump really covers what matters (not vacuously equal):
    alice = User.objects.get(username="alice")
    assert alice.password.startswith("md5$") and alice.check_password(
        "correct-horse-battery-staple-9"
    )
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1
    assert len(before["accounts.apitoken"]) == 2
    assert alice.groups.get().permissions.get().codename == "view_client"
    assert alice.user_permissions.get().codename == "change_case"
    assert AccessLog.objects.get().username == "alice"
    note = rich_world.acme.communications.get(subject__startswith="Zoë")
    assert note.occurred_at.tzinfo is not None and note.occurred_at.microsecond != 0
    assert Engagement.objects.get(client__name="Harbour & Vine").used == Decimal("21600.00")


@pytest.mark.django_db(transaction=True)
def test_new_rows_after_restore_get_fresh_ids(rich_world, tmp_path):
    path = _backup(tmp_path)
    call_command("flush", interactive=False, verbosity=0)  # also resets sequences
    restore_backup(path)
    highest = {
        model: model.objects.aggregate(top=Max("pk"))["top"]
        for model in (User, Client, TimelineEntry)
    }
    owner = create_user(None, username="newcomer", password=None)
    client = create_client(None, name="After the restore", owner=owner)
    assert owner.pk > highest[User]
    assert client.pk > highest[Client]
    assert TimelineEntry.objects.order_by("-pk").first().pk > highest[TimelineEntry]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_data_unless_forced(rich_world, tmp_path):
    path = _backup(tmp_path)
    create_client(None, name="Added after the backup", owner=rich_world.alice)
    before = canonical_dump()

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert canonical_dump() == before

    out = io.StringIO()
    call_command("restore", str(path), "--force", stdout=out)
    assert not Client.objects.filter(name="Added after the backup").exists()
    assert "Deleted" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_failure_while_loading_rolls_everything_back(rich_world, tmp_path):
    path = _backup(tmp_path)
    members = read_members(path)
    # Valid JSON that the database refuses: the same client twice.
    name = "data/clients.client.jsonl"
    first = members[name].splitlines()[0]
    members[name] = members[name] + first + b"\n"
    write_members(path, members)
    before = canonical_dump()

    with pytest.raises(BackupError, match="rolled back"):
        restore_backup(path, force=True)
    assert canonical_dump() == before


def test_restore_logs_everyone_out(rich_world, tmp_path, client):
    from django.contrib.sessions.models import Session

    client.force_login(rich_world.alice)
    assert Session.objects.exists()
    path = tmp_path / "b.zip"
    write_backup(path)
    restore_backup(path, force=True)
    assert not Session.objects.exists()


# ------------------------------------------------------------------ hostile archives


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_a_zip(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")


def _flipped_byte(path: Path) -> None:
    """Corrupt the compressed bytes of the biggest member in place."""
    with zipfile.ZipFile(path) as zf:
        info = max(zf.infolist(), key=lambda i: i.compress_size)
    data = bytearray(path.read_bytes())
    header = info.header_offset
    name_len = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_len = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_len + extra_len
    for i in range(start + info.compress_size // 3, start + info.compress_size // 3 + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _rewrite(change, *, fix_manifest=True):
    def damage(path: Path) -> None:
        members = read_members(path)
        change(members)
        write_members(path, members, fix_manifest=fix_manifest)

    return damage


def _edit_manifest(change):
    def edit(members):
        manifest = json.loads(members["manifest.json"])
        change(manifest)
        members["manifest.json"] = json.dumps(manifest).encode()

    return edit


def _replace_line(member: str, new: bytes):
    def edit(members):
        lines = members[member].splitlines()
        lines[0] = new
        members[member] = b"\n".join(lines) + b"\n"

    return edit


HOSTILE = {
    "truncated": (_truncated, "not a zip archive, or it is truncated"),
    "not a zip": (_not_a_zip, "not a zip archive"),
    "flipped bytes": (_flipped_byte, "damaged"),
    "path traversal": (
        _rewrite(lambda m: m.__setitem__("../../evil.jsonl", b"{}\n")),
        "unexpected file name",
    ),
    "absolute path": (
        _rewrite(lambda m: m.__setitem__("/etc/cron.d/evil", b"x")),
        "unexpected file name",
    ),
    "no manifest": (_rewrite(lambda m: m.pop("manifest.json")), "manifest.json is missing"),
    "manifest not json": (
        _rewrite(lambda m: m.__setitem__("manifest.json", b"{nope"), fix_manifest=False),
        "not valid JSON",
    ),
    "other format": (
        _rewrite(_edit_manifest(lambda d: d.__setitem__("format", "something-else"))),
        "does not describe an Amends backup",
    ),
    "future version": (
        _rewrite(_edit_manifest(lambda d: d.__setitem__("format_version", 99))),
        "format version 99",
    ),
    "other schema": (
        _rewrite(_edit_manifest(lambda d: d["migrations"]["cases"].append("0099_future"))),
        "different database schema",
    ),
    "unknown model": (
        _rewrite(
            _edit_manifest(
                lambda d: d["models"].append(
                    {
                        "model": "evil.thing",
                        "file": "data/evil.thing.jsonl",
                        "count": 0,
                        "bytes": 0,
                        "sha256": "",
                    }
                )
            )
        ),
        "do not match this version",
    ),
    "bad json row": (
        _rewrite(_replace_line("data/clients.client.jsonl", b'{"model": "clients.client", ')),
        "not valid JSON",
    ),
    "row of another model": (
        _rewrite(
            _replace_line(
                "data/clients.client.jsonl",
                b'{"model": "accounts.user", "pk": 999, "fields": {"username": "mallory"}}',
            )
        ),
        "not a clients.client record",
    ),
    "unknown field": (
        _rewrite(
            _replace_line(
                "data/clients.client.jsonl",
                b'{"model": "clients.client", "pk": 1, "fields": {"no_such_field": 1}}',
            )
        ),
        "does not fit this schema",
    ),
    "checksum mismatch": (
        _rewrite(
            _replace_line(
                "data/clients.client.jsonl",
                b'{"model": "clients.client", "pk": 1, "fields": {"name": "Tampered"}}',
            ),
            fix_manifest=False,
        ),
        "damaged",
    ),
    "wrong count": (
        _rewrite(
            _edit_manifest(lambda d: d["models"][0].__setitem__("count", 9999)), fix_manifest=False
        ),
        "manifest says 9999",
    ),
}


@pytest.mark.parametrize("damage", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_bad_archive_is_refused_and_changes_nothing(rich_world, tmp_path, damage):
    damage_fn, message = damage
    path = tmp_path / "b.zip"
    write_backup(path)
    damage_fn(path)
    before = canonical_dump()
    with pytest.raises(BackupError) as excinfo:
        restore_backup(path, force=True)
    assert message in str(excinfo.value)
    assert canonical_dump() == before


def test_the_command_reports_a_bad_archive_without_a_traceback(rich_world, tmp_path):
    path = tmp_path / "b.zip"
    path.write_bytes(b"garbage")
    with pytest.raises(CommandError, match="not a usable Amends backup"):
        call_command("restore", str(path), "--force", stdout=io.StringIO())


def test_restore_of_a_missing_file_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "nope.zip"), stdout=io.StringIO())


# ------------------------------------------------------------------ writing backups


def test_the_manifest_describes_the_backup(rich_world, tmp_path):
    path = _backup(tmp_path)
    manifest = manifest_of(path)
    assert manifest["format"] == "amends-backup" and manifest["format_version"] == 1
    assert manifest["app_version"] == backup.app_version() != "unknown"
    assert manifest["database"]["vendor"] in ("sqlite", "postgresql")
    assert "0001_initial" in manifest["migrations"]["cases"]
    counts = {e["model"]: e["count"] for e in manifest["models"]}
    assert counts["clients.client"] == Client.objects.count() == 7
    assert counts["accounts.user"] == User.objects.count()
    assert "sessions.session" not in counts and "auth.permission" not in counts
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # it holds password hashes


def test_a_failed_backup_leaves_no_file_behind(rich_world, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_write_model", explode)
    with pytest.raises(CommandError, match="No space left"):
        call_command("backup", str(tmp_path / "b.zip"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_backup_will_not_overwrite_without_asking(rich_world, tmp_path):
    path = _backup(tmp_path)
    with pytest.raises(CommandError, match="--overwrite"):
        call_command("backup", str(path), stdout=io.StringIO())
    call_command("backup", str(path), "--overwrite", stdout=io.StringIO())


def test_backup_into_a_folder_names_the_file_by_date(rich_world, tmp_path):
    out = io.StringIO()
    call_command("backup", str(tmp_path), stdout=out)
    (made,) = tmp_path.glob("amends-backup-*.zip")
    assert str(made) in out.getvalue()
