"""Email import from the upload page and the API: the job, its progress and summary,
zip safety, size limits, outsiders, and triage (issue 3)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amends.comms.models import Communication, EmailMessage
from amends.watch.models import Job
from amends.watch.worker import run_one_step
from tests.comms_import.messages import GMAIL_REPLY, NO_DATE, OUTLOOK_QP

API = "/api/v1"

STRANGER = (
    b"From: Zed Stranger <zed@nowhere.example>\r\n"
    b"To: Alice Owner <alice@firm.example>\r\n"
    b"Subject: A question about your services\r\n"
    b"Message-ID: <stranger-1@nowhere.example>\r\n"
    b"Date: Tue, 7 Jul 2026 10:00:00 +0000\r\n\r\nWho handles this?\r\n"
)
STRANGER_AGAIN = (
    STRANGER.replace(b"stranger-1@", b"stranger-2@")
    .replace(b"A question", b"Another question")
    .replace(b"Tue, 7 Jul", b"Wed, 8 Jul")
)


def _mbox(*messages: bytes) -> bytes:
    return b"".join(
        b"From MAILER-DAEMON Mon Jul  6 08:14:02 2026\n" + m.replace(b"\r\n", b"\n") + b"\n"
        for m in messages
    )


def _zip(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path) -> Path:
    """Uploads go under a fresh DATA_DIR per test."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


def _browser(user) -> Client:
    """A browser signed in as `user` (the as_* fixtures share one client)."""
    browser = Client()
    browser.force_login(user)
    return browser


def _uploads(data_dir: Path) -> list[Path]:
    root = data_dir / "uploads"
    return list(root.iterdir()) if root.exists() else []


def _upload(browser, name: str, data: bytes, **fields):
    return browser.post(reverse("comms:import"), {"file": SimpleUploadedFile(name, data), **fields})


def _run_all() -> list[Job]:
    ran = []
    while (job := run_one_step()) is not None:
        ran.append(job)
    return ran


def test_upload_page_queues_a_job_that_imports_with_progress_and_summary(
    as_alice, world, data_dir, api_alice
):
    page = as_alice.get(reverse("comms:import"))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content

    response = _upload(
        as_alice, "export.mbox", _mbox(OUTLOOK_QP, GMAIL_REPLY, NO_DATE), client=world.acme.pk
    )
    assert response.status_code == 303
    job = Job.objects.get(kind="comms.import")
    assert job.status == "queued" and job.client == world.acme
    assert set(job.payload) == {"path", "client", "actor", "name"}
    assert job.payload["path"].startswith("uploads/")
    # While queued the list polls itself every 2 s, without inline script.
    listing = as_alice.get(reverse("comms:import_jobs"))
    assert b'hx-trigger="every 2s"' in listing.content
    assert b"<script" not in listing.content and b"hx-on" not in listing.content

    assert [j.pk for j in _run_all()] == [job.pk]
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    summary = job.payload["summary"]
    assert summary["imported"] == 3 and summary["seen"] == 3 and summary["duplicates"] == 0
    assert job.progress_done == 3 and job.progress_total == 3
    assert EmailMessage.objects.filter(client=world.acme).count() == 3
    assert Communication.objects.filter(client=world.acme, channel="email").count() == 3
    # The upload is removed once imported.
    assert not _uploads(data_dir)

    listing = as_alice.get(reverse("comms:import_jobs"))
    assert b"3 imported" in listing.content
    assert b"hx-trigger" not in listing.content  # nothing active: polling stops

    api = as_alice.get(f"{API}/imports/{job.pk}", **api_alice)
    assert api.status_code == 200, api.content
    assert api.json()["summary"]["imported"] == 3
    assert api.json()["status"] == "done"
    listed = as_alice.get(f"{API}/imports", **api_alice).json()["items"]
    assert [j["id"] for j in listed] == [job.pk]


def test_reuploading_the_same_file_imports_nothing_new(as_alice, world):
    data = _mbox(OUTLOOK_QP, GMAIL_REPLY)
    _upload(as_alice, "a.mbox", data, client=world.acme.pk)
    _run_all()
    _upload(as_alice, "a.mbox", data, client=world.acme.pk)
    _run_all()
    second = Job.objects.order_by("-pk").first()
    assert second.payload["summary"]["imported"] == 0
    assert second.payload["summary"]["duplicates"] == 2
    assert EmailMessage.objects.count() == 2


def test_the_job_is_safe_to_run_twice(as_alice, world):
    from amends.comms.jobs import run_import

    _upload(as_alice, "one.eml", OUTLOOK_QP, client=world.acme.pk)
    job = Job.objects.get()
    job.locked_by = ""
    run_import(job)  # as if a worker ran it and died before marking it done
    _run_all()
    job.refresh_from_db()
    assert job.status == "done"
    assert EmailMessage.objects.count() == 1


def test_a_zip_of_eml_files_and_a_zipped_maildir_import(as_alice, world):
    _upload(
        as_alice,
        "mail.zip",
        _zip({"inbox/one.eml": OUTLOOK_QP, "inbox/two.eml": GMAIL_REPLY, "notes.txt": b"x"}),
        client=world.acme.pk,
    )
    _run_all()
    assert EmailMessage.objects.count() == 2
    _upload(
        as_alice,
        "maildir.zip",
        _zip({"Maildir/cur/1:2,S": NO_DATE, "Maildir/new/2": STRANGER}),
        client=world.acme.pk,
    )
    _run_all()
    job = Job.objects.order_by("-pk").first()
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["kind"] == "maildir"
    assert job.payload["summary"]["imported"] == 2


def _tgz(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if symlink is not None:
            info = tarfile.TarInfo(symlink)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["mail.tgz", "mail.tar.gz", "Mail.TAR"])
def test_a_tgz_of_eml_files_and_of_a_maildir_imports(as_alice, world, data_dir, name):
    if name.endswith("TAR"):
        import tarfile

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for member, data in {"inbox/one.eml": OUTLOOK_QP, "inbox/two.eml": GMAIL_REPLY}.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        data = buffer.getvalue()
    else:
        data = _tgz({"inbox/one.eml": OUTLOOK_QP, "inbox/two.eml": GMAIL_REPLY, "notes.txt": b"x"})
    assert _upload(as_alice, name, data, client=world.acme.pk).status_code == 303
    _run_all()
    assert EmailMessage.objects.count() == 2
    _upload(as_alice, "maildir.tgz", _tgz({"Maildir/cur/1:2,S": NO_DATE}), client=world.acme.pk)
    _run_all()
    job = Job.objects.order_by("-pk").first()
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["kind"] == "maildir"
    assert not _uploads(data_dir)


@pytest.mark.parametrize(
    ("name", "how"), [("Inbox.mbox.gz", "gz"), ("list-2026-July.txt.bz2", "bz2"), ("a.xz", "xz")]
)
def test_a_compressed_mbox_imports(as_alice, world, data_dir, name, how):
    """A single compressed mbox (a mailing list's monthly archive, a gzipped export) is
    decompressed under the archive limit and imported as the mbox it holds."""
    import bz2
    import gzip
    import lzma

    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[how]
    data = compress(_mbox(OUTLOOK_QP, GMAIL_REPLY))
    assert _upload(as_alice, name, data, client=world.acme.pk).status_code == 303
    (job,) = _run_all()
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["kind"] == "mbox"
    assert job.payload["summary"]["imported"] == 2
    assert EmailMessage.objects.count() == 2
    assert not _uploads(data_dir)


def test_a_compressed_calendar_imports_as_a_calendar_and_a_compressed_csv_is_refused(
    as_alice, world, data_dir, api_alice
):
    import gzip

    from tests.comms_calendar.calendars import GOOGLE

    upload = SimpleUploadedFile("Alice Owner.ics.gz", gzip.compress(GOOGLE))
    response = as_alice.post(
        f"{API}/imports", {"file": upload, "client": world.acme.pk}, **api_alice
    )
    assert response.status_code == 202
    (job,) = _run_all()
    assert job.status == "done", job.last_error
    assert job.payload["format"] == "ics"
    assert Communication.objects.filter(channel="meeting").exists()
    response = _upload(
        as_alice,
        "calls.csv.gz",
        gzip.compress(b"date,subject\n2026-07-01,Call\n"),
        client=world.acme.pk,
    )
    assert response.status_code == 422
    assert b"upload the .csv itself" in response.content
    assert not Job.objects.exclude(pk=job.pk).exists()
    assert not _uploads(data_dir)


def test_a_gzip_bomb_is_refused_and_nothing_is_written(as_alice, world, settings, data_dir):
    import gzip

    settings.AMENDS_MAX_ZIP_BYTES = 1024 * 1024
    data = gzip.compress(_mbox(OUTLOOK_QP) + b"\0" * (5 * 1024 * 1024))
    assert len(data) < 64 * 1024
    response = _upload(as_alice, "bomb.mbox.gz", data, client=world.acme.pk)
    assert response.status_code == 422
    assert b"unpacks to more than 1 MB" in response.content
    assert not Job.objects.exists()
    assert not _uploads(data_dir)


@pytest.mark.parametrize(
    ("members", "symlink", "reason"),
    [
        ({"../evil.eml": OUTLOOK_QP}, None, b"outside the archive"),
        ({"/tmp/evil.eml": OUTLOOK_QP}, None, b"absolute path"),
        ({"a.eml": OUTLOOK_QP}, "link.eml", b"is a link"),
    ],
    ids=["dotdot", "absolute", "symlink"],
)
def test_unsafe_tgzs_are_refused_and_nothing_is_written(
    as_alice, world, data_dir, members, symlink, reason
):
    response = _upload(as_alice, "evil.tgz", _tgz(members, symlink=symlink), client=world.acme.pk)
    assert response.status_code == 422
    assert b"This archive cannot be imported" in response.content and reason in response.content
    assert not Job.objects.exists()
    assert not _uploads(data_dir)
    assert not Path("/tmp/evil.eml").exists()


@pytest.mark.parametrize(
    ("members", "symlink", "reason"),
    [
        ({"../evil.eml": OUTLOOK_QP}, None, b"outside the archive"),
        ({"ok/../../evil.eml": OUTLOOK_QP}, None, b"outside the archive"),
        ({"/tmp/evil.eml": OUTLOOK_QP}, None, b"absolute path"),
        ({"C:/evil.eml": OUTLOOK_QP}, None, b"absolute path"),
        ({"a.eml": OUTLOOK_QP}, "link.eml", b"symbolic link"),
        ({"a": b"x", "a/b.eml": OUTLOOK_QP}, None, b"cannot be unpacked"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "drive", "symlink", "file-and-folder"],
)
def test_unsafe_zips_are_refused_and_nothing_is_written(
    as_alice, world, data_dir, members, symlink, reason
):
    response = _upload(as_alice, "evil.zip", _zip(members, symlink=symlink), client=world.acme.pk)
    assert response.status_code == 422
    assert reason in response.content
    assert not Job.objects.exists()
    assert not _uploads(data_dir)
    assert not (data_dir.parent / "evil.eml").exists()
    assert not Path("/tmp/evil.eml").exists()


def test_archives_inside_an_archive_are_unpacked_and_imported(as_alice, world, data_dir):
    """A zip of zips (several Takeout parts zipped together), of a .tgz, of gzipped mbox
    files: each unpacked where it is, down to three levels; a damaged one is listed with
    what to do, and the rest imports."""
    import gzip

    inner = _zip({"takeout-2/Mail/two.eml": GMAIL_REPLY})
    deeper = _zip({"level3.zip": _zip({"deep.eml": STRANGER})})
    outer = _zip(
        {
            "takeout-1.zip": _zip({"Mail/one.eml": OUTLOOK_QP}),
            "parts/takeout-2.zip": inner,
            "old.tgz": _tgz({"Maildir/cur/1:2,S": NO_DATE}),
            "list/2026-July.txt.gz": gzip.compress(_mbox(STRANGER_AGAIN)),
            "nested.zip": deeper,
            "broken.zip": b"PK\x03\x04 not really a zip",
            "report.docx": _zip({"word/document.xml": b"<w/>"}),  # a document, not unpacked
        }
    )
    assert _upload(as_alice, "everything.zip", outer, client=world.acme.pk).status_code == 303
    (job,) = _run_all()
    assert job.status == "done", job.last_error
    summary = job.payload["summary"]
    assert summary["imported"] == 5  # one, two, the Maildir's, the list's, the deep one
    assert EmailMessage.objects.count() == 5
    (rejected,) = summary["rejected"]
    assert rejected["where"].endswith("broken.zip") and "zip archive" in rejected["reason"]
    assert not _uploads(data_dir)


def test_archives_inside_stay_within_the_outer_limits(as_alice, world, settings, data_dir):
    # Each inner zip is small; together they unpack to more than the limit: refused whole.
    settings.AMENDS_MAX_ZIP_BYTES = 200 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fill.eml", b"\0" * (150 * 1024))
    small = buffer.getvalue()
    outer = _zip({"a.zip": small, "b.zip": small})
    response = _upload(as_alice, "two.zip", outer, client=world.acme.pk)
    assert response.status_code == 422
    assert b"unpacks to more than" in response.content
    assert not _uploads(data_dir)
    # The members of all of them count together too.
    settings.AMENDS_MAX_ZIP_MEMBERS = 5
    many = _zip({f"{n}.eml": OUTLOOK_QP for n in range(4)})
    response = _upload(
        as_alice, "many.zip", _zip({"a.zip": many, "b.zip": many}), client=world.acme.pk
    )
    assert response.status_code == 422 and b"more than 5 members" in response.content
    settings.AMENDS_MAX_ZIP_MEMBERS = 50_000
    # And a chain of zips deeper than three levels stops at the third, unread beyond it.
    chain = _zip({"mail.eml": OUTLOOK_QP})
    for level in range(5):
        chain = _zip({f"level{level}.zip": chain})
    settings.AMENDS_MAX_ZIP_BYTES = 10 * 1024 * 1024
    assert _upload(as_alice, "chain.zip", chain, client=world.acme.pk).status_code == 303
    (job,) = _run_all()
    assert job.payload["summary"]["imported"] == 0
    (rejected,) = job.payload["summary"]["rejected"]
    assert rejected["where"].endswith("level1.zip") and "zip archive" in rejected["reason"]


def test_too_many_members_are_refused(as_alice, world, settings, data_dir):
    settings.AMENDS_MAX_ZIP_MEMBERS = 3
    data = _zip({f"{n}.eml": OUTLOOK_QP for n in range(4)})
    response = _upload(as_alice, "many.zip", data, client=world.acme.pk)
    assert response.status_code == 422
    assert b"more than 3 members" in response.content
    assert not _uploads(data_dir)


def test_a_zip_bomb_is_refused_by_its_declared_size(as_alice, world, settings, data_dir):
    settings.AMENDS_MAX_ZIP_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.eml", b"\0" * (5 * 1024 * 1024))  # compresses to a few KB
    assert len(buffer.getvalue()) < 64 * 1024
    response = _upload(as_alice, "bomb.zip", buffer.getvalue(), client=world.acme.pk)
    assert response.status_code == 422
    assert b"unpacks to more than 1 MB" in response.content
    assert not _uploads(data_dir)


def test_oversize_and_wrong_kind_uploads_are_refused(as_alice, world, settings, data_dir):
    settings.AMENDS_MAX_UPLOAD_BYTES = 1000
    response = _upload(as_alice, "big.mbox", _mbox(OUTLOOK_QP, GMAIL_REPLY), client=world.acme.pk)
    assert response.status_code == 422
    assert b"larger than" in response.content
    response = _upload(as_alice, "x.exe", b"MZ", client=world.acme.pk)
    assert response.status_code == 422
    assert b".eml, .emlx, .mbox, .zip or .tgz" in response.content
    assert not Job.objects.exists()
    assert not _uploads(data_dir)


def test_an_outlook_for_mac_archive_is_refused_saying_what_to_do_instead(as_alice, world, data_dir):
    """.msg, .pst and .ost are read (tests/comms_import/test_outlook.py); .olm is not."""
    response = _upload(
        as_alice, "Outlook for Mac.olm", b"PK\x03\x04" + bytes(100), client=world.acme.pk
    )
    assert response.status_code == 422
    assert b"save it as an .mbox" in response.content
    assert b"connect the mailbox over IMAP" in response.content
    assert not Job.objects.exists()
    assert not _uploads(data_dir)


def test_a_non_admin_must_name_one_of_their_clients(world):
    assert _upload(_browser(world.alice), "a.eml", OUTLOOK_QP).status_code == 422
    response = _upload(_browser(world.carol), "a.eml", OUTLOOK_QP, client=world.acme.pk)
    assert response.status_code == 422
    assert b"Acme" not in response.content
    assert not Job.objects.exists()


def test_an_admin_may_import_without_a_client(as_ada, world):
    assert _upload(as_ada, "s.eml", STRANGER).status_code == 303
    _run_all()
    assert EmailMessage.objects.get().client is None


def test_outsiders_see_nothing_of_acme_imports(client, world, api_carol):
    _upload(_browser(world.alice), "a.eml", OUTLOOK_QP, client=world.acme.pk)
    job = Job.objects.get()
    carol = _browser(world.carol)
    page = carol.get(reverse("comms:import"))
    assert b"Acme" not in page.content and f"#{job.pk}".encode() not in page.content
    assert b"Acme" not in carol.get(reverse("comms:import_jobs")).content
    assert b"Acme" not in carol.get(reverse("watch:list")).content
    assert client.get(f"{API}/imports/{job.pk}", **api_carol).status_code == 404
    assert client.get(f"{API}/imports", **api_carol).json()["items"] == []
    upload = SimpleUploadedFile("a.eml", OUTLOOK_QP)
    data = {"file": upload, "client": world.acme.pk}
    response = client.post(f"{API}/imports", data, **api_carol)
    assert response.status_code == 404
    assert Job.objects.count() == 1


def test_triage_is_for_admins_only(client, world, api_alice, api_carol):
    assert _browser(world.alice).get(reverse("comms:triage")).status_code == 404
    carol = _browser(world.carol)
    assert carol.get(reverse("comms:triage")).status_code == 404
    assert carol.post(reverse("comms:triage_assign", args=[1]), {"client": 1}).status_code == 404
    assert client.get(f"{API}/triage", **api_alice).status_code == 403
    assert client.get(f"{API}/triage", **api_carol).status_code == 403
    anonymous = client.get(reverse("comms:triage"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert client.get(reverse("comms:import")).status_code == 302
    assert client.get(f"{API}/imports").status_code == 401
    assert client.get(f"{API}/triage").status_code == 401


def test_assigning_from_triage_teaches_the_match(as_ada, world):
    _upload(as_ada, "s.eml", STRANGER)
    _run_all()
    message = EmailMessage.objects.get()
    page = as_ada.get(reverse("comms:triage"))
    assert b"zed@nowhere.example" in page.content and b"Assign to client" in page.content

    response = as_ada.post(
        reverse("comms:triage_assign", args=[message.pk]), {"client": world.acme.pk}
    )
    assert response.status_code == 303
    message.refresh_from_db()
    assert message.client == world.acme
    assert Communication.objects.filter(client=world.acme, subject__contains="A question").exists()
    assert b"zed@nowhere.example" not in as_ada.get(reverse("comms:triage")).content

    _upload(as_ada, "s2.eml", STRANGER_AGAIN)
    _run_all()
    assert EmailMessage.objects.get(subject__startswith="Another").client == world.acme


def test_api_upload_and_triage_assign(client, world, api_alice, api_ada):
    upload = SimpleUploadedFile("a.mbox", _mbox(OUTLOOK_QP, STRANGER))
    response = client.post(f"{API}/imports", {"file": upload, "client": world.acme.pk}, **api_alice)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued" and response.json()["summary"] is None
    _run_all()
    done = client.get(f"{API}/imports/{job_id}", **api_alice).json()
    assert done["status"] == "done" and done["summary"]["imported"] == 2
    assert done["progress"]["done"] == 2

    upload = SimpleUploadedFile("s.eml", STRANGER_AGAIN)
    response = client.post(f"{API}/imports", {"file": upload}, **api_ada)
    assert response.status_code == 202, response.content
    _run_all()
    triage = client.get(f"{API}/triage", **api_ada).json()["items"]
    assert [m["from_address"] for m in triage] == ["zed@nowhere.example"]
    assigned = client.post(
        f"{API}/triage/{triage[0]['id']}/assign",
        data={"client": world.acme.pk},
        content_type="application/json",
        **api_ada,
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["client"] == world.acme.pk
    again = client.post(
        f"{API}/triage/{triage[0]['id']}/assign",
        data={"client": world.acme.pk},
        content_type="application/json",
        **api_ada,
    )
    assert again.status_code == 404
    # Without a client, a non-admin's upload is refused.
    upload = SimpleUploadedFile("s.eml", STRANGER)
    refused = client.post(f"{API}/imports", {"file": upload}, **api_alice)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid"


def test_an_upload_larger_than_memory_streams_to_disk_and_imports(as_alice, world):
    body = b"A long line of the contract, repeated for size.\r\n" * 70_000  # ~3.4 MB
    big = (
        OUTLOOK_QP.split(b"\r\n\r\n", 1)[0].replace(b"multipart/alternative", b"text/plain")
        + b"\r\n\r\n"
        + body
    )
    assert _upload(as_alice, "big.eml", big, client=world.acme.pk).status_code == 303
    _run_all()
    job = Job.objects.get()
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["imported"] == 1
    assert bytes(EmailMessage.objects.get().raw.data) == big


def test_the_pages_have_no_inline_script_or_style(world):
    ada = _browser(world.ada)
    _upload(ada, "s.eml", STRANGER)
    _run_all()
    for url in (reverse("comms:import"), reverse("comms:import_jobs"), reverse("comms:triage")):
        response = ada.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>" not in html and 'style="' not in html and "hx-on" not in html, url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("script-src")[1]
    nav = ada.get(reverse("home")).content.decode()
    assert f'href="{reverse("comms:import")}"' in nav


# --- Uploads nobody imports are swept away --------------------------------------------


def test_stale_uploads_are_swept_but_not_those_a_job_will_read(world, data_dir, settings):
    import os
    import time
    from datetime import UTC, datetime

    from amends.comms import jobs
    from amends.comms.uploads import uploads_root

    settings.AMENDS_UPLOAD_RETENTION_HOURS = 48
    root = uploads_root()
    old_csv, queued, fresh = (root / (c * 32) for c in "abc")
    for folder in (old_csv, queued, fresh):
        folder.mkdir(parents=True)
        (folder / "upload.csv").write_text("when,summary\n")
    other = root / "not-an-upload"  # nothing but the random-named folders is touched
    other.mkdir()
    long_ago = time.time() - 72 * 3600
    for folder in (old_csv, queued, other):
        os.utime(folder, (long_ago, long_ago))
    Job.objects.create(
        kind="comms.import",
        payload={"path": f"uploads/{'b' * 32}/upload.csv", "format": "csv"},
        due_at=datetime.now(UTC),
    )
    jobs._last_sweep = None
    jobs.sweep_stale_uploads(datetime.now(UTC))
    assert not old_csv.exists()
    assert queued.exists() and fresh.exists() and other.exists()
    # A job that failed recently may be retried: its upload stays.
    Job.objects.update(status=Job.Status.FAILED, finished_at=datetime.now(UTC))
    jobs._last_sweep = None
    jobs.sweep_stale_uploads(datetime.now(UTC))
    assert queued.exists()
    # Once the job has run (or failed long ago), its upload may go too.
    Job.objects.update(status=Job.Status.DONE)
    jobs._last_sweep = None
    jobs.sweep_stale_uploads(datetime.now(UTC))
    assert not queued.exists() and fresh.exists()


def test_an_abandoned_csv_mapping_page_gives_a_clear_not_found_once_swept(world, data_dir):
    from amends.comms.meeting_actions import pending_csv
    from amends.core.errors import NotFound

    with pytest.raises(NotFound):
        pending_csv(world.alice, "d" * 32)


def test_the_nav_marks_import_on_the_import_pages_and_clients_on_a_clients_mail(
    as_alice, as_ada, world
):
    for browser, url in [
        (as_alice, reverse("comms:import")),
        (as_alice, reverse("comms:mailboxes")),
        (as_ada, reverse("comms:triage")),
    ]:
        html = browser.get(url).content.decode()
        assert 'aria-current="page">Import</a>' in html, url
        assert 'aria-current="page">Clients</a>' not in html, url
    html = as_alice.get(reverse("comms:for_client", args=[world.acme.pk])).content.decode()
    assert 'aria-current="page">Clients</a>' in html
    assert 'aria-current="page">Import</a>' not in html


def test_an_upload_counts_what_gmail_marked_as_spam(as_alice, world, data_dir, api_alice):
    spam = b"X-Gmail-Labels: Spam\r\n" + STRANGER
    response = _upload(as_alice, "takeout.mbox", _mbox(OUTLOOK_QP, spam), client=world.acme.pk)
    assert response.status_code == 303
    (job,) = _run_all()
    assert job.payload["summary"]["spam"] == 1 and job.payload["summary"]["imported"] == 1
    assert "1 spam left out (Gmail's Spam label, junk folders)." in job.progress_message
    page = as_alice.get(reverse("comms:import")).content.decode()
    assert "1 spam left out (Gmail&#x27;s Spam label, junk folders)." in page
    api = as_alice.get(f"{API}/imports/{job.pk}", **api_alice).json()
    assert api["summary"]["spam"] == 1
