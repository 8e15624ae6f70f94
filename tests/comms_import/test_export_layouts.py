"""Mail exports as the mail programs leave them on disk, not only the files inside:
Google Takeout's folders, Apple Mail's `.mbox` bundles and its `.emlx` files,
Thunderbird's Local Folders, a Maildir with its Maildir++ subfolders (Dovecot, Courier),
and folders that mix them — each message found once, kept byte for byte, and anything
that is not mail left out."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from amends.comms.actions import import_path
from amends.comms.importing import open_source, unwrap_emlx
from amends.comms.models import EmailMessage, RawMessage
from tests.comms_import import messages as m

pytestmark = pytest.mark.django_db

SEPARATOR = b"From MAILER-DAEMON Mon Jul 13 09:00:00 2026\n"


def mbox(*numbers: int) -> bytes:
    return b"".join(SEPARATOR + m.simple(n) + b"\n" for n in numbers)


def write(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def emlx(message: bytes) -> bytes:
    """An .emlx as Apple Mail writes it: the length padded to ten places, the message,
    then its property list."""
    plist = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"'
        b' "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        b'<plist version="1.0">\n<dict>\n\t<key>date-received</key>\n'
        b"\t<integer>1783933200</integer>\n\t<key>flags</key>\n\t<integer>8590195713</integer>\n"
        b"</dict>\n</plist>\n"
    )
    return str(len(message)).ljust(10).encode() + b"\n" + message + plist


def ids() -> set[str]:
    return set(EmailMessage.objects.values_list("message_id", flat=True))


def expected(*numbers: int) -> set[str]:
    return {f"m{n}@acme.example" for n in numbers}


def test_an_unpacked_google_takeout_archive(world, tmp_path):
    root = write(
        tmp_path / "Takeout",
        {
            "archive_browser.html": b"<html>Takeout</html>",
            "Mail/All mail Including Spam and Trash.mbox": mbox(1, 2, 3),
            "Mail/User Settings/Filters.xml": b"<feed/>",
        },
    )
    summary = import_path(None, root)
    assert (summary.kind, summary.total, summary.imported, summary.rejected) == (
        "folder",
        3,
        3,
        [],
    )
    assert ids() == expected(1, 2, 3)
    assert import_path(None, root).duplicates == 3


def test_an_apple_mail_mailbox_export_bundle(world, tmp_path):
    bundle = write(
        tmp_path / "Acme.mbox",
        {
            "mbox": mbox(1, 2),
            "Info.plist": b'<?xml version="1.0"?><plist version="1.0"><dict/></plist>',
            "table_of_contents": b"\x00\x00\x00\x02\x00\x00\x00\x10binary",
        },
    )
    summary = import_path(None, bundle)  # the bundle itself, as the Finder shows it
    assert (summary.total, summary.imported, summary.rejected) == (2, 2, [])
    assert ids() == expected(1, 2)


def test_thunderbird_local_folders(world, tmp_path):
    root = write(
        tmp_path / "Local Folders",
        {
            "Inbox": mbox(1, 2),
            "Inbox.msf": b'// <!-- <mdb:mork:z v="1.4"/> -->\n< <(a=c)> >',
            "Sent": mbox(3),
            "Sent.msf": b"// mork",
            "Trash": b"",  # an empty folder's file
            "Clients.sbd/Acme.2026": mbox(4),
            "Clients.sbd/Acme.2026.msf": b"// mork",
            "msgFilterRules.dat": b'version="9"\n',
        },
    )
    summary = import_path(None, root)
    assert (summary.total, summary.imported, summary.rejected) == (4, 4, [])
    assert ids() == expected(1, 2, 3, 4)


SENT = m.simple(3, sender="alice@firm.example", to="dana@acme.example")


def test_a_maildir_with_its_maildir_plus_plus_subfolders(world, tmp_path):
    root = write(
        tmp_path / "Maildir",
        {
            "cur/1720000000.1.host:2,S": m.simple(1),
            "new/1720000001.2.host": m.simple(2),
            ".Sent/cur/1720000002.3.host:2,S": m.simple(
                3, sender="alice@firm.example", to="dana@acme.example"
            ),
            ".Sent/new/.keep": b"",
            ".Archive.2025/cur/1720000003.4.host:2,S": m.simple(4),
            ".Archive.2025/new/1720000004.5.host": m.simple(5),
            ".Archive.2025/tmp/1720000005.6.host": m.simple(6),  # being delivered
            ".not-a-folder/cur.txt": m.simple(7),
            "dovecot-uidlist": b"3 V1720000000 N4\n",
        },
    )
    (root / "tmp").mkdir()
    os.symlink(tmp_path / "Maildir" / ".Sent", root / ".Linked")
    summary = import_path(None, root)
    assert (summary.kind, summary.total, summary.imported) == ("maildir", 5, 5)
    assert ids() == expected(1, 2, 3, 4, 5)
    sent = EmailMessage.objects.get(message_id="m3@acme.example")
    assert sent.communication.direction == "out"


def test_a_folder_that_mixes_them(world, tmp_path):
    root = write(
        tmp_path / "export",
        {
            "a.eml": m.simple(1),
            "Apple/Message 2.emlx": emlx(m.simple(2)),
            "Archive/Old.mbox": mbox(3, 4),
            # A zipped Maildir loses its empty folders: only `cur` is left.
            "server/Maildir/cur/1720000000.5.host:2,S": m.simple(5),
            "notes.txt": b"From the desk of Alice: not an email.\n",
            "picture.png": b"\x89PNG\r\n\x1a\n",
        },
    )
    source = open_source(root)
    assert (source.kind, source.total) == ("folder", 6)
    summary = import_path(None, root)
    assert summary.imported == 5
    # The text file that starts like an mbox is read as one: its "From " line is the
    # separator, and nothing follows it.
    assert [(label.rsplit("/", 1)[-1], reason) for label, reason in summary.rejected] == [
        ("notes.txt#1", "empty")
    ]
    assert ids() == expected(1, 2, 3, 4, 5)


def test_an_emlx_keeps_the_message_byte_for_byte_without_apple_s_framing(world, tmp_path):
    message = m.OUTLOOK_QP
    path = write(tmp_path, {"12345.emlx": emlx(message)}) / "12345.emlx"
    summary = import_path(None, path)
    assert summary.imported == 1
    raw = RawMessage.objects.get()
    assert bytes(raw.data) == message
    assert raw.sha256 == hashlib.sha256(message).hexdigest()
    assert import_path(None, path).duplicates == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Subject: no length line\n\nHello.\n", "does not start with the message's length"),
        (b"5000      \nSubject: short\n\nHello.\n", "shorter than the length it gives"),
        (b"0\n", "shorter than the length it gives"),
        (b"", "does not start with the message's length"),
    ],
)
def test_a_damaged_emlx_is_rejected_with_a_reason(world, tmp_path, data, reason):
    assert unwrap_emlx(data)[0] is None
    write(tmp_path, {"1.emlx": data, "2.emlx": emlx(m.simple(2))})
    summary = import_path(None, tmp_path)
    assert summary.imported == 1
    assert len(summary.rejected) == 1 and reason in summary.rejected[0][1]


def test_a_zipped_google_takeout_uploads_and_imports(as_alice, world, settings, tmp_path):
    members = {
        "Takeout/archive_browser.html": b"<html/>",
        "Takeout/Mail/All mail Including Spam and Trash.mbox": mbox(1, 2),
    }
    job = _upload_zip(as_alice, world, settings, tmp_path, members)
    assert job.payload["summary"]["imported"] == 2
    assert ids() == expected(1, 2)
    # A single Apple Mail message uploads as it is.
    _upload(as_alice, world, settings, tmp_path, "Message 3.emlx", emlx(m.simple(3)))
    assert ids() == expected(1, 2, 3)


def _upload(as_alice, world, settings, tmp_path, name: str, data: bytes):
    """Upload a file on the import page as Alice, for Acme; run the worker; the job."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from amends.watch.models import Job
    from amends.watch.worker import run_one_step

    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir(exist_ok=True)
    upload = SimpleUploadedFile(name, data)
    response = as_alice.post(reverse("comms:import"), {"file": upload, "client": world.acme.pk})
    assert response.status_code == 303
    while run_one_step() is not None:
        pass
    job = Job.objects.filter(kind="comms.import").latest("pk")
    assert job.status == "done", job.last_error
    return job


def _upload_zip(as_alice, world, settings, tmp_path, members: dict[str, bytes]):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return _upload(as_alice, world, settings, tmp_path, "export.zip", buffer.getvalue())


def test_a_zipped_google_calendar_export_imports_its_meetings(as_alice, world, settings, tmp_path):
    from amends.comms.models import Communication
    from tests.comms_calendar.calendars import GOOGLE

    job = _upload_zip(as_alice, world, settings, tmp_path, {"alice@firm.example.ics": GOOGLE})
    summary = job.payload["summary"]
    assert job.payload["format"] == "ics" and "calendars" not in job.payload
    assert summary["imported"] >= 6 and summary["rejected_count"] == 0
    assert Communication.objects.filter(channel="meeting").count() == summary["imported"]
    assert EmailMessage.objects.count() == 0
    page = as_alice.get("/comms/import/").content.decode()
    assert "still to come" in page


def test_a_whole_google_takeout_imports_the_mail_and_the_calendars(
    as_alice, world, settings, tmp_path
):
    from amends.comms.models import Communication
    from tests.comms_calendar.calendars import GOOGLE

    job = _upload_zip(
        as_alice,
        world,
        settings,
        tmp_path,
        {
            "Takeout/archive_browser.html": b"<html/>",
            "Takeout/Mail/All mail Including Spam and Trash.mbox": mbox(1, 2),
            "Takeout/Calendar/Alice Owner.ics": GOOGLE,
        },
    )
    assert job.payload["summary"]["imported"] == 2 and ids() == expected(1, 2)
    calendars = job.payload["calendars"]
    assert calendars["imported"] >= 6 and calendars["rejected_count"] == 0
    assert Communication.objects.filter(channel="meeting").count() == calendars["imported"]
    page = as_alice.get("/comms/import/").content.decode()
    assert f"Calendars in the same upload: {calendars['imported']} meetings imported" in page


def test_the_command_line_imports_a_takeout_folder_whole(world, tmp_path):
    from django.core.management import call_command

    from amends.comms.models import Communication
    from tests.comms_calendar.calendars import GOOGLE

    root = write(
        tmp_path / "Takeout",
        {"Mail/All mail.mbox": mbox(1, 2, 3), "Calendar/Alice Owner.ics": GOOGLE},
    )
    out = io.StringIO()
    call_command("import", str(root), stdout=out)
    text = out.getvalue()
    assert "Imported from" in text and "3 imported" in text
    assert "Imported meetings from" in text
    assert ids() == expected(1, 2, 3)
    assert Communication.objects.filter(channel="meeting").exists()
    # A folder of calendars alone is read as calendars, and a folder of mail alone as mail.
    only = write(tmp_path / "cal", {"a.ics": GOOGLE})
    out = io.StringIO()
    call_command("import", str(only), stdout=out)
    assert "Imported meetings from" in out.getvalue() and "messages seen" not in out.getvalue()


def test_calendars_that_cannot_be_read_leave_the_mail_imported_and_say_why(
    as_alice, world, settings, tmp_path, monkeypatch
):
    from amends.comms import meeting_actions
    from tests.comms_calendar.calendars import GOOGLE

    monkeypatch.setattr(meeting_actions, "MAX_CALENDAR_FILES", 0)
    job = _upload_zip(
        as_alice,
        world,
        settings,
        tmp_path,
        {"Takeout/Mail/All mail.mbox": mbox(1), "Takeout/Calendar/a.ics": GOOGLE},
    )
    assert job.payload["summary"]["imported"] == 1 and "calendars" not in job.payload
    assert "more than 0 calendars" in job.payload["calendars_error"]
    assert str(settings.DATA_DIR) not in job.payload["calendars_error"]
    page = as_alice.get("/comms/import/").content.decode()
    assert "The calendars in this upload were not imported" in page


def _archive(path: Path, members: dict[str, bytes], *, kind: str = "zip") -> Path:
    """A .zip or a .tgz holding `members` (name: bytes)."""
    import tarfile

    if kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return path
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _leftovers(settings) -> list[Path]:
    uploads = Path(settings.DATA_DIR) / "uploads"
    return list(uploads.iterdir()) if uploads.exists() else []


@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_the_command_line_imports_a_takeout_archive_and_removes_what_it_unpacked(
    world, tmp_path, settings, kind
):
    """`amends import takeout.zip` (or .tgz): the mail and the calendars in it are
    imported as from the unpacked folder, and the unpacked copy is removed. Running it
    again creates nothing new."""
    from django.core.management import call_command

    from amends.comms.models import Communication
    from tests.comms_calendar.calendars import GOOGLE

    settings.DATA_DIR = tmp_path / "data"
    archive = _archive(
        tmp_path / f"takeout-20261124T000000Z-001.{kind}",
        {
            "Takeout/archive_browser.html": b"<html/>",
            "Takeout/Mail/All mail Including Spam and Trash.mbox": mbox(1, 2, 3),
            "Takeout/Calendar/Alice Owner.ics": GOOGLE,
        },
        kind=kind,
    )
    out = io.StringIO()
    call_command("import", str(archive), stdout=out)
    text = out.getvalue()
    assert f"Unpacked {archive}" in text and "3 imported" in text
    assert "Imported meetings from" in text
    assert ids() == expected(1, 2, 3)
    meetings = Communication.objects.filter(channel="meeting").count()
    assert meetings > 0
    assert _leftovers(settings) == []
    out = io.StringIO()
    call_command("import", str(archive), stdout=out)
    assert "3 already there (skipped)" in out.getvalue()
    assert Communication.objects.filter(channel="meeting").count() == meetings
    assert _leftovers(settings) == []


def test_a_zipped_maildir_without_its_empty_folders_imports_from_the_command_line(
    world, tmp_path, settings
):
    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    archive = _archive(tmp_path / "maildir.zip", {"Maildir/cur/1:2,S": m.simple(1)})
    out = io.StringIO()
    call_command("import", str(archive), stdout=out)
    assert "(maildir)" in out.getvalue() and ids() == expected(1)


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"../evil.eml": m.simple(1)}, "points outside the archive"),
        ({"Takeout/../../evil.eml": m.simple(1)}, "points outside the archive"),
        ({"/tmp/evil.eml": m.simple(1)}, "has an absolute path"),
        ({"link": None}, "is a link"),
        ({"fifo": "fifo"}, "is not a plain file"),
        ({f"{n}.eml": m.simple(n) for n in range(5)}, "more than 3 members"),
        ({"big.eml": m.simple(1) + b"x" * 5000}, "unpacks to more than"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "fifo", "members", "bytes"],
)
def test_an_unsafe_tgz_is_refused_and_nothing_is_left(world, tmp_path, settings, members, reason):
    import tarfile

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DATA_DIR = tmp_path / "data"
    settings.AMENDS_MAX_ZIP_MEMBERS = 3
    settings.AMENDS_MAX_ZIP_BYTES = 4000
    path = tmp_path / "evil.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                archive.addfile(info)
            elif data == "fifo":
                info.type = tarfile.FIFOTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    with pytest.raises(CommandError, match=reason):
        call_command("import", str(path), stdout=io.StringIO())
    assert not EmailMessage.objects.exists()
    assert _leftovers(settings) == []
    assert not (tmp_path / "evil.eml").exists() and not Path("/tmp/evil.eml").exists()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x1f\x8b\x08" + bytes(100), "not a readable gzip file"),
        (b"PK\x03\x04" + bytes(100), "not a readable zip file"),
    ],
    ids=["broken-gzip", "broken-zip"],
)
def test_a_damaged_archive_is_refused_with_its_reason(world, tmp_path, settings, data, reason):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DATA_DIR = tmp_path / "data"
    path = tmp_path / "export.tgz"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=reason):
        call_command("import", str(path), stdout=io.StringIO())
    assert _leftovers(settings) == []


def _compress(data: bytes, how: str) -> bytes:
    import bz2
    import gzip
    import lzma

    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[how](data)


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("inbox.mbox.gz", "gz"),
        ("Sent.mbox.bz2", "bz2"),
        ("archive.mbox.xz", "xz"),
        # A mailing list's monthly archive as Mailman's pipermail serves it.
        ("2026-July.txt.gz", "gz"),
        ("no-suffix", "gz"),
    ],
)
def test_the_command_line_imports_a_compressed_mbox(world, tmp_path, settings, name, how):
    """A single compressed mbox (gzip, bzip2 or xz) is decompressed into the data folder
    under the archive limit, imported as the mbox it holds, and removed; running it
    again creates nothing new."""
    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    path = tmp_path / name
    path.write_bytes(_compress(mbox(1, 2, 3), how))
    out = io.StringIO()
    call_command("import", str(path), stdout=out)
    assert "(mbox)" in out.getvalue() and "3 imported" in out.getvalue()
    assert ids() == expected(1, 2, 3)
    for n in (1, 2, 3):  # byte for byte, as the mbox holds it
        raw = RawMessage.objects.get(email__message_id=f"m{n}@acme.example").data
        assert bytes(raw) == m.simple(n)
    assert _leftovers(settings) == []
    out = io.StringIO()
    call_command("import", str(path), stdout=out)
    assert "3 already there (skipped)" in out.getvalue()
    assert _leftovers(settings) == []


def test_a_compressed_zip_is_unpacked_too(world, tmp_path, settings, as_alice):
    """An `export.zip.gz` (a zip, then compressed): decompressed, then its zip unpacked
    under the same limits, on the command line and on the upload page; a zip bomb inside
    is refused with nothing left behind."""
    import gzip

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DATA_DIR = tmp_path / "data"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Mail/Inbox.mbox", mbox(1, 2))
        archive.writestr("Mail/Sent.mbox", mbox(3))
    path = tmp_path / "export.zip.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    out = io.StringIO()
    call_command("import", str(path), stdout=out)
    assert "3 imported" in out.getvalue()
    assert ids() == expected(1, 2, 3)
    assert _leftovers(settings) == []
    # Through the upload page too: the same mail, so nothing new.
    job = _upload(as_alice, world, settings, tmp_path, "export.zip.gz", path.read_bytes())
    assert job.payload["summary"]["duplicates"] == 3
    # A bomb inside the zip is refused by the zip's own limits.
    settings.AMENDS_MAX_ZIP_BYTES = 64 * 1024
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.mbox", mbox(4) + b"x" * (10 * 1024 * 1024))
    assert len(bomb.getvalue()) < 64 * 1024
    path.write_bytes(gzip.compress(bomb.getvalue()))
    with pytest.raises(CommandError, match="more than"):
        call_command("import", str(path), stdout=io.StringIO())
    assert ids() == expected(1, 2, 3)
    assert _leftovers(settings) == []


def test_the_command_line_imports_a_compressed_eml_and_a_compressed_calendar(
    world, tmp_path, settings
):
    import gzip

    from django.core.management import call_command

    from amends.comms.models import Communication
    from tests.comms_calendar.calendars import GOOGLE

    settings.DATA_DIR = tmp_path / "data"
    (tmp_path / "one.eml.gz").write_bytes(gzip.compress(m.simple(7)))
    call_command("import", str(tmp_path / "one.eml.gz"), stdout=io.StringIO())
    assert ids() == expected(7)
    (tmp_path / "Alice Owner.ics.gz").write_bytes(gzip.compress(GOOGLE))
    out = io.StringIO()
    call_command("import", str(tmp_path / "Alice Owner.ics.gz"), stdout=out)
    assert "Imported meetings from" in out.getvalue()
    assert Communication.objects.filter(channel="meeting").exists()
    assert _leftovers(settings) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "unpacks to more than"),  # a decompression bomb
        ("truncated", "not a readable gzip file"),
        ("empty", "the gzip file holds nothing"),
        ("garbage-xz", "not a readable xz file"),
    ],
    ids=["bomb", "truncated", "empty", "garbage-xz"],
)
def test_a_bad_compressed_file_is_refused_and_nothing_is_left(
    world, tmp_path, settings, data, reason
):
    import gzip

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DATA_DIR = tmp_path / "data"
    settings.AMENDS_MAX_ZIP_BYTES = 64 * 1024
    whole = gzip.compress(mbox(1, 2))
    payload = {
        None: gzip.compress(mbox(1) + b"x" * (10 * 1024 * 1024)),
        "truncated": whole[: len(whole) // 2],
        "empty": gzip.compress(b""),
        "garbage-xz": b"\xfd7zXZ\x00" + bytes(200),
    }[data]
    path = tmp_path / ("mail.mbox.xz" if data == "garbage-xz" else "mail.mbox.gz")
    path.write_bytes(payload)
    assert len(payload) < 64 * 1024
    with pytest.raises(CommandError, match=reason):
        call_command("import", str(path), stdout=io.StringIO())
    assert not EmailMessage.objects.exists()
    assert _leftovers(settings) == []


def test_a_tar_named_like_a_compressed_file_is_still_unpacked(world, tmp_path, settings):
    """What a compressed file holds is told by its content, not its name: a gzipped tar
    called `.gz`, and a tar.bz2 and a tar.xz, are unpacked as archives."""
    import tarfile

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    for number, (name, mode) in enumerate(
        [("export.gz", "w:gz"), ("export.tar.bz2", "w:bz2"), ("export.tar.xz", "w:xz")], start=1
    ):
        path = tmp_path / name
        with tarfile.open(path, mode) as archive:
            data = m.simple(number)
            info = tarfile.TarInfo(f"Mail/{number}.eml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        call_command("import", str(path), stdout=io.StringIO())
    assert ids() == expected(1, 2, 3)
    assert _leftovers(settings) == []


def test_decompressed_names_are_safe():
    from amends.comms.uploads import decompressed_name

    assert decompressed_name("inbox.mbox.gz") == "inbox.mbox"
    assert decompressed_name("2026-July.txt.GZ") == "2026-July.txt"
    assert decompressed_name("cal.ics.bz2") == "cal.ics"
    assert decompressed_name("mail.tgz") == "mail.tar"
    assert decompressed_name("../../etc/passwd.gz") == "passwd"
    assert decompressed_name("C:\\evil\\..\\x.mbox.xz") == "x.mbox"
    assert decompressed_name(".gz") == "gz"
    assert decompressed_name("...") == "mail"
    assert decompressed_name("a b;rm -rf.mbox.gz") == "a_b_rm_-rf.mbox"


def test_only_the_folders_of_dead_command_line_imports_are_abandoned(tmp_path, settings):
    """A folder is abandoned when its owner file names a process of this host that is
    gone; one of a live process, of another host, or without an owner (an upload of the
    web pages) is not."""
    import socket
    import subprocess
    import sys

    from amends.comms import uploads

    settings.DATA_DIR = tmp_path / "data"
    mine = uploads.claim_import_folder()
    assert uploads.abandoned_import_folders() == []
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    root = uploads.uploads_root()
    dead, other_host, web, reused = (root / (c * 32) for c in "abcd")
    for folder in (dead, other_host, web, reused):
        folder.mkdir()
    host = socket.gethostname()
    (dead / "amends-import.owner").write_text(f"{host}\n{dead_pid}\n12345\n")
    (other_host / "amends-import.owner").write_text(f"elsewhere-{host}\n{dead_pid}\n\n")
    # This process's pid but another start time: the pid was given to a new process.
    (reused / "amends-import.owner").write_text(f"{host}\n{os.getpid()}\n1\n")
    (root / "not-a-token").mkdir()
    (root / "not-a-token" / "amends-import.owner").write_text(f"{host}\n{dead_pid}\n\n")
    assert sorted(uploads.abandoned_import_folders()) == sorted([dead, reused])
    assert mine not in uploads.abandoned_import_folders()


# A month of a mailing list as Mailman's pipermail serves it (`2026-July.txt.gz`): the
# envelope and the From header spell the address out ("dana at acme.example").
PIPERMAIL = b"""From dana at acme.example  Mon Jul 13 09:00:00 2026
From: dana at acme.example (Dana Client)
Date: Mon, 13 Jul 2026 09:00:00 +0000
Subject: [project-list] Launch date
Message-ID: <list-1@acme.example>

Can we still launch on the 20th?

From alice at firm.example  Mon Jul 13 11:30:00 2026
From: alice at firm.example (Alice Owner)
Date: Mon, 13 Jul 2026 11:30:00 +0000
Subject: [project-list] Launch date
In-Reply-To: <list-1@acme.example>
References: <list-1@acme.example>
Message-ID: <list-2@firm.example>

Yes: the 20th holds.

"""


def test_a_mailing_list_archive_reads_its_spelled_out_addresses(world, tmp_path, settings):
    import gzip

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    path = tmp_path / "2026-July.txt.gz"
    path.write_bytes(gzip.compress(PIPERMAIL))
    out = io.StringIO()
    call_command("import", str(path), stdout=out)
    assert "2 imported" in out.getvalue()
    first = EmailMessage.objects.get(message_id="list-1@acme.example")
    reply = EmailMessage.objects.get(message_id="list-2@firm.example")
    assert (first.from_address, first.from_name) == ("dana@acme.example", "Dana Client")
    assert first.client == world.acme and first.direction == "in"
    # An archive names no recipients: our reply is from us to no one outside, and waits.
    assert reply.from_address == "alice@firm.example" and reply.direction == "internal"
    assert reply.client is None and "1 matched no client" in out.getvalue()
    assert "spelled out as in a mailing list's archive" in " ".join(first.problems)


def test_an_archive_import_names_its_files_inside_the_archive(world, tmp_path, settings):
    """The summary of `amends import export.zip` names what it read as it is in the
    archive, not in the unpacked copy that is removed once imported."""
    import gzip

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    archive = _archive(
        tmp_path / "export.zip",
        {"Mail/1.eml": m.simple(1), "Mail/Archive.pst": b"!BDN" + bytes(100)},
    )
    out = io.StringIO()
    call_command("import", str(archive), stdout=out)
    text = out.getvalue()
    assert f"{archive}:Mail/Archive.pst: a damaged Outlook data file" in text
    assert "/uploads/" not in text.split("\n", 1)[1]  # only the first line says where
    (tmp_path / "notes.gz").write_bytes(gzip.compress(b"no headers at all\n"))
    out = io.StringIO()
    call_command("import", str(tmp_path / "notes.gz"), stdout=out)
    assert f"Imported from {tmp_path / 'notes.gz'}:notes (eml)" in out.getvalue()
    assert f"{tmp_path / 'notes.gz'}:notes: not an email" in out.getvalue()


def test_a_mailing_list_archive_imported_for_its_client_keeps_our_posts_there(
    world, tmp_path, settings
):
    import gzip

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    path = tmp_path / "2026-July.txt.gz"
    path.write_bytes(gzip.compress(PIPERMAIL))
    out = io.StringIO()
    call_command("import", str(path), "--client", str(world.acme.pk), stdout=out)
    assert "0 matched no client" in out.getvalue()
    first = EmailMessage.objects.get(message_id="list-1@acme.example")
    reply = EmailMessage.objects.get(message_id="list-2@firm.example")
    assert first.client == reply.client == world.acme
    assert reply.thread_root_id == first.pk


def _labelled(n: int, labels: str) -> bytes:
    """A message as Google Takeout's mbox writes it: Gmail's thread id and labels first."""
    return f"X-GM-THRID: 17{n:04d}\nX-Gmail-Labels: {labels}\n".encode() + m.simple(n)


def test_a_takeout_leaves_out_what_gmail_marked_as_spam(world, tmp_path, settings):
    """Google's "All mail Including Spam and Trash.mbox" holds the Spam folder too: those
    messages are counted and left out (they would only crowd triage); Trash is kept, as
    it may hold the client's mail. A label that merely contains the word is not Spam."""
    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    takeout = tmp_path / "Takeout" / "Mail"
    takeout.mkdir(parents=True)
    messages = [
        _labelled(1, "Inbox,Opened"),
        _labelled(2, "Spam,Opened"),
        _labelled(3, "Trash,Opened"),
        _labelled(4, '"Spam filters",Inbox'),
        _labelled(5, "Opened,\n Spam"),  # folded
    ]
    (takeout / "All mail Including Spam and Trash.mbox").write_bytes(
        b"".join(SEPARATOR + message + b"\n" for message in messages)
    )
    out = io.StringIO()
    call_command("import", str(tmp_path / "Takeout"), stdout=out)
    assert "3 imported" in out.getvalue()
    assert "2 spam left out (Gmail's Spam label, junk folders)" in out.getvalue()
    assert ids() == expected(1, 3, 4)
    out = io.StringIO()
    call_command("import", str(tmp_path / "Takeout"), stdout=out)
    assert "0 imported" in out.getvalue() and "3 already there" in out.getvalue()
    assert "2 spam left out" in out.getvalue()


def test_junk_mail_folders_found_in_an_export_are_left_out_and_counted(world, tmp_path):
    """Thunderbird's "Junk" mbox, Apple Mail's "Junk.mbox" bundle, Dovecot's ".Junk" and
    ".INBOX.Spam" Maildir++ folders, Outlook's "Junk Email": their mail is counted and
    left out, the other folders imported; nothing of them waits in triage."""
    root = write(
        tmp_path / "export",
        {
            "Local Folders/Inbox": mbox(1),
            "Local Folders/Junk": mbox(11, 12),
            "Local Folders/Junkyard project": mbox(2),  # only starts like one
            "Apple/Junk.mbox/mbox": mbox(13),
            "Apple/Junk.mbox/Info.plist": b"<plist/>",
            "Apple/Clients.mbox/mbox": mbox(3),
            "Outlook/Junk Email/x.eml": m.simple(14),
            "Maildir/cur/1:2,S": m.simple(4),
            "Maildir/.Sent/cur/5:2,S": m.simple(5),
            "Maildir/.Junk/cur/15:2,S": m.simple(15),
            "Maildir/.INBOX.Spam/new/16": m.simple(16),
            "Maildir/.INBOX.Spam/cur/17:2,S": m.simple(17),
            # A French Dovecot's "Courrier indésirable", named in modified UTF-7.
            "Maildir/.Courrier ind&AOk-sirable/cur/18:2,S": m.simple(18),
        },
    )
    summary = import_path(None, root)
    assert ids() == expected(1, 2, 3, 4, 5)
    assert summary.spam == 8 and summary.rejected == []
    assert summary.imported == 5
    # A Maildir given on its own leaves its junk subfolders out too.
    summary = import_path(None, root / "Maildir")
    assert (summary.duplicates, summary.spam, summary.total) == (2, 4, 5)
    # A junk folder named on its own is what the user asked for: it is read.
    summary = import_path(None, root / "Local Folders" / "Junk")
    assert summary.imported == 2 and summary.spam == 0


@pytest.mark.parametrize(
    ("name", "junk"),
    [
        ("Junk", True),
        ("junk.mbox", True),
        (".Junk", True),
        (".INBOX.Spam", True),
        ("Junk E-mail", True),
        ("Junk Email", True),
        ("Bulk Mail", True),
        ("Spam.sbd", True),
        ("Courrier indésirable", True),
        ("Indésirables.mbox", True),
        ("Inde\u0301sirables.mbox", True),  # as macOS stores the name (decomposed)
        (".INBOX.Correo no deseado", True),
        # Dovecot and Courier spell Maildir++ folder names in IMAP's modified UTF-7.
        (".Courrier ind&AOk-sirable", True),
        (".INBOX.&BCEEPwQwBDw-", True),  # Спам
        (".Nevy&AX4A4Q-dan&AOE- po&AWE-ta", True),  # Nevyžádaná pošta
        (".nevy&ax4a4q-dan&aoe- po&awe-ta", False),  # base64 is case-sensitive
        (".R&-D", False),  # "R&D"
        (".Tom & Jerry", False),  # not modified UTF-7 at all
        ("&ZZZ", False),
        ("迷惑メール.mbox", True),
        ("Wiadomości-śmieci", True),
        ("Нежелательная почта", True),
        ("Небажана пошта", True),
        ("Lixo Eletrónico.mbox", True),
        ("Lixo Electro\u0301nico", False),  # misspelt: not one of the names
        (".INBOX.Correo electrónico no deseado", True),
        ("Spamverdacht", True),
        ("דואר זבל", True),
        ("垃圾電子郵件", True),
        ("Thư rác", True),
        ("Email Sampah", True),
        ("Junkyard", False),
        ("Spam filters", False),
        ("Inbox", False),
        (".Sent", False),
        ("Archive.2025", False),
    ],
)
def test_what_counts_as_a_junk_folder(name, junk):
    from amends.comms.importing import is_junk_folder

    assert is_junk_folder(name) is junk
