"""Appointments saved from Outlook's calendar as .msg files become meetings (R7), beside
the emails saved alike: on the command line, in an upload and through the API.

Outlook saves an appointment dragged out of its calendar as a .msg file holding the
same properties as the data file it came from. `msg_files.saved_items` writes each
calendar item of a real Outlook.com .ost so (see scripts/fetch_test_data.py), and every
one must give the very events the data file itself gives."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.comms import outlook
from amends.comms.actions import import_path
from amends.comms.importing import ParsedMessage, folder_contents, parse_message
from amends.comms.meeting_actions import import_calendar_path
from amends.comms.models import Communication, UpcomingMeeting
from amends.watch.models import Job
from tests.comms_import.fetched import run_jobs, sample
from tests.comms_import.msg_files import build_msg, saved_items, text

SINCE, UNTIL = datetime(2021, 8, 1, tzinfo=UTC), datetime(2021, 12, 31, tzinfo=UTC)
WANTED = ("just a regular meeting", "repeats every monday for 10 weeks", "meeting from Ed")


def _events(document: bytes) -> dict[str, bytes]:
    calendar = icalendar.Calendar.from_ical(document)
    return {
        f"{event['UID']} {event.get('RECURRENCE-ID') and event.decoded('RECURRENCE-ID')}": (
            event.to_ical()
        )
        for event in calendar.walk("VEVENT")
    }


def _saved(folder: Path, *, email: bool = True) -> Path:
    """Three appointments saved from the .ost's calendar, and an email saved alike."""
    folder.mkdir(parents=True, exist_ok=True)
    for subject, data in saved_items(sample("outlook.com.ost")):
        if subject in WANTED:
            (folder / f"{subject.replace(' ', '-')}.msg").write_bytes(data)
    if email:
        (folder / "answer.msg").write_bytes(sample("outlook-2016.msg").read_bytes())
    return folder


# --- What a saved appointment holds ------------------------------------------------------


def test_every_calendar_item_saved_as_msg_gives_the_events_of_its_data_file():
    ost = sample("outlook.com.ost")
    from_data_file: dict[str, bytes] = {}
    for found in outlook.pst_calendars(ost, "outlook.com.ost", 10**8):
        assert found.calendar is not None
        from_data_file.update(_events(found.calendar))
    from_msg: dict[str, bytes] = {}
    count = 0
    for subject, data in saved_items(ost):
        count += 1
        assert outlook.msg_item_class(data) == "IPM.Appointment"
        assert outlook.is_msg_calendar_item(data)
        document, why = outlook.msg_calendar(data, f"{subject}.msg")
        assert why == "" and document is not None, subject
        # An appointment on its own is not a whole calendar: nothing is taken off others.
        assert b"X-WR-CALNAME" not in document
        from_msg.update(_events(document))
    assert count == 169
    assert from_msg == from_data_file  # recurrences, zones, organizers, attendees alike


def test_an_email_saved_as_msg_is_left_to_the_mail_import():
    data = sample("outlook-2016.msg").read_bytes()
    assert outlook.msg_item_class(data) == "IPM.Note"
    assert not outlook.is_msg_calendar_item(data)
    assert outlook.msg_calendar(data, "mail.msg") == (None, "")
    assert outlook.msg_to_email(data)[0] is not None


def _appointment(props: list, recipients: list | None = None) -> bytes:
    """An appointment as Outlook 2003 saved one: 8-bit strings, no time zone."""
    guids = struct.pack("<16s", bytes.fromhex("0220060000000000C000000000000046"))
    # PidLidAppointmentStartWhole (0x820D) at 0x8000, EndWhole (0x820E) at 0x8001, both
    # of PSETID_Appointment: the map's first GUID (index 3).
    entries = struct.pack("<IHH", 0x820D, 3 << 1, 0) + struct.pack("<IHH", 0x820E, 3 << 1, 1)
    return build_msg(props, recipients or [], (guids, entries, b""))


def _filetime(when: datetime) -> bytes:
    ticks = (when.replace(tzinfo=None) - datetime(1601, 1, 1)) // timedelta(microseconds=1) * 10
    return ticks.to_bytes(8, "little")


def test_an_older_appointment_in_a_code_page_with_exchange_addresses_is_read():
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    exchange = "/O=FIRM/OU=EXCHANGE/CN=RECIPIENTS/CN=DANA"
    data = _appointment(
        [
            text(0x001A, "IPM.Appointment"),
            (0x3FFD, 0x0003, (1251).to_bytes(4, "little")),  # PR_MESSAGE_CODEPAGE
            (0x0037, 0x001E, "Встреча по проекту".encode("cp1251")),  # PR_SUBJECT
            (0x1000, 0x001E, "Повестка: бюджет".encode("cp1251")),  # PR_BODY
            (0x0C1A, 0x001E, b"Dana Firm"),  # PR_SENDER_NAME
            (0x0C1F, 0x001E, exchange.encode()),  # PR_SENDER_EMAIL_ADDRESS: Exchange only
            (0x8000, 0x0040, _filetime(start)),
            (0x8001, 0x0040, _filetime(start + timedelta(hours=1))),
        ],
        [
            [
                (0x0C15, 0x0003, (1).to_bytes(4, "little")),
                text(0x3001, "Dana Firm"),
                text(0x3003, exchange),
                text(0x39FE, "dana@firm.example"),
            ],
            [
                (0x0C15, 0x0003, (2).to_bytes(4, "little")),
                text(0x3001, "Pat Client"),
                text(0x39FE, "pat@acme.example"),
            ],
        ],
    )
    document, why = outlook.msg_calendar(data, "meeting.msg")
    assert why == "" and document is not None
    (event,) = icalendar.Calendar.from_ical(document).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Встреча по проекту"
    assert str(event["DESCRIPTION"]) == "Повестка: бюджет"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(hours=1)
    # Its recipients pair the organizer's Exchange address with the Internet one.
    assert str(event["ORGANIZER"]) == "mailto:dana@firm.example"
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [(str(a), a.params["ROLE"]) for a in attendees] == [
        ("mailto:pat@acme.example", "OPT-PARTICIPANT")
    ]
    # No global id: an id from its content, the same each time.
    assert str(event["UID"]).startswith("outlook-")
    assert outlook.msg_calendar(data, "again.msg")[0] == document


def test_an_appointment_without_its_times_is_rejected_saying_why():
    no_map = build_msg([text(0x001A, "IPM.Appointment"), text(0x0037, "Lunch")])
    assert outlook.msg_calendar(no_map, "lunch.msg") == (
        None,
        "cannot be read as a meeting: its times cannot be read: the file's map of named"
        " properties is damaged",
    )
    no_start = _appointment([text(0x001A, "IPM.Appointment"), text(0x0037, "Lunch")])
    assert outlook.msg_calendar(no_start, "lunch.msg") == (
        None,
        "cannot be read as a meeting: it has no start time",
    )


def test_a_truncated_appointment_is_read_as_far_as_it_goes_or_rejected_saying_why():
    data = next(d for s, d in saved_items(sample("outlook.com.ost")) if s == WANTED[0])
    assert outlook.msg_calendar(data[:10_000], "cut.msg") == (
        None,
        "cannot be read as a meeting: its times cannot be read: the file's map of named"
        " properties is damaged",
    )
    assert outlook.msg_calendar(data[:3_000], "cut.msg") == (None, "")  # no class: not ours
    assert outlook.msg_calendar(data[:512], "cut.msg")[1].startswith(
        "a damaged Outlook calendar item (.msg) that cannot be read"
    )
    # Short bytes are never taken for a file's name (as olefile takes them).
    assert outlook.msg_to_email(data[:512]) == (
        None,
        "a damaged Outlook message (.msg): shorter than any Outlook file",
    )
    assert outlook.msg_item_class(b"/etc/passwd") is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=80_000),
    flips=st.lists(st.tuples(st.integers(0, 80_000), st.integers(0, 255)), max_size=8),
)
def test_any_damage_to_a_saved_appointment_is_read_or_said_never_raised(cut, flips):
    data = bytearray(_damaged_base()[:cut] if cut else _damaged_base())
    for at, value in flips:
        if at < len(data):
            data[at] = value
    document, why = outlook.msg_calendar(bytes(data), "damaged.msg")
    assert (document is None) or why == ""
    if document is not None:
        icalendar.Calendar.from_ical(document)
    klass = outlook.msg_item_class(bytes(data))
    assert klass is None or isinstance(klass, str)
    assert outlook.is_msg_calendar_item(bytes(data)) in (True, False)


_BASE: list[bytes] = []


def _damaged_base() -> bytes:
    if not _BASE:
        _BASE.append(next(d for s, d in saved_items(sample("outlook.com.ost")) if s == WANTED[1]))
    return _BASE[0]


# --- Importing them ----------------------------------------------------------------------


@pytest.mark.django_db
def test_saved_appointments_beside_saved_mail_on_the_command_line(world, tmp_path):
    folder = _saved(tmp_path / "saved")
    assert folder_contents(folder) == (True, True)
    assert folder_contents(folder / "meeting-from-Ed.msg") == (False, True)
    assert folder_contents(folder / "answer.msg") == (True, False)
    out = io.StringIO()
    call_command(
        "import",
        str(folder),
        "--client",
        str(world.acme.pk),
        "--since",
        "2021-08-01",
        "--until",
        "2021-12-31",
        stdout=out,
    )
    mail, meetings = out.getvalue().split("Imported meetings from", 1)
    assert "  1 imported" in mail and "  0 rejected" in mail
    assert "  3 Outlook calendar items (.msg), read as meetings (below)" in mail
    assert "  12 imported" in meetings and "  0 rejected" in meetings
    found = Communication.objects.filter(channel="meeting", client=world.acme)
    starts = sorted(found.filter(subject=WANTED[1]).values_list("occurred_at", flat=True))
    assert len(starts) == 10 and starts[0] == datetime(2021, 8, 9, 17, 0, tzinfo=UTC)
    ed = found.get(subject="meeting from Ed")
    assert ed.external_id == "goedb89m92ojdbql36p5cuu74o@google.com"
    assert ed.source.endswith(f"meeting-from-Ed.msg {ed.external_id}")
    # The same appointment from the data file it was saved from is the same meeting.
    again = import_calendar_path(
        None, sample("outlook.com.ost"), client=world.acme, since=SINCE, until=UNTIL
    )
    assert again.duplicates == 12 and again.imported == 19 - 12
    # And the folder again: nothing new, as mail or as meetings.
    assert import_path(None, folder, client=world.acme).imported == 0
    assert (
        import_calendar_path(None, folder, client=world.acme, since=SINCE, until=UNTIL).imported
        == 0
    )


@pytest.mark.django_db
def test_the_mail_import_alone_counts_saved_appointments_and_rejects_none(world, tmp_path):
    folder = _saved(tmp_path / "saved")
    summary = import_path(None, folder, client=world.acme)
    assert (summary.seen, summary.imported, summary.calendar_items) == (4, 1, 3)
    assert summary.rejected == []


@pytest.mark.django_db
@time_machine.travel(datetime(2021, 8, 20, 12, tzinfo=UTC), tick=False)
def test_an_uploaded_appointment_becomes_a_meeting_and_an_outsider_sees_none(
    as_alice, world, settings, tmp_path
):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    folder = _saved(tmp_path / "saved", email=False)
    upload = SimpleUploadedFile("Lunch.msg", (folder / "just-a-regular-meeting.msg").read_bytes())
    response = as_alice.post(reverse("comms:import"), {"file": upload, "client": world.acme.pk})
    assert response.status_code == 303
    run_jobs()
    job = Job.objects.get(kind="comms.import")
    assert job.status == "done", job.last_error
    assert job.payload["format"] == "ics"
    assert job.payload["summary"]["imported"] == 1 and job.payload["summary"]["rejected"] == []
    meeting = Communication.objects.get(channel="meeting", client=world.acme)
    assert meeting.subject == "just a regular meeting"
    assert meeting.occurred_at == datetime(2021, 8, 13, 21, 0, tzinfo=UTC)
    page = as_alice.get(reverse("clients:detail", args=[world.acme.pk]))
    assert b"just a regular meeting" in page.content
    assert b"Lunch.msg" in as_alice.get(reverse("comms:import_jobs")).content
    # Carol, an outsider to Acme, sees neither the meeting nor the job.
    as_alice.force_login(world.carol)
    assert as_alice.get(reverse("clients:detail", args=[world.acme.pk])).status_code == 404
    assert b"Lunch.msg" not in as_alice.get(reverse("comms:import_jobs")).content
    assert b"just a regular meeting" not in as_alice.get(reverse("home")).content


@pytest.mark.django_db
@time_machine.travel(datetime(2021, 8, 20, 12, tzinfo=UTC), tick=False)
def test_a_zip_of_saved_mail_and_appointments_through_the_api(
    client, world, settings, tmp_path, api_alice, api_carol
):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    folder = _saved(tmp_path / "saved")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"Saved from Outlook/{file.name}")
    upload = SimpleUploadedFile("saved.zip", packed.getvalue())
    response = client.post(
        "/api/v1/imports", {"file": upload, "client": world.acme.pk}, **api_alice
    )
    assert response.status_code == 202, response.content
    run_jobs()
    url = f"/api/v1/imports/{response.json()['id']}"
    job = client.get(url, **api_alice).json()
    assert job["status"] == "done", job
    assert job["summary"]["imported"] == 1 and job["summary"]["calendar_items"] == 3
    assert job["summary"]["rejected"] == []
    assert job["payload"]["calendars"]["imported"] >= 3
    assert job["payload"]["calendars"]["rejected"] == []
    assert "3 Outlook calendar items (.msg) read as meetings." in job["progress"]["message"]
    meeting = Communication.objects.filter(channel="meeting").first()
    assert meeting is not None
    assert client.get(f"/api/v1/communications/{meeting.pk}", **api_alice).status_code == 200
    # Carol, an outsider to Acme, sees neither the job nor the meeting.
    assert client.get(url, **api_carol).status_code == 404
    assert client.get(f"/api/v1/communications/{meeting.pk}", **api_carol).status_code == 404


# --- Meeting requests saved as .msg files ------------------------------------------------


def _requests(edit=None) -> dict[str, bytes]:
    """The meeting requests of the .ost's mail folders, saved as .msg files, by subject."""
    return {
        subject: data
        for subject, data in saved_items(sample("outlook.com.ost"), "ipf.note", edit)
        if outlook.msg_item_class(data) == "IPM.Schedule.Meeting.Request"
    }


def test_a_saved_meeting_request_carries_its_invitation_as_outlook_sent_it():
    requests = _requests()
    assert len(requests) == 4
    sent = requests["meeting with attachments (jpg, pdf, text)"]
    email, why = outlook.msg_to_email(sent)
    assert why == "" and email is not None
    parsed = parse_message(email, max_bytes=10**8)
    assert isinstance(parsed, ParsedMessage)
    # Saved from Sent Items: Outlook kept the sender's Exchange address alone, and who
    # made the item gives the Internet one.
    assert parsed.from_address == "pstextractortest@outlook.com"
    assert [a.filename for a in parsed.attachments] == ["invite.ics"]
    (event,) = icalendar.Calendar.from_ical(parsed.invitation).walk("VEVENT")
    assert icalendar.Calendar.from_ical(parsed.invitation)["METHOD"] == "REQUEST"
    assert str(event["SUMMARY"]) == "meeting with attachments (jpg, pdf, text)"
    assert str(event["LOCATION"]) == "home office"
    assert event.decoded("DTSTART") == datetime(2021, 8, 24, 17, 0, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == "mailto:epfromer@gmail.com"
    # Received from Google: the UID Google's invitation carried.
    received = next(d for s, d in requests.items() if s.startswith("Invitation: meeting from Ed"))
    parsed = parse_message(outlook.msg_to_email(received)[0] or b"", max_bytes=10**8)
    assert isinstance(parsed, ParsedMessage)
    (event,) = icalendar.Calendar.from_ical(parsed.invitation).walk("VEVENT")
    assert str(event["UID"]) == "goedb89m92ojdbql36p5cuu74o@google.com"
    assert str(event["ORGANIZER"]) == "mailto:epfromer@gmail.com"
    # The same file, the same bytes: imported again, it is known.
    assert outlook.msg_to_email(received) == outlook.msg_to_email(received)


@pytest.mark.django_db
@time_machine.travel(datetime(2021, 8, 12, 21, tzinfo=UTC), tick=False)
def test_saved_meeting_requests_and_a_cancellation_keep_what_is_coming_up(world, tmp_path):
    folder = tmp_path / "requests"
    folder.mkdir()
    for number, data in enumerate(_requests().values()):
        (folder / f"request-{number}.msg").write_bytes(data)
    summary = import_path(None, folder, client=world.acme)
    assert (summary.imported, summary.rejected, summary.meetings) == (4, [], 4)

    def coming():
        return UpcomingMeeting.objects.filter(client=world.acme)

    assert sorted(m.starts_at for m in coming()) == [
        datetime(2021, 8, 13, 22, 0, tzinfo=UTC),
        datetime(2021, 8, 13, 23, 0, tzinfo=UTC),  # all-day: midnight in London
        datetime(2021, 8, 16, 23, 0, tzinfo=UTC),
        datetime(2021, 8, 24, 17, 0, tzinfo=UTC),
    ]

    def cancelled(props):
        swapped = [p for p in props if p[0] != 0x001A]
        return [*swapped, text(0x001A, "IPM.Schedule.Meeting.Canceled")]

    # Outlook's cancellation of the meeting sent from it (another message, the same
    # meeting): it is no longer coming up.
    renamed = next(
        d
        for s, d in _requests_as(cancelled, new_id=True).items()
        if s.startswith("meeting with attachments")
    )
    (folder / "cancelled-2.msg").write_bytes(renamed)
    assert import_path(None, folder / "cancelled-2.msg", client=world.acme).imported == 1
    assert coming().count() == 3
    assert not coming().filter(starts_at=datetime(2021, 8, 24, 17, 0, tzinfo=UTC)).exists()


@pytest.mark.django_db
@time_machine.travel(datetime(2021, 8, 12, 21, tzinfo=UTC), tick=False)
def test_meeting_requests_in_a_data_file_carry_their_invitations(world):
    """The same four requests read from the .ost itself (its mail folders). The three
    Google sent keep the invitation Google attached; the one sent from Outlook, which
    kept none, gets the one it gets saved as .msg, to the byte. Their meetings come up
    as they do from the saved files."""
    from amends.comms.models import EmailMessage

    saved = {}
    for subject, data in _requests().items():
        parsed = parse_message(outlook.msg_to_email(data)[0] or b"", max_bytes=10**8)
        assert isinstance(parsed, ParsedMessage)
        saved[subject] = parsed.invitation
    summary = import_path(None, sample("outlook.com.ost"), client=world.acme)
    assert (summary.imported, summary.rejected, summary.meetings) == (13, [], 4)
    from_file = {}
    for email in EmailMessage.objects.filter(subject__in=saved).select_related("raw"):
        parsed = parse_message(bytes(email.raw.data), max_bytes=10**8)
        assert isinstance(parsed, ParsedMessage)
        assert [a.filename for a in parsed.attachments][-1:] == ["invite.ics"]
        from_file[email.subject] = parsed.invitation
    assert from_file.keys() == saved.keys() and all(saved.values())
    outlooks = "meeting with attachments (jpg, pdf, text)"
    assert from_file[outlooks] == saved[outlooks]
    for subject, calendar in from_file.items():
        (event,) = icalendar.Calendar.from_ical(calendar).walk("VEVENT")
        (same,) = icalendar.Calendar.from_ical(saved[subject]).walk("VEVENT")
        assert str(event["UID"]) == str(same["UID"])
        google = "Google" in str(icalendar.Calendar.from_ical(calendar)["PRODID"])
        assert google == (subject != outlooks)
    assert sorted(m.starts_at for m in UpcomingMeeting.objects.filter(client=world.acme)) == [
        datetime(2021, 8, 13, 22, 0, tzinfo=UTC),
        datetime(2021, 8, 13, 23, 0, tzinfo=UTC),
        datetime(2021, 8, 16, 23, 0, tzinfo=UTC),
        datetime(2021, 8, 24, 17, 0, tzinfo=UTC),
    ]
    # Read again, the same bytes: nothing new.
    again = import_path(None, sample("outlook.com.ost"), client=world.acme)
    assert (again.imported, again.duplicates) == (0, 13)


def _requests_as(edit, new_id: bool = False) -> dict[str, bytes]:
    def changed(props):
        props = edit(props)
        if new_id:  # PR_INTERNET_MESSAGE_ID: another message
            props = [p for p in props if p[0] != 0x1035] + [text(0x1035, "<cancel@example>")]
        return props

    return {
        subject: data
        for subject, data in saved_items(sample("outlook.com.ost"), "ipf.note", changed)
        if (outlook.msg_item_class(data) or "").startswith("IPM.Schedule.Meeting.")
        and not (outlook.msg_item_class(data) or "").startswith("IPM.Schedule.Meeting.Resp")
    }


def test_an_invitation_to_one_occurrence_of_a_series_is_not_guessed():
    from amends.comms.outlook_calendar import Item, NotAnEvent, invitation

    start = datetime(2026, 3, 2, 9, 30)
    tags = {"start": 0x8000, "end": 0x8001, "global_id": 0x8002}
    series = bytes.fromhex("040000008200E00074C5B7101A82E008") + bytes(4) + bytes(36)
    occurrence = series[:16] + bytes([0x07, 0xEA, 3, 9]) + series[20:]  # 9 March 2026
    item = Item(
        props={0x8000: start, 0x8001: start + timedelta(hours=1), 0x8002: series},
        subject="Weekly review",
        body="",
        organizer=("Dana", "dana@firm.example"),
        attendees=[(1, "Pat", "pat@acme.example")],
    )
    text_of_series = invitation(item, tags, "REQUEST")
    calendar = icalendar.Calendar.from_ical(text_of_series)
    assert calendar["METHOD"] == "REQUEST"
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Weekly review"]
    item.props[0x8002] = occurrence
    with pytest.raises(NotAnEvent, match="one occurrence of a repeating meeting"):
        invitation(item, tags, "CANCEL")


def test_an_invitation_that_cannot_be_made_never_costs_the_email(monkeypatch):
    """Damaged properties that break the invitation (any error) leave the request an
    email without it, from a .msg and from a data file alike."""
    from amends.comms import outlook_calendar

    def broken(*args, **kwargs):
        raise KeyError("a property Outlook should have written")

    monkeypatch.setattr(outlook_calendar, "invitation", broken)
    sent = _requests()["meeting with attachments (jpg, pdf, text)"]
    email, why = outlook.msg_to_email(sent)
    assert why == "" and email is not None
    parsed = parse_message(email, max_bytes=10**8)
    assert isinstance(parsed, ParsedMessage) and not parsed.invitation
    request = {0x001A: "IPM.Schedule.Meeting.Request"}
    tags = outlook._NamedTags(None)
    assert outlook._meeting_invitation(object(), request, outlook._Addresses(), tags) is None
