"""Meeting invitations in email (iTIP, RFC 5546), as Outlook, Google and Apple send them:
the meeting still to come is kept as coming up with the client (R22) — moved by an
update, never undone by an older copy, taken away by a cancellation — while replies,
plain calendar files and past meetings are left alone, and the email itself is kept as
it was, whatever its invitation holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from amends.comms.actions import import_path
from amends.comms.importing import ParsedMessage, parse_message
from amends.comms.meeting_actions import import_calendar_path, sequence_of
from amends.comms.models import (
    CancelledMeeting,
    Communication,
    EmailMessage,
    UpcomingMeeting,
)
from tests.comms_import.test_parsing import _both, _fields
from tests.comms_messages.conftest import store_bytes

pytestmark = pytest.mark.django_db

UID = "040000008200E00074C5B7101A82E00800000000@outlook.example"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics(
    method: str,
    start: datetime,
    *,
    sequence: int = 0,
    status: str = "CONFIRMED",
    sent: datetime | None = None,
) -> str:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
            "VERSION:2.0",
            f"METHOD:{method}",
            "BEGIN:VEVENT",
            f"UID:{UID}",
            f"SEQUENCE:{sequence}",
            f"STATUS:{status}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(start + timedelta(minutes=45))}",
            f"DTSTAMP:{_stamp(sent or timezone.now())}",
            "SUMMARY:Launch review",
            "LOCATION:Acme HQ\\, Bristol",
            "ORGANIZER;CN=Dana Client:mailto:dana@acme.example",
            "ATTENDEE;CN=Alice Owner;PARTSTAT=NEEDS-ACTION:mailto:alice@firm.example",
            "ATTENDEE;CN=Dana Client;PARTSTAT=ACCEPTED:mailto:dana@acme.example",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def outlook(n: int, method: str, start: datetime, **kw) -> bytes:
    """multipart/alternative: text, HTML and the text/calendar part, as Outlook sends."""
    ics = _ics(method, start, **kw)
    subject = {"REQUEST": "Invitation", "CANCEL": "Canceled", "REPLY": "Accepted"}[method]
    return (
        "From: Dana Client <dana@acme.example>\r\n"
        "To: Alice Owner <alice@firm.example>\r\n"
        f"Subject: {subject}: Launch review\r\n"
        f"Date: {timezone.now().strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <invite-{n}@acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Let's review the launch together.\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Let's review the launch together.</p>\r\n"
        f"--b1\r\nContent-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n"
        f"{ics}\r\n"
        "--b1--\r\n"
    ).encode()


def apple(n: int, start: datetime) -> bytes:
    """Apple Mail: the invitation as an attached invite.ics."""
    return (
        "From: Dana Client <dana@acme.example>\r\n"
        "To: alice@firm.example\r\n"
        "Subject: Invitation: Launch review\r\n"
        f"Date: {timezone.now().strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <apple-{n}@acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="m1"\r\n\r\n'
        "--m1\r\nContent-Type: text/plain\r\n\r\nSee the invitation.\r\n"
        '--m1\r\nContent-Type: text/calendar; method=REQUEST; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n\r\n'
        f"{_ics('REQUEST', start)}\r\n"
        "--m1--\r\n"
    ).encode()


def _import(tmp_path, *messages: bytes):
    folder = tmp_path / f"mail-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    for i, data in enumerate(messages):
        (folder / f"{i:02d}.eml").write_bytes(data)
    return import_path(None, folder)


def soon(days: int = 3) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0, second=0)


def test_an_invitation_keeps_the_meeting_as_coming_up_with_the_client(world, tmp_path):
    start = soon()
    summary = _import(tmp_path, outlook(1, "REQUEST", start))
    assert (summary.imported, summary.meetings) == (1, 1)
    meeting = UpcomingMeeting.objects.get()
    assert (meeting.client, meeting.subject, meeting.location) == (
        world.acme,
        "Launch review",
        "Acme HQ, Bristol",
    )
    assert meeting.starts_at == start and meeting.direction == "in"
    assert meeting.contact == world.contact
    assert meeting.source.startswith("invitation in ")
    # The email is kept as it was, its invitation listed with the attachments.
    email = EmailMessage.objects.get()
    assert [a["content_type"] for a in email.attachments] == ["text/calendar"]
    assert not Communication.objects.filter(channel="meeting").exists()
    # Importing it again changes nothing.
    again = _import(tmp_path, outlook(1, "REQUEST", start))
    assert again.duplicates == 1 and UpcomingMeeting.objects.count() == 1


def test_an_update_moves_it_an_older_copy_does_not_and_a_cancellation_takes_it_away(
    world, tmp_path
):
    _import(tmp_path, outlook(1, "REQUEST", soon(3)))
    _import(tmp_path, outlook(2, "REQUEST", soon(5), sequence=2))
    assert UpcomingMeeting.objects.get().starts_at == soon(5)
    _import(tmp_path, outlook(3, "REQUEST", soon(3), sequence=1))  # delivered late
    assert UpcomingMeeting.objects.get().starts_at == soon(5)
    summary = _import(tmp_path, outlook(4, "CANCEL", soon(5), sequence=3, status="CANCELLED"))
    assert summary.imported == 1 and not UpcomingMeeting.objects.exists()


def test_an_invitation_read_after_its_cancellation_does_not_bring_it_back(world, tmp_path):
    # An archive holds the cancellation before the invitation (file order, not date
    # order): the invitation is no newer than the cancellation, so it stays cancelled.
    now = timezone.now()
    summary = _import(
        tmp_path,
        outlook(1, "CANCEL", soon(5), sequence=1, status="CANCELLED", sent=now),
        outlook(2, "REQUEST", soon(5), sequence=1, sent=now - timedelta(hours=1)),
        outlook(3, "REQUEST", soon(3), sequence=0, sent=now - timedelta(hours=2)),
    )
    assert summary.imported == 3 and summary.meetings == 0
    assert not UpcomingMeeting.objects.exists()
    # Imported again, later, on its own: still cancelled.
    _import(tmp_path, outlook(2, "REQUEST", soon(5), sequence=1, sent=now - timedelta(hours=1)))
    assert not UpcomingMeeting.objects.exists()
    # The organiser reinstates it (a newer SEQUENCE): coming up again, and the
    # cancellation is forgotten, so the new time stands.
    summary = _import(tmp_path, outlook(4, "REQUEST", soon(6), sequence=2))
    assert summary.meetings == 1 and UpcomingMeeting.objects.get().starts_at == soon(6)
    assert not CancelledMeeting.objects.exists()


def test_a_meeting_reinstated_without_a_new_sequence_comes_back_when_sent_later(world, tmp_path):
    # Not every calendar raises SEQUENCE when it reinstates a meeting: an invitation
    # sent after the cancellation, at the same SEQUENCE, is the newer word.
    now = timezone.now()
    _import(tmp_path, outlook(1, "CANCEL", soon(5), sequence=1, status="CANCELLED", sent=now))
    summary = _import(
        tmp_path, outlook(2, "REQUEST", soon(6), sequence=1, sent=now + timedelta(hours=1))
    )
    assert summary.meetings == 1 and UpcomingMeeting.objects.get().starts_at == soon(6)


def test_an_older_cancellation_read_late_leaves_the_newer_meeting(world, tmp_path):
    _import(tmp_path, outlook(1, "REQUEST", soon(5), sequence=3))
    _import(tmp_path, outlook(2, "CANCEL", soon(5), sequence=1, status="CANCELLED"))
    assert sequence_of(UpcomingMeeting.objects.get().external_revision) == 3


def test_a_cancellation_for_one_client_does_not_hide_another_clients_meeting(world, tmp_path):
    folder = tmp_path / "cancel"
    folder.mkdir()
    (folder / "c.eml").write_bytes(outlook(1, "CANCEL", soon(5), sequence=1))
    import_path(None, folder, client=world.globex)
    assert CancelledMeeting.objects.get().client == world.globex
    # The same event, for the client its attendees belong to, is not Globex's.
    summary = _import(tmp_path, outlook(2, "REQUEST", soon(5), sequence=1))
    assert summary.meetings == 1 and UpcomingMeeting.objects.get().client == world.acme


def test_a_calendar_export_older_than_the_cancellation_does_not_bring_it_back(world, tmp_path):
    _import(tmp_path, outlook(1, "CANCEL", soon(5), sequence=2, status="CANCELLED"))
    calendar = tmp_path / "work.ics"
    calendar.write_text(_ics("PUBLISH", soon(5), sequence=1))
    summary = import_calendar_path(None, calendar)
    assert (summary.upcoming, summary.cancelled) == (0, 1)
    assert not UpcomingMeeting.objects.exists()
    calendar.write_text(_ics("PUBLISH", soon(4), sequence=3))
    assert import_calendar_path(None, calendar).upcoming == 1
    assert UpcomingMeeting.objects.get().starts_at == soon(4)


def test_replies_past_meetings_and_broken_invitations_are_left_alone(world, tmp_path):
    past = timezone.now() - timedelta(days=2)
    broken = outlook(3, "REQUEST", soon()).replace(b"BEGIN:VEVENT", b"BEGIN:VEVENT\r\nDTSTART:x")
    summary = _import(
        tmp_path,
        outlook(1, "REPLY", soon()),
        outlook(2, "REQUEST", past),
        broken,
    )
    assert (summary.imported, summary.meetings, summary.rejected) == (3, 0, [])
    assert not UpcomingMeeting.objects.exists()
    assert not Communication.objects.filter(channel="meeting").exists()  # nothing assumed held


def test_an_attached_invite_ics_and_a_live_mailbox_message_count_too(world):
    parsed = parse_message(apple(1, soon(4)))
    assert isinstance(parsed, ParsedMessage) and "METHOD:REQUEST" in parsed.invitation
    store_bytes(apple(1, soon(4)))  # as a mailbox poll stores it, one message at a time
    assert UpcomingMeeting.objects.get().starts_at == soon(4)


def test_both_parsers_read_an_invitation_alike():
    for data in (outlook(1, "REQUEST", soon()), apple(1, soon())):
        ok, fast, careful = _both(data)
        assert isinstance(careful, ParsedMessage) and careful.invitation.startswith("BEGIN:VCAL")
        if ok:
            assert _fields(fast) == _fields(careful)


def test_an_outsider_sees_no_meeting_from_an_invitation(world, tmp_path):
    from amends.comms.queries import list_upcoming_meetings

    _import(tmp_path, outlook(1, "REQUEST", soon()))
    assert list(list_upcoming_meetings(world.carol, timezone.now())) == []
    assert len(list(list_upcoming_meetings(world.alice, timezone.now()))) == 1


def reply(n: int, start: datetime, *, who: str, partstat: str = "DECLINED") -> bytes:
    """An Outlook reply (iTIP REPLY) from `who`, e.g. "Declined: Launch review"."""
    ics = (
        _ics("REPLY", start)
        .replace("ATTENDEE;CN=Alice Owner;PARTSTAT=NEEDS-ACTION:mailto:alice@firm.example\r\n", "")
        .replace(
            "ATTENDEE;CN=Dana Client;PARTSTAT=ACCEPTED:mailto:dana@acme.example",
            f"ATTENDEE;PARTSTAT={partstat}:mailto:{who}",
        )
    )
    return (
        f"From: {who}\r\nTo: Dana Client <dana@acme.example>\r\n"
        "Subject: Declined: Launch review\r\n"
        f"Date: {timezone.now().strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <reply-{n}@firm.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n"
        f"{ics}\r\n"
    ).encode()


def test_when_we_decline_the_meeting_is_no_longer_coming_up(world, tmp_path):
    _import(tmp_path, outlook(1, "REQUEST", soon()))
    _import(tmp_path, reply(1, soon(), who="alice@firm.example", partstat="ACCEPTED"))
    assert UpcomingMeeting.objects.count() == 1
    _import(tmp_path, reply(2, soon(), who="dana@acme.example"))  # the client's own reply
    assert UpcomingMeeting.objects.count() == 1
    _import(tmp_path, reply(3, soon(), who="alice@firm.example"))  # in Alice's Sent folder
    assert not UpcomingMeeting.objects.exists()


def test_one_of_us_declining_leaves_it_for_the_others_invited(world, tmp_path):
    both = outlook(1, "REQUEST", soon()).replace(
        b"ATTENDEE;CN=Dana Client",
        b"ATTENDEE;CN=Bob Member:mailto:bob@firm.example\r\nATTENDEE;CN=Dana Client",
    )
    _import(tmp_path, both)
    assert {a["email"] for a in UpcomingMeeting.objects.get().attendees} >= {
        "alice@firm.example",
        "bob@firm.example",
    }
    _import(tmp_path, reply(1, soon(), who="alice@firm.example"))
    assert UpcomingMeeting.objects.count() == 1


def test_reading_declines_never_raises():
    from hypothesis import given
    from hypothesis import strategies as st

    from amends.comms.calendars import read_declines

    @given(st.text(max_size=400))
    def check(text):
        assert isinstance(read_declines("BEGIN:VCALENDAR\r\n" + text), list)

    check()
    assert read_declines(b"\xff\xfe not a calendar") == []
