"""Outlook's own files, as Outlook wrote them: a .pst from the Enron mailboxes, an .ost of
an Outlook.com account, and .msg files saved from Outlook 2016 (see
scripts/fetch_test_data.py: other projects publish them for their own tests). Each
message is rebuilt as an email, always the same bytes, and imported like any other."""

from __future__ import annotations

import email
import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amends.accounts.actions import create_user
from amends.comms import outlook
from amends.comms.actions import import_path
from amends.comms.importing import ParsedMessage, open_source, parse_message
from amends.comms.models import EmailMessage, RawMessage
from amends.comms.queries import list_emails
from amends.watch.models import Job
from tests.comms_import.fetched import DATA, run_jobs, sample

pytestmark = pytest.mark.django_db

API = "/api/v1"


def stored(subject: str) -> EmailMessage:
    return EmailMessage.objects.select_related("raw").get(subject=subject)


# --- .pst and .ost -----------------------------------------------------------------------


def test_a_pst_is_imported_folder_by_folder_and_only_once(world):
    pst = sample("enron.pst")
    summary = import_path(None, pst)
    assert summary.kind == "outlook"
    assert (summary.total, summary.seen, summary.imported) == (71, 71, 71)
    assert summary.rejected == []
    folders = {m.source.rsplit("#", 1)[0].rsplit("/", 1)[1] for m in EmailMessage.objects.all()}
    assert folders == {
        "MLOKAY (Non-Privileged)",
        "TW-Commercial Group",
        "Systems",
        "Sent Items",
        "Personal",
    }
    # The headers the message arrived with are kept as they were, then its bodies.
    sent = stored("Cirque du Soleil - Dralion")
    raw = bytes(sent.raw.data)
    assert raw.startswith(b"date: Mon, 29 Oct 2001 19:52:40 -0800 (PST)")
    assert b"Message-ID: <CTBITLRPOWHBS4AJABL1YK4IP2J3324IA@zlsvr22>\n" in raw
    assert sent.message_id == "CTBITLRPOWHBS4AJABL1YK4IP2J3324IA@zlsvr22"
    assert "Transwestern Commercial group is confirmed" in sent.text_body
    assert "/Sent Items#" in sent.source
    # The same file again: the same bytes, so nothing new.
    again = import_path(None, pst)
    assert (again.imported, again.duplicates) == (0, 71)
    assert RawMessage.objects.count() == 71


def test_an_ost_keeps_the_mail(world):
    ost = sample("outlook.com.ost")
    # The mailbox's owner works here: what they sent is ours, the rest the client's.
    create_user(None, username="pst", password=None, email="pstextractortest@outlook.com")
    summary = import_path(None, ost, client=world.acme)
    # Its calendars are read on their own (test_outlook_calendar.py): nothing left out.
    assert (summary.total, summary.seen, summary.imported) == (13, 13, 13)
    assert summary.rejected == []
    # Outlook's own sync log is not mail from anyone.
    assert not EmailMessage.objects.filter(subject__startswith="Synchronization Log").exists()
    # Attachments are listed with their names and types; invitations are mail too.
    attached = stored("text, jpg, pdf attachments")
    assert sorted((a["filename"], a["content_type"]) for a in attached.attachments) == [
        ("Clinometer Usage.pdf", "application/pdf"),
        (
            "primoz-roglic-of-slovenia-and-team-jumbo-visma-red-leader-news-photo-1628610563.jpg",
            "image/jpeg",
        ),
        ("text.txt", "text/plain"),
    ]
    assert attached.from_address == "epfromer@gmail.com"
    assert attached.to_addresses == ["pstextractortest@outlook.com"]
    assert EmailMessage.objects.filter(subject__startswith="Invitation: ").count() == 3
    # A message Outlook sent has no received headers: they are made from what it kept.
    # Its sender is named by an Exchange address only (/o=First Organization/…/cn=…);
    # the mail the mailbox received pairs that address with the owner's own.
    sent = stored("meeting with attachments (jpg, pdf, text)")
    raw = bytes(sent.raw.data)
    assert raw.startswith(
        b"From: Pst Extractor <pstextractortest@outlook.com>\nTo: epfromer@gmail.com\n"
        b"Date: Thu, 12 Aug 2021 20:41:29 +0000\nSubject: meeting with attachments"
    )
    assert sent.message_id.endswith("@BN7PR03MB3762.namprd03.prod.outlook.com")
    assert sent.from_address == "pstextractortest@outlook.com"
    directions = dict(EmailMessage.objects.values_list("subject", "direction"))
    assert directions["meeting with attachments (jpg, pdf, text)"] == "out"
    assert directions["Accepted: meeting from Ed"] == "out"
    assert directions["text, jpg, pdf attachments"] == "in"
    # HTML in the cp1252 code page Outlook stored it in reads as it was written.
    welcome = stored("Welcome to your new Outlook.com account")
    assert "productive\u2014at work" in welcome.text_body
    assert EmailMessage.objects.filter(client=world.acme).count() == 13


def test_the_same_message_is_rebuilt_as_the_same_bytes(world, tmp_path):
    """A copy of the file, elsewhere, under another name: nothing new."""
    ost = sample("outlook.com.ost")
    import_path(None, ost)
    copy = tmp_path / "Outlook backup.ost"
    shutil.copyfile(ost, copy)
    again = import_path(None, copy)
    assert (again.imported, again.duplicates) == (0, 13)


def test_a_folder_export_with_a_data_file_and_messages(world, tmp_path):
    folder = tmp_path / "export"
    (folder / "Saved").mkdir(parents=True)
    shutil.copyfile(sample("enron.pst"), folder / "Archive 2001.pst")
    shutil.copyfile(sample("outlook-2016.msg"), folder / "Saved" / "asdf.msg")
    shutil.copyfile(sample("top-level-email.msg"), folder / "Saved" / "draft.msg")
    source = open_source(folder)
    assert source.total == 73
    summary = import_path(None, folder)
    assert (summary.seen, summary.imported, summary.rejected) == (73, 73, [])


def test_a_damaged_data_file_says_so_and_keeps_what_it_could_read(world, tmp_path):
    whole = sample("enron.pst").read_bytes()
    cut = tmp_path / "cut.pst"
    cut.write_bytes(whole[: len(whole) // 3])
    summary = import_path(None, cut)
    assert summary.seen >= 1
    assert summary.rejected, "a third of the file cannot hold all 71 messages"
    for where, why in summary.rejected:
        assert why, where
    assert EmailMessage.objects.count() == summary.imported
    header_only = tmp_path / "header.pst"
    header_only.write_bytes(whole[:512])
    alone = import_path(None, header_only)
    assert alone.imported == 0
    assert alone.rejected[0][1].startswith("a damaged Outlook data file (.pst, .ost)")


def test_the_command_line_reads_a_data_file(world, tmp_path):
    out = io.StringIO()
    call_command("import", str(sample("outlook.com.ost")), stdout=out)
    text = out.getvalue()
    assert "(outlook)" in text
    assert "13 imported" in text
    # The calendars beside the mail (here all outside the default window).
    assert "Imported meetings from" in text and "0 rejected" in text.split("meetings from")[1]


# --- .msg --------------------------------------------------------------------------------


def test_a_msg_file_is_imported_with_its_headers_and_attachment(world):
    summary = import_path(None, sample("outlook-2016.msg"))
    assert (summary.imported, summary.rejected) == (1, [])
    message = stored("asdf")
    assert message.from_address == "christoph@freiraum.xyz"
    assert message.message_id == "000001d3c2c0$e7ca4aa0$b75edfe0$@freiraum.xyz"
    assert message.sent_at.isoformat() == "2018-03-23T16:06:29+00:00"
    assert [a["content_type"] for a in message.attachments] == ["image/jpeg"]
    raw = bytes(message.raw.data)
    assert raw.startswith(b"Return-Path: <christoph@freiraum.xyz>\nReceived: from DESKTOPGBT9Q6P")
    assert b"X-Mailer: Microsoft Outlook 16.0\n" in raw
    assert import_path(None, sample("outlook-2016.msg")).duplicates == 1


def test_a_msg_without_received_headers_gets_them_from_outlook(world):
    """A draft saved from Outlook: no Message-ID to know it again by, so the same file
    must give the same bytes."""
    summary = import_path(None, sample("top-level-email.msg"))
    assert summary.imported == 1
    message = stored("Top level email")
    assert message.to_addresses == ["someone1@gmail.com", "someone2@gmail.com"]
    assert message.cc_addresses == ["ccsomeoneelse1@gmail.com", "ccsomeoneelse2@gmail.com"]
    assert message.message_id == ""
    # The Outlook message attached to it is an attached message, as in Outlook.
    assert message.text_body.strip() == "Top level email text"
    assert [(a["filename"], a["content_type"]) for a in message.attachments] == [
        ("Embedded email.eml", "message/rfc822"),
        ("pigeon.jpg", "application/octet-stream"),
    ]
    assert import_path(None, sample("top-level-email.msg")).duplicates == 1
    assert EmailMessage.objects.count() == 1


def test_other_outlook_items_and_office_files_are_named():
    """What extract-msg says about a file that is no message, or a damaged one."""
    assert outlook.message_kind("IPM.Appointment") == "calendar item"
    assert outlook.message_kind("IPM.Contact") == "contact"
    assert outlook.message_kind("IPM.Note.SMIME") == ""
    assert outlook.message_kind("IPM.Schedule.Meeting.Request") == ""
    assert outlook.folder_kind("IPF.Appointment") == "calendar item"
    assert outlook.folder_kind("IPF.Note") == ""
    assert outlook.folder_kind("") == ""
    data, why = outlook.msg_to_email(outlook.MSG_MAGIC + bytes(4000))
    assert data is None and why.startswith("a damaged Outlook message (.msg)")
    whole = sample("outlook-2016.msg").read_bytes()
    # An OLE file that is no Outlook item (the message's property stream renamed away).
    other = whole.replace(
        "__properties_version1.0".encode("utf-16-le"), "__properties_version1.X".encode("utf-16-le")
    ).replace("__substg1.0_001A".encode("utf-16-le"), "__substg1.0_XXXX".encode("utf-16-le"))
    assert outlook.msg_to_email(other) == (
        None,
        "not an email: an Office document or another OLE file",
    )
    for cut in (512, 2048, len(whole) // 2):  # read as far as it goes, or said why not
        data, why = outlook.msg_to_email(whole[:cut])
        assert data is not None or why.startswith("a damaged Outlook message (.msg)")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.integers(min_value=0, max_value=3000))
@example(garbage=b"\x00\x00\x02", at=523)  # found by Hypothesis: no header left readable
def test_a_hostile_msg_never_raises(garbage, at):
    """Arbitrary bytes, alone or over part of a real .msg: a message or a reason."""
    real = (
        (DATA / "outlook-2016.msg").read_bytes() if (DATA / "outlook-2016.msg").is_file() else b""
    )
    for data in (outlook.MSG_MAGIC + garbage, real[:at] + garbage + real[at + len(garbage) :]):
        built, why = outlook.msg_to_email(data)
        assert (built is None) == bool(why)
        if built is not None:
            assert isinstance(parse_message(built), ParsedMessage)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=600_000))
def test_a_hostile_data_file_never_stops_the_import(tmp_path_factory, garbage, at):
    """Bytes overwritten anywhere in the first blocks of a real .ost: the import ends,
    with what it read and why the rest was not."""
    ost = DATA / "outlook.com.ost"
    if not ost.is_file():
        pytest.skip("outlook.com.ost not fetched: run `make test-data`")
    data = bytearray(ost.read_bytes()[:1_000_000])
    data[at : at + len(garbage)] = garbage
    path = tmp_path_factory.mktemp("hostile") / "damaged.ost"
    path.write_bytes(bytes(data))
    source = open_source(path)
    items = list(source.items)
    assert items
    for item in items:
        assert item.data is not None or item.rejected or item.junk is not None


# --- Upload (page and API) and who sees what ----------------------------------------------


@pytest.fixture
def data_dir(settings, tmp_path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


def test_a_pst_and_a_zip_of_msg_files_uploaded_on_the_page(as_alice, world, data_dir):
    pst = SimpleUploadedFile("Outlook.pst", sample("outlook.com.ost").read_bytes())
    response = as_alice.post(reverse("comms:import"), {"file": pst, "client": world.acme.pk})
    assert response.status_code == 303
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Saved mail/asdf.msg", sample("outlook-2016.msg").read_bytes())
        archive.writestr("Saved mail/draft.msg", sample("top-level-email.msg").read_bytes())
    zipped = SimpleUploadedFile("saved.zip", buffer.getvalue())
    response = as_alice.post(reverse("comms:import"), {"file": zipped, "client": world.acme.pk})
    assert response.status_code == 303
    run_jobs()
    jobs = list(Job.objects.filter(kind="comms.import").order_by("pk"))
    assert [job.status for job in jobs] == ["done", "done"], [j.last_error for j in jobs]
    assert jobs[0].payload["summary"]["imported"] == 13
    assert jobs[1].payload["summary"]["imported"] == 2
    assert list_emails(world.alice).count() == 15
    # Carol, an outsider to Acme, sees none of it.
    assert list_emails(world.carol).count() == 0
    listing = as_alice.get(reverse("comms:import_jobs"))
    assert b"13 imported" in listing.content


def test_a_msg_uploaded_through_the_api(client, world, data_dir, api_alice, api_carol):
    upload = SimpleUploadedFile("Re invoice.msg", sample("outlook-2016.msg").read_bytes())
    response = client.post(f"{API}/imports", {"file": upload, "client": world.acme.pk}, **api_alice)
    assert response.status_code == 202, response.content
    run_jobs()
    job = client.get(f"{API}/imports/{response.json()['id']}", **api_alice).json()
    assert job["status"] == "done" and job["summary"]["imported"] == 1
    message = EmailMessage.objects.get()
    assert message.client == world.acme
    digest = hashlib.sha256(bytes(message.raw.data)).hexdigest()
    assert message.raw.sha256 == digest
    seen = client.get(f"{API}/emails/{message.pk}", **api_carol)
    assert seen.status_code == 404
    assert client.get(f"{API}/imports/{response.json()['id']}", **api_carol).status_code == 404


def test_a_reader_that_dies_midway_ends_the_stream_saying_so(world):
    """libpff is C: should it crash on a file, the import goes on without it."""
    import multiprocessing
    import os
    import signal

    total, items = outlook.pst_items(sample("enron.pst"), "enron.pst", 25 * 1024 * 1024)
    first = next(items)
    assert first.data
    (reader,) = [p for p in multiprocessing.active_children() if p.name == "amends-outlook"]
    os.kill(reader.pid, signal.SIGKILL)
    rest = list(items)
    assert rest[-1].rejected.startswith("a damaged Outlook data file: reading it stopped after")
    assert rest[-1].rejected.endswith(f"of {total} items")
    assert not [p for p in multiprocessing.active_children() if p.name == "amends-outlook"]


def test_a_reader_that_goes_silent_is_stopped(world, monkeypatch, tmp_path):
    """A damaged file can make libpff loop: a reader that sends nothing for
    READER_SILENCE seconds is stopped, and the import goes on. (Here it waits, forever,
    for someone to write into a named pipe.)"""
    import multiprocessing
    import os

    monkeypatch.setattr(outlook, "READER_SILENCE", 1)
    fifo = tmp_path / "stuck.pst"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="a damaged Outlook data file: it cannot be read"):
        outlook.pst_items(fifo, "stuck.pst", 25 * 1024 * 1024)
    assert not [p for p in multiprocessing.active_children() if p.name == "amends-outlook"]


def test_a_folder_of_contacts_is_one_line_and_a_calendar_none():
    """Contacts, tasks and notes are left out and counted once per folder; a calendar's
    items are read by `pst_calendars` instead (test_outlook_calendar.py)."""
    contacts = outlook._Folder(folder=None, names=("Contacts",), count=3, holds="contact")
    tags = outlook._NamedTags(None)
    (found,) = outlook._folder_items(contacts, "Mailbox.pst", 1024, outlook._Addresses(), tags)
    assert (found.label, found.rejected) == (
        "Mailbox.pst/Contacts",
        "3 contacts left out: Amends imports the mail and the calendars in an Outlook data file",
    )
    assert outlook._items_sent(contacts) == 1
    calendar = outlook._Folder(folder=None, names=("Calendar",), count=9, holds="calendar item")
    found_in_calendar = outlook._folder_items(
        calendar, "Mailbox.pst", 1024, outlook._Addresses(), tags
    )
    assert list(found_in_calendar) == []
    assert outlook._items_sent(calendar) == 0


def test_outlook_messages_attached_to_a_msg_stay_attached_messages():
    """An Outlook message attached to another (msg-parser's test files): extract-msg
    pours the attached one's headers and words into the body; each is an attached
    message again, named as Outlook named it, with its own subject and words."""
    folder = DATA / "mail" / "msg-parser"
    if not folder.is_dir():
        pytest.skip("msg-parser not fetched: run `make test-data` (scripts/fetch_test_data.py)")
    data, why = outlook.msg_to_email((folder / "outer.msg").read_bytes())
    assert data is not None, why
    parsed = parse_message(data)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.subject == "outer subject" and parsed.text.strip() == "Outer body"
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("test.eml", "message/rfc822")
    ]
    inner = email.message_from_bytes(data).get_payload()[0].get_payload()[1].get_payload()[0]
    assert inner["Subject"] == "test" and "body" in inner.as_string()
    assert outlook.msg_to_email((folder / "outer.msg").read_bytes())[0] == data  # the same
    data, why = outlook.msg_to_email((folder / "complete.msg").read_bytes())
    assert data is not None, why
    parsed = parse_message(data)
    assert isinstance(parsed, ParsedMessage)
    kinds = [a.content_type for a in parsed.attachments]
    assert kinds.count("message/rfc822") == 6 and len(kinds) == 10
    assert "Create a database on Azure" not in parsed.text  # an attached message's words
