"""Importing email: byte for byte, idempotent, resumable, matched, threaded, scoped."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from amends.cases.models import Case
from amends.clients.actions import add_contact
from amends.clients.models import Contact, TimelineEntry
from amends.comms.actions import assign_message, import_path
from amends.comms.importing import SourceError
from amends.comms.models import Communication, EmailMessage, RawMessage
from amends.comms.queries import (
    get_email_for,
    list_communications,
    list_emails,
    list_thread,
    list_unmatched,
)
from amends.core.errors import NotFound
from tests.comms_import import messages as m
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def counts() -> tuple[int, int, int]:
    return RawMessage.objects.count(), EmailMessage.objects.count(), Communication.objects.count()


def stored(data: bytes) -> bytes:
    import hashlib

    return bytes(RawMessage.objects.get(sha256=hashlib.sha256(data).hexdigest()).data)


def ago(**delta) -> str:
    return format_datetime(timezone.now() - timedelta(**delta))


def test_a_folder_of_real_world_email_is_kept_byte_for_byte(world, tmp_path):
    files = {f"inbox/{i:02d}-{name}": data for i, (name, data) in enumerate(m.ALL.items())}
    write(tmp_path, files)
    summary = import_path(None, tmp_path)
    assert (summary.kind, summary.seen, summary.total) == ("folder", 16, 16)
    assert summary.duplicates == 1  # dup-b has dup-a's Message-ID
    assert summary.rejected == []
    assert summary.imported == 15
    assert summary.unmatched == 1  # the malformed From names nobody
    for name, data in m.ALL.items():
        if name != "dup-b.eml":
            assert stored(data) == data, name
    assert EmailMessage.objects.get(message_id="dup@acme.example").text_body == "First.\n"
    assert EmailMessage.objects.filter(message_id="").count() == 1  # no Message-ID, kept


def test_reimporting_the_same_data_creates_nothing(world, tmp_path):
    write(tmp_path, m.ALL)
    import_path(None, tmp_path)
    before = counts()
    timeline = TimelineEntry.objects.count()
    again = import_path(None, tmp_path)
    assert (again.imported, again.duplicates, again.seen) == (0, 16, 16)
    assert counts() == before
    assert TimelineEntry.objects.count() == timeline


def test_a_message_without_message_id_is_deduplicated_by_content(world, tmp_path):
    path = write(tmp_path, {"a.eml": m.NO_MESSAGE_ID})
    assert import_path(None, path / "a.eml").imported == 1
    assert import_path(None, path / "a.eml").duplicates == 1
    assert EmailMessage.objects.count() == 1


def test_imported_email_reaches_the_timeline_with_its_fields(world, tmp_path):
    write(tmp_path, {"o.eml": m.OUTLOOK_QP})
    import_path(None, tmp_path / "o.eml")
    email = EmailMessage.objects.get()
    comm = email.communication
    assert comm is not None
    assert (comm.client, comm.channel, comm.direction) == (world.acme, "email", "in")
    assert comm.contact == world.contact
    assert comm.occurred_at == email.sent_at
    assert comm.subject == "Launch date – we need answers"
    assert TimelineEntry.objects.filter(kind="comm.email", subject_id=comm.pk).exists()


def test_missing_date_uses_the_import_time(world, tmp_path):
    write(tmp_path, {"n.eml": m.NO_DATE})
    before = timezone.now()
    import_path(None, tmp_path / "n.eml")
    email = EmailMessage.objects.get()
    assert email.sent_at is None and email.occurred_at >= before
    assert email.communication.occurred_at >= before


def test_mbox_is_streamed_and_from_quoting_undone(world, tmp_path):
    body_with_from = m.simple(
        1, body=b"Hello,\nFrom the start we said so.\n>From a quote already\nBye\n"
    )
    escaped = body_with_from.replace(b"\n>From a", b"\n>>From a").replace(
        b"\nFrom the", b"\n>From the"
    )
    mbox = b""
    for data in [escaped, m.GMAIL_REPLY, m.OUTLOOK_QP.replace(b"\r\n", b"\n")]:
        mbox += b"From MAILER-DAEMON Mon Jul  6 09:00:00 2026\n" + data + b"\n"
    path = tmp_path / "Takeout.mbox"
    path.write_bytes(mbox)
    summary = import_path(None, path)
    assert (summary.kind, summary.total, summary.imported) == ("mbox", 3, 3)
    assert stored(body_with_from) == body_with_from
    assert stored(m.GMAIL_REPLY) == m.GMAIL_REPLY
    assert (
        "From the start we said so."
        in EmailMessage.objects.get(message_id="m1@acme.example").text_body
    )
    assert import_path(None, path).duplicates == 3


def test_an_mbox_message_without_any_date_takes_its_from_lines(world, tmp_path):
    box = tmp_path / "All mail.mbox"
    message = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Undated\n"
        b"Message-ID: <undated@acme.example>\n\nNo date here.\n"
    )
    box.write_bytes(b"From 1790000000000000001@xxx Thu Jun 01 12:00:00 +0000 2023\n" + message)
    assert import_path(None, box).imported == 1
    email = EmailMessage.objects.get(message_id="undated@acme.example")
    assert email.occurred_at.isoformat().startswith("2023-06-01T12:00:00")
    assert any('its "From " line' in p for p in email.problems)
    assert stored(message) == message  # the envelope line is not part of the message


def test_maildir_reads_cur_and_new_and_skips_tmp_and_symlinks(world, tmp_path):
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "cur" / "1720000000.1.host:2,S").write_bytes(m.simple(1))
    (box / "new" / "1720000001.2.host").write_bytes(m.simple(2))
    (box / "tmp" / "1720000002.3.host").write_bytes(m.simple(3))
    outside = tmp_path / "secret.eml"
    outside.write_bytes(m.simple(4))
    os.symlink(outside, box / "cur" / "1720000003.4.host:2,S")
    summary = import_path(None, box)
    assert (summary.kind, summary.seen, summary.imported) == ("maildir", 2, 2)
    assert set(EmailMessage.objects.values_list("message_id", flat=True)) == {
        "m1@acme.example",
        "m2@acme.example",
    }


def test_folder_import_skips_symlinks_and_other_files(world, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.eml").write_bytes(m.simple(9))
    notes = b"Date: Monday\nSubject: what to ask\n\nNotes, not a message.\n"
    inbox = write(tmp_path / "inbox", {"a.eml": m.simple(1), "notes.txt": notes})
    os.symlink(outside, inbox / "linked-dir")
    os.symlink(outside / "private.eml", inbox / "linked.eml")
    summary = import_path(None, inbox)
    assert (summary.seen, summary.imported) == (1, 1)


def test_messages_in_files_without_an_extension_are_read(world, tmp_path):
    # An MH folder (Claws Mail, Sylpheed, nmh): one message a file, named by number.
    mh = write(
        tmp_path / "Claws" / "inbox",
        {"1": m.simple(1), "2": m.simple(2), "10": m.simple(3), ".mh_sequences": b"unseen: 2\n"},
    )
    (mh / "README").write_text("Subject: not a message\nJust notes about this folder.\n")
    (mh / "notes.txt").write_text("Date: Monday\nSubject: agenda\n\nnot a message either\n")
    (mh / "notes").write_bytes(b"\x00\x01 binary")
    summary = import_path(None, mh.parent)
    assert (summary.seen, summary.imported, summary.rejected) == (3, 3, [])
    assert stored(m.simple(3)) == m.simple(3)
    # An Outlook message saved without its .msg is read as one too.
    msg = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "outlook-2016.msg"
    if not msg.is_file():
        pytest.skip("outlook-2016.msg not fetched: run `make test-data`")
    (mh / "11").write_bytes(msg.read_bytes())
    summary = import_path(None, mh.parent)
    assert (summary.seen, summary.imported, summary.duplicates) == (4, 1, 3)
    # And a message saved as .txt (as HyperKitty's archives hold one).
    (mh / "saved.txt").write_bytes(m.simple(4))
    summary = import_path(None, mh.parent)
    assert (summary.seen, summary.imported, summary.duplicates) == (5, 1, 4)


def test_a_bad_message_is_rejected_with_a_reason_and_the_batch_goes_on(world, tmp_path, settings):
    settings.AMENDS_MAX_MESSAGE_BYTES = 50_000
    write(
        tmp_path,
        {
            "1.eml": m.simple(1),
            "2-picture.eml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "3-huge.eml": m.HUGE_LINE,
            "4.eml": m.simple(4),
        },
    )
    summary = import_path(None, tmp_path)
    assert summary.imported == 2
    reasons = dict((Path(label).name, reason) for label, reason in summary.rejected)
    assert reasons == {
        "2-picture.eml": "not an email: no headers",
        "3-huge.eml": "larger than 0.0476837 MB",
    }


PST = b"!BDN\x00\x00\x00\x00SM\x17\x00" + bytes(4000)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)


def test_damaged_outlook_files_and_archives_are_rejected_saying_what_to_do(
    world, tmp_path, settings
):
    """Outlook's files are read (tests/comms_import/test_outlook.py); damaged ones are
    listed with what is wrong, and the rest of the export is imported."""
    settings.AMENDS_MAX_MESSAGE_BYTES = 50_000
    write(
        tmp_path / "export",
        {
            "1.eml": m.simple(1),
            "Archive.pst": PST + bytes(100_000),  # larger than a message may be: still named
            "offline.ost": b"damaged",
            "Re Invoice.msg": OLE,
            "Mac export.olm": b"PK\x03\x04" + bytes(100),
            "mime-after-all.msg": m.simple(2),  # a .msg that is a message is read as one
            "notes.txt": b"not mail, left out",
        },
    )
    summary = import_path(None, tmp_path / "export")
    assert summary.imported == 2
    reasons = dict((Path(label).name, reason) for label, reason in summary.rejected)
    assert set(reasons) == {"Archive.pst", "offline.ost", "Re Invoice.msg", "Mac export.olm"}
    assert reasons["Archive.pst"].startswith(
        "a damaged Outlook data file (.pst, .ost): it cannot be opened ("
    )
    assert reasons["offline.ost"].startswith("a damaged Outlook data file (.pst, .ost)")
    assert reasons["Re Invoice.msg"].startswith("a damaged Outlook message (.msg)")
    assert "save it as an .mbox" in reasons["Mac export.olm"]
    # One file on its own, however large: what is wrong, not "larger than 0.05 MB".
    (tmp_path / "Big.pst").write_bytes(PST + bytes(200_000))
    alone = import_path(None, tmp_path / "Big.pst")
    assert [reason for _, reason in alone.rejected] == [reasons["Archive.pst"]]
    (tmp_path / "takeout.zip").write_bytes(b"PK\x03\x04" + bytes(100))
    (tmp_path / "takeout.tgz").write_bytes(b"\x1f\x8b\x08" + bytes(100))
    zipped = import_path(None, tmp_path / "takeout.zip").rejected[0][1]
    assert zipped.startswith("not an email: a zip archive; import the .zip itself (amends import")
    gzipped = import_path(None, tmp_path / "takeout.tgz").rejected[0][1]
    assert gzipped.startswith("not an email: a gzip file (.gz, .tgz); import it itself (amends")


def test_an_interrupted_import_resumes_to_the_exact_count(world, tmp_path):
    write(tmp_path, {f"{i:03d}.eml": m.simple(i) for i in range(25)})

    def crash_at_17(summary):
        if summary.seen == 17:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_path(None, tmp_path, progress=crash_at_17, batch_size=10)
    assert EmailMessage.objects.count() == 10  # the first batch was committed
    summary = import_path(None, tmp_path, batch_size=10)
    assert (summary.imported, summary.duplicates) == (15, 10)
    assert EmailMessage.objects.count() == Communication.objects.count() == 25


def test_a_missing_path_is_an_error(world, tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        import_path(None, tmp_path / "nope.mbox")


# --- Matching and direction ---------------------------------------------------------------


def test_a_contact_address_beats_the_client_domain(world, tmp_path):
    add_contact(world.carol, world.globex, name="Moonlighter", email="moon@acme.example")
    write(tmp_path, {"a.eml": m.simple(1, sender="moon@acme.example")})
    import_path(None, tmp_path)
    assert EmailMessage.objects.get().client == world.globex


def test_the_client_domain_matches_when_no_contact_does(world, tmp_path):
    write(tmp_path, {"a.eml": m.simple(1, sender="New Person <new.person@ACME.example>")})
    import_path(None, tmp_path)
    comm = EmailMessage.objects.get().communication
    assert comm.client == world.acme and comm.contact is None and comm.direction == "in"


def test_unknown_senders_wait_in_triage(world, tmp_path):
    write(tmp_path, {"a.eml": m.simple(1, sender="stranger@newco.example")})
    summary = import_path(None, tmp_path)
    assert summary.unmatched == 1
    email = EmailMessage.objects.get()
    assert email.client is None and email.communication is None
    assert list(list_unmatched(world.ada)) == [email]


def test_our_reply_goes_out_and_stops_the_first_response_clock(world, tmp_path):
    write(
        tmp_path,
        {
            "r.eml": m.simple(
                1, sender="Alice <alice@firm.example>", to="dana@acme.example", date=ago(hours=1)
            )
        },
    )
    import_path(None, tmp_path)
    comm = EmailMessage.objects.get().communication
    assert (comm.direction, comm.client, comm.contact, comm.person) == (
        "out",
        world.acme,
        world.contact,
        world.alice,
    )
    world.case.refresh_from_db()
    assert world.case.first_response_at == comm.occurred_at


def test_our_sent_copy_to_a_client_only_by_bcc_is_the_clients(world, tmp_path, client):
    # A sent folder keeps the Bcc header of what we sent; to ourselves, Bcc the client.
    write(
        tmp_path,
        {
            "s.eml": m.simple(
                1,
                sender="Alice <alice@firm.example>",
                to="alice@firm.example",
                extra=b"Bcc: Dana <dana@acme.example>, someone@elsewhere.example\n",
            ),
            "folded.eml": m.simple(
                2,
                sender="alice@firm.example",
                to="bob@firm.example",
                extra=(
                    b"Bcc: =?utf-8?q?Dana_Cli=C3=ABnt?= <dana@acme.example>,\n"
                    b" news@acme.example\n"  # folded onto a second line
                ),
            ),
        },
    )
    import_path(None, tmp_path)
    for email in EmailMessage.objects.all():
        assert email.bcc_addresses[0] == "dana@acme.example"
        comm = email.communication
        assert (comm.direction, comm.client, comm.contact) == ("out", world.acme, world.contact)
    assert EmailMessage.objects.get(message_id="m2@acme.example").bcc_addresses == [
        "dana@acme.example",
        "news@acme.example",
    ]
    # The message page and the API show the blind copies of our sent copy.
    email = EmailMessage.objects.get(message_id="m1@acme.example")
    client.force_login(world.alice)
    page = client.get(reverse("comms:detail", args=[email.communication_id])).content.decode()
    assert "<dt>Bcc</dt><dd>dana@acme.example, someone@elsewhere.example</dd>" in page
    api = client.get(
        f"/api/v1/emails/{email.pk}", headers={"Authorization": f"Bearer {token_for(world.alice)}"}
    ).json()
    assert api["bcc"] == ["dana@acme.example", "someone@elsewhere.example"]


def test_assigning_a_bcc_only_message_from_triage_teaches_its_recipient(world, tmp_path):
    write(
        tmp_path,
        {
            "s.eml": m.simple(
                1,
                sender="alice@firm.example",
                to="alice@firm.example",
                extra=b"Bcc: Sam New <sam@newco.example>\n",
            )
        },
    )
    import_path(None, tmp_path)
    email = EmailMessage.objects.get()
    assert email.client is None and email.bcc_addresses == ["sam@newco.example"]
    comm = assign_message(world.ada, email, world.globex)
    assert (comm.direction, comm.contact.email) == ("out", "sam@newco.example")


def test_our_domains_setting_decides_direction(world, tmp_path, settings):
    settings.AMENDS_OUR_DOMAINS = ["agency.example", "firm.example"]
    write(tmp_path, {"r.eml": m.simple(1, sender="zoe@agency.example", to="dana@acme.example")})
    import_path(None, tmp_path)
    assert EmailMessage.objects.get().communication.direction == "out"


def test_naming_a_client_puts_everything_on_it(world, tmp_path):
    write(tmp_path, {"a.eml": m.simple(1, sender="someone@nowhere.example")})
    summary = import_path(world.carol, tmp_path, client=world.globex)
    assert summary.unmatched == 0
    assert EmailMessage.objects.get().client == world.globex


def test_only_admins_import_for_every_client(world, tmp_path):
    write(tmp_path, {"a.eml": m.simple(1)})
    with pytest.raises(PermissionDenied):
        import_path(world.alice, tmp_path)
    with pytest.raises(PermissionDenied):
        import_path(world.carol, tmp_path, client=world.acme)
    assert import_path(world.alice, tmp_path, client=world.acme).imported == 1


def test_assigning_from_triage_teaches_the_match(world, tmp_path):
    write(tmp_path, {"a.eml": m.simple(1, sender="Sam New <sam@newco.example>")})
    import_path(None, tmp_path)
    email = EmailMessage.objects.get()
    with pytest.raises(PermissionDenied):
        assign_message(world.alice, email, world.globex)
    comm = assign_message(world.ada, email, world.globex)
    assert (comm.client, comm.direction, comm.contact.email) == (
        world.globex,
        "in",
        "sam@newco.example",
    )
    assert Contact.objects.get(email="sam@newco.example").name == "Sam New"
    assert list(list_unmatched(world.ada)) == []
    write(tmp_path, {"b.eml": m.simple(2, sender="sam@newco.example")})
    import_path(None, tmp_path / "b.eml")
    assert EmailMessage.objects.get(message_id="m2@acme.example").client == world.globex


# --- Threading --------------------------------------------------------------------------


def test_a_reply_joins_its_thread_by_headers(world, tmp_path):
    write(tmp_path, {"1.eml": m.OUTLOOK_QP, "2.eml": m.GMAIL_REPLY})
    import_path(None, tmp_path)
    first = EmailMessage.objects.get(message_id__startswith="AM0PR01")
    reply = EmailMessage.objects.get(message_id__startswith="CAF")
    assert first.thread_root_id == first.pk and reply.thread_root_id == first.pk
    assert list(list_thread(world.alice, reply)) == [first, reply]


def test_a_reply_imported_before_its_original_is_adopted(world, tmp_path):
    third = m.simple(
        3,
        extra=b"References: <m1@acme.example> <m2@acme.example>\nIn-Reply-To: <m2@acme.example>\n",
    )
    second = m.simple(2, extra=b"In-Reply-To: <m1@acme.example>\n")
    write(tmp_path, {"a.eml": third, "b.eml": second, "c.eml": m.simple(1)})
    import_path(None, tmp_path)
    root = EmailMessage.objects.get(message_id="m1@acme.example")
    assert set(EmailMessage.objects.values_list("thread_root_id", flat=True)) == {root.pk}


def _spanning_thread() -> dict[str, bytes]:
    """m1; m2, a reply to a message never imported (m9), so its own thread; m3, whose
    References name m1, m9 and m2: one conversation."""
    return {
        "1.eml": m.simple(1, date="Mon, 13 Jul 2026 09:00:00 +0000"),
        "2.eml": m.simple(
            2, date="Tue, 14 Jul 2026 09:00:00 +0000", extra=b"In-Reply-To: <m9@acme.example>\n"
        ),
        "3.eml": m.simple(
            3,
            date="Wed, 15 Jul 2026 09:00:00 +0000",
            extra=b"References: <m1@acme.example> <m9@acme.example> <m2@acme.example>\n"
            b"In-Reply-To: <m2@acme.example>\n",
        ),
    }


@pytest.mark.parametrize("order", list(itertools.permutations("123")))
@pytest.mark.parametrize("together", [True, False], ids=["one-import", "one-at-a-time"])
def test_a_reply_whose_references_span_two_threads_joins_them(world, tmp_path, order, together):
    files = _spanning_thread()
    if together:
        write(tmp_path, {f"{i}-{name}.eml": files[f"{name}.eml"] for i, name in enumerate(order)})
        import_path(None, tmp_path)
    else:
        for name in order:
            import_path(None, write(tmp_path / name, {"x.eml": files[f"{name}.eml"]}))
    # One thread, whatever the order, rooted at its earliest message.
    first = EmailMessage.objects.get(message_id="m1@acme.example")
    assert EmailMessage.objects.count() == 3
    assert set(EmailMessage.objects.values_list("thread_root_id", flat=True)) == {first.pk}


def test_references_into_another_clients_thread_join_nothing(world, tmp_path):
    add_contact(world.carol, world.globex, name="G", email="g@globex.example")
    files = _spanning_thread()
    files["2.eml"] = m.simple(
        2, sender="g@globex.example", extra=b"In-Reply-To: <m9@acme.example>\n"
    )
    write(tmp_path, files)
    import_path(None, tmp_path)
    by_id = {e.message_id: e for e in EmailMessage.objects.all()}
    one, two, three = (by_id[f"m{i}@acme.example"] for i in (1, 2, 3))
    assert two.client == world.globex and two.thread_root_id == two.pk
    assert one.thread_root_id == three.thread_root_id == one.pk


def test_subject_fallback_only_without_headers_and_within_30_days(world, tmp_path):
    write(
        tmp_path,
        {
            "1.eml": m.simple(1, subject="Budget", date=ago(days=40)),
            "2.eml": m.simple(2, subject="Re: Budget", date=ago(days=35)),
            "3.eml": m.simple(3, subject="AW: RE: budget", date=ago(days=2)),
            "4.eml": m.simple(
                4,
                subject="Re: Budget",
                date=ago(days=1),
                extra=b"In-Reply-To: <unknown@elsewhere.example>\n",
            ),
        },
    )
    import_path(None, tmp_path)
    by_id = {e.message_id: e for e in EmailMessage.objects.all()}
    one, two, three, four = (by_id[f"m{i}@acme.example"] for i in (1, 2, 3, 4))
    assert two.thread_root_id == one.pk  # 5 days apart, no headers
    assert three.thread_root_id == three.pk  # 33 days after the last "Budget": a new thread
    assert four.thread_root_id == four.pk  # has headers: no subject guessing


def test_subject_fallback_works_in_any_import_order(world, tmp_path):
    write(
        tmp_path,
        {
            "1.eml": m.simple(1, subject="Re: Budget", date=ago(days=3)),
            "2.eml": m.simple(2, subject="RE: Re: Budget", date=ago(days=2)),
            "3.eml": m.simple(3, subject="Budget", date=ago(days=4)),
        },
    )
    import_path(None, tmp_path)
    root = EmailMessage.objects.get(message_id="m3@acme.example")
    assert set(EmailMessage.objects.values_list("thread_root_id", flat=True)) == {root.pk}


def test_threads_do_not_cross_clients(world, tmp_path):
    add_contact(world.carol, world.globex, name="G", email="g@globex.example")
    reply = m.simple(2, sender="g@globex.example", extra=b"In-Reply-To: <m1@acme.example>\n")
    write(tmp_path, {"1.eml": m.simple(1), "2.eml": reply})
    import_path(None, tmp_path)
    other = EmailMessage.objects.get(message_id="m2@acme.example")
    assert other.client == world.globex and other.thread_root_id == other.pk


# --- Who sees what ------------------------------------------------------------------------


def test_outsider_cannot_see_imported_messages(world, tmp_path):
    write(tmp_path, {"a.eml": m.OUTLOOK_QP, "b.eml": m.simple(5, sender="x@unknown.example")})
    import_path(None, tmp_path)
    acme_email = EmailMessage.objects.get(client=world.acme)
    stranger = EmailMessage.objects.get(client__isnull=True)
    assert not list_communications(world.carol).filter(email__isnull=False).exists()
    assert list_communications(world.alice).filter(email=acme_email).exists()
    assert list(list_emails(world.carol)) == []
    assert list(list_emails(world.bob)) == [acme_email]
    with pytest.raises(NotFound):
        get_email_for(world.carol, acme_email.pk)
    with pytest.raises(NotFound):
        get_email_for(world.alice, stranger.pk)
    assert get_email_for(world.ada, stranger.pk) == stranger


def test_triage_is_for_admins_only(world, tmp_path):
    write(tmp_path, {"b.eml": m.simple(5, sender="x@unknown.example")})
    import_path(None, tmp_path)
    assert list(list_unmatched(world.carol)) == []
    assert list(list_unmatched(world.alice)) == []
    assert list_unmatched(world.ada).count() == 1


# --- CLI ----------------------------------------------------------------------------------


def test_cli_imports_and_prints_a_summary(world, tmp_path, capsys):
    write(tmp_path, {"a.eml": m.simple(1), "junk.eml": b"\x00\x01binary"})
    call_command("import", str(tmp_path))
    out = capsys.readouterr().out
    assert "1 imported" in out and "1 rejected" in out
    assert "junk.eml: not an email: no headers" in out
    call_command("import", str(tmp_path))
    assert "1 already there" in capsys.readouterr().out


def test_cli_client_option_and_errors(world, tmp_path, capsys):
    write(tmp_path, {"a.eml": m.simple(1, sender="who@nowhere.example")})
    call_command("import", str(tmp_path), "--client", str(world.globex.pk))
    assert EmailMessage.objects.get().client == world.globex
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="No client"):
        call_command("import", str(tmp_path), "--client", "999999")


def test_case_clock_untouched_by_inbound_mail(world, tmp_path):
    write(tmp_path, {"a.eml": m.simple(1, date=ago(hours=2))})
    import_path(None, tmp_path)
    assert Case.objects.get(pk=world.case.pk).first_response_at is None
