"""The calendars in an Outlook data file become meetings (R7): an Outlook.com .ost as
Outlook wrote it (see scripts/fetch_test_data.py), and recurrences written here byte by
byte as [MS-OXOCAL] describes them — every pattern Outlook offers, an occurrence
deleted, one moved and renamed, a weekly meeting that keeps its local time across a
change of clocks — read back through the same calendar reader as an .ics export."""

from __future__ import annotations

import io
import struct
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amends.accounts.actions import create_user
from amends.comms import outlook
from amends.comms.calendars import read_calendar
from amends.comms.meeting_actions import import_calendar_path
from amends.comms.models import Communication, UpcomingMeeting
from amends.comms.outlook_calendar import Item, NotAnEvent, documents, events, recurrence
from amends.comms.queries import list_emails
from amends.watch.models import Job
from tests.comms_import.fetched import run_jobs, sample

SINCE, UNTIL = datetime(2021, 8, 1, tzinfo=UTC), datetime(2021, 12, 31, tzinfo=UTC)


def _z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- The Outlook.com .ost --------------------------------------------------------------


@pytest.mark.django_db
def test_the_calendars_of_an_ost_become_meetings(world):
    ost = sample("outlook.com.ost")
    summary = import_calendar_path(None, ost, client=world.acme, since=SINCE, until=UNTIL)
    assert summary.rejected == []
    meetings = Communication.objects.filter(channel="meeting", client=world.acme)
    starts: dict[str, list[datetime]] = {}
    for subject, when in meetings.values_list("subject", "occurred_at"):
        starts.setdefault(subject, []).append(when)
    # Mondays at 10:00 in Los Angeles, ten of them (its time zone is Outlook's name for
    # it, "Pacific Standard Time").
    weekly = sorted(starts["repeats every monday for 10 weeks"])
    assert len(weekly) == 10
    assert weekly[0] == _z(2021, 8, 9, 17, 0) and weekly[-1] == _z(2021, 10, 11, 17, 0)
    assert sorted(starts["repeats for 3 days"]) == [_z(2021, 8, d, 19, 0) for d in (10, 11, 12)]
    assert starts["just a regular meeting"] == [_z(2021, 8, 13, 21, 0)]
    yearly = "Occurs every August 13 effective 8/13/2021 from 10:00 AM to 10:30 AM"
    assert starts[yearly] == [_z(2021, 8, 13, 17, 0)]  # next year's is outside the window
    # All-day: from midnight on the day, in the client's zone (London). (Google's
    # invitation kept it at midnight UTC, with no zone: its day is the nearest.)
    assert starts["unanswered meeting"] == [_z(2021, 8, 13, 23, 0)]
    # An all-day event no one is invited to (a holiday, a day off) is no meeting with the
    # client, even in an import for one.
    assert "all day event for 3 days" not in starts
    assert not any(subject.endswith(" Day") for subject in starts)  # Labor Day…
    assert (summary.unmatched, summary.not_meetings) == (0, 12)  # 11 holidays
    # A meeting from a Google invitation keeps the UID the invitation carried, so the same
    # meeting from Google's own export is the same meeting.
    ed = meetings.get(subject="meeting from Ed")
    assert ed.external_id == "goedb89m92ojdbql36p5cuu74o@google.com"
    assert {a["email"] for a in ed.attendees} == {
        "epfromer@gmail.com",
        "pstextractortest@outlook.com",
    }
    room = meetings.get(subject="meeting with attachments (jpg, pdf, text)")
    assert room.ends_at == _z(2021, 8, 24, 18, 0)
    # Each meeting says where it came from: the file, the folder, the event.
    assert ed.source.endswith(f"outlook.com.ost/Calendar {ed.external_id}")
    assert summary.imported == meetings.count() == 10 + 3 + 1 + 1 + 4
    # The same file again: nothing new.
    again = import_calendar_path(None, ost, client=world.acme, since=SINCE, until=UNTIL)
    assert (again.imported, again.duplicates) == (0, summary.imported)


@pytest.mark.django_db
def test_a_data_file_on_the_command_line_brings_its_mail_and_its_meetings(world):
    create_user(None, username="pst", password=None, email="pstextractortest@outlook.com")
    out = io.StringIO()
    call_command(
        "import",
        str(sample("outlook.com.ost")),
        "--client",
        str(world.acme.pk),
        "--since",
        "2021-08-01",
        "--until",
        "2021-12-31",
        stdout=out,
    )
    text = out.getvalue()
    assert "(outlook)" in text and "13 imported" in text
    assert "left out" not in text
    meetings = text.split("Imported meetings from", 1)[1]
    assert "  19 imported" in meetings
    assert "  12 all-day events no one is invited to (holidays, days off: skipped)" in meetings
    assert Communication.objects.filter(channel="meeting", client=world.acme).count() == 19


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 11, 24, 12, tzinfo=UTC), tick=False)
def test_an_uploaded_data_file_brings_its_meetings_and_an_outsider_sees_none(
    as_alice, world, settings, tmp_path
):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    pst = SimpleUploadedFile("Mailbox.ost", sample("outlook.com.ost").read_bytes())
    response = as_alice.post(reverse("comms:import"), {"file": pst, "client": world.acme.pk})
    assert response.status_code == 303
    run_jobs()
    job = Job.objects.get(kind="comms.import")
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["imported"] == 13
    # The default window (a year back, 90 days ahead) holds this August's occurrence of
    # the yearly meeting, and holidays, which are no one's meetings.
    calendars = job.payload["calendars"]
    assert calendars["rejected"] == [] and calendars["imported"] == 1
    assert calendars["unmatched"] == 0 and calendars["not_meetings"] > 10
    yearly = Communication.objects.get(channel="meeting", client=world.acme)
    assert yearly.occurred_at == _z(2026, 8, 13, 17, 0)
    assert not UpcomingMeeting.objects.exists()
    page = as_alice.get(reverse("clients:detail", args=[world.acme.pk]))
    assert b"Occurs every August 13" in page.content
    assert b"Mailbox.ost" in as_alice.get(reverse("comms:import_jobs")).content
    # Carol, an outsider to Acme, sees neither the client, its mail, nor the job.
    assert list_emails(world.carol).count() == 0
    as_alice.force_login(world.carol)
    assert as_alice.get(reverse("clients:detail", args=[world.acme.pk])).status_code == 404
    assert b"Mailbox.ost" not in as_alice.get(reverse("comms:import_jobs")).content


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 11, 24, 12, tzinfo=UTC), tick=False)
def test_a_data_file_uploaded_through_the_api_reports_its_calendars(
    client, world, settings, tmp_path, api_alice, api_carol
):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    upload = SimpleUploadedFile("Mailbox.ost", sample("outlook.com.ost").read_bytes())
    response = client.post(
        "/api/v1/imports", {"file": upload, "client": world.acme.pk}, **api_alice
    )
    assert response.status_code == 202, response.content
    run_jobs()
    url = f"/api/v1/imports/{response.json()['id']}"
    job = client.get(url, **api_alice).json()
    assert job["status"] == "done" and job["summary"]["imported"] == 13
    assert job["payload"]["calendars"]["imported"] == 1
    assert job["payload"]["calendars"]["not_meetings"] > 10
    meeting = Communication.objects.get(channel="meeting")
    assert client.get(f"/api/v1/communications/{meeting.pk}", **api_alice).status_code == 200
    # Carol, an outsider to Acme, sees neither the job nor the meeting.
    assert client.get(url, **api_carol).status_code == 404
    assert client.get(f"/api/v1/communications/{meeting.pk}", **api_carol).status_code == 404


# --- Recurrences, byte by byte ---------------------------------------------------------

TAGS = {
    "start": 0x8001,
    "end": 0x8002,
    "recurring": 0x8003,
    "recurrence": 0x8004,
    "all_day": 0x8005,
    "zone_recurrence": 0x8006,
    "location": 0x8007,
    "clean_global_id": 0x8008,
    "zone_struct": 0x8009,
}


def _minutes(day: date) -> int:
    return (day - date(1601, 1, 1)).days * 1440


def _zone(key: str) -> bytes:
    name = key.encode("utf-16-le")
    return struct.pack("<BBHHH", 2, 1, 6 + len(name), 2, len(key)) + name + b"\x00" * 4


def _pattern(
    *,
    frequency: int,
    kind: int,
    period: int,
    specific: bytes = b"",
    start: date,
    end: date | None = None,
    count: int = 0,
    start_offset: int = 600,
    length: int = 60,
    deleted: tuple[date, ...] = (),
    changes: tuple[tuple[date, datetime, datetime, str], ...] = (),
    calendar: int = 0,
) -> bytes:
    """An AppointmentRecurrencePattern as Outlook writes one ([MS-OXOCAL] 2.2.1.44.5)."""
    end_type = 0x2021 if end else (0x2022 if count else 0x2023)
    modified = [original for original, *_ in changes]
    data = struct.pack("<HHHHH", 0x3004, 0x3004, frequency, kind, calendar)
    data += struct.pack("<III", 0, period, 0) + specific
    data += struct.pack("<III", end_type, count, 0)
    all_deleted = sorted({*deleted, *modified})
    data += struct.pack(f"<I{len(all_deleted)}I", len(all_deleted), *map(_minutes, all_deleted))
    data += struct.pack(f"<I{len(modified)}I", len(modified), *map(_minutes, sorted(modified)))
    data += struct.pack("<II", _minutes(start), _minutes(end) if end else 0x5AE980DF)
    data += struct.pack("<IIII", 0x3006, 0x3009, start_offset, start_offset + length)
    data += struct.pack("<H", len(changes))
    times = []
    for original, new_start, new_end, subject in changes:
        times.append(
            struct.pack(
                "<III",
                _minutes(new_start.date()) + new_start.hour * 60 + new_start.minute,
                _minutes(new_end.date()) + new_end.hour * 60 + new_end.minute,
                _minutes(original) + start_offset,
            )
        )
        data += times[-1] + struct.pack("<H", 0x0001)  # ARO_SUBJECT
        encoded = subject.encode("cp1252", "replace")  # the code page cannot write all
        data += struct.pack("<HH", len(encoded) + 1, len(encoded)) + encoded
    data += struct.pack("<I", 0)  # ReservedBlock1
    for (*_, subject), written in zip(changes, times, strict=True):
        # ExtendedException: ChangeHighlight, ReservedBlockEE1, the times again, the
        # subject in UTF-16, ReservedBlockEE2.
        wide = subject.encode("utf-16-le")
        data += struct.pack("<III", 4, 0, 0) + written
        data += struct.pack("<H", len(wide) // 2) + wide + struct.pack("<I", 0)
    return data + struct.pack("<I", 0)  # ReservedBlock2


def _item(subject: str, start: datetime, end: datetime, **props: object) -> Item:
    values = {TAGS["start"]: start, TAGS["end"]: end, TAGS["clean_global_id"]: None}
    for name, value in props.items():
        values[TAGS[name]] = value
    uid = b"\x04\x00\x00\x00\x82\x00\xe0\x00" + subject.encode()[:32].ljust(32, b"-") + b"\0" * 8
    values[TAGS["clean_global_id"]] = uid
    return Item(props=values, subject=subject, body="", organizer=None, attendees=[])


def _occurrences(item: Item, since: datetime, until: datetime) -> list[tuple[object, str]]:
    (document, rejected, covered), *_ = documents("Test calendar", iter([("t", item, "")]), TAGS)
    assert covered == 1
    assert rejected == [] and document is not None
    read = read_calendar(document, since=since, until=until, label="t")
    assert read.rejected == []
    return sorted((m.start if m.all_day else m.resolve(UTC)[0], m.summary) for m in read.meetings)


def test_a_weekly_meeting_keeps_its_local_time_with_one_deleted_and_one_moved():
    """Mondays at 10:00 in London from 16 March 2026, four times: the 23rd deleted, the
    30th (the first day of summer time) moved to 14:00 and renamed."""
    blob = _pattern(
        frequency=0x200B,
        kind=1,
        period=1,
        specific=struct.pack("<I", 0x02),
        start=date(2026, 3, 16),
        count=4,
        deleted=(date(2026, 3, 23),),
        changes=(
            (
                date(2026, 3, 30),
                datetime(2026, 3, 30, 14),
                datetime(2026, 3, 30, 15),
                "Moved — 移動",
            ),
        ),
    )
    item = _item(
        "Weekly",
        datetime(2026, 3, 16, 10),  # kept in UTC: 10:00 GMT
        datetime(2026, 3, 16, 11),
        recurring=b"\x01",
        recurrence=blob,
        zone_recurrence=_zone("GMT Standard Time"),
    )
    found = _occurrences(item, _z(2026, 3, 1), _z(2026, 5, 1))
    assert found == [
        (_z(2026, 3, 16, 10, 0), "Weekly"),
        (_z(2026, 3, 30, 13, 0), "Moved — 移動"),  # in UTF-16 after the code page's
        (_z(2026, 4, 6, 9, 0), "Weekly"),
    ]


def _tzstruct(bias: int, daylight: tuple[int, int, int, int] | None) -> bytes:
    """A TZSTRUCT as Outlook before 2007 wrote one: offsets in minutes west of UTC, and
    the changes of clocks (month, weekday, week 1-5, hour) back to standard and to
    daylight time the other way."""
    if daylight is None:
        return struct.pack("<iiiH8HH8H", bias, 0, 0, 0, *([0] * 8), 0, *([0] * 8))
    to_standard = (0, daylight[0], daylight[1], daylight[2], daylight[3], 0, 0, 0)
    to_daylight = (0, 3, 0, 2, 2, 0, 0, 0) if bias > 0 else (0, 3, 0, 5, 1, 0, 0, 0)
    return struct.pack("<iiiH8HH8H", bias, 0, -60, 0, *to_standard, 0, *to_daylight)


def _weekly_at_ten(**zone: object) -> Item:
    """Mondays at 10:00 local from 2 March 2026, six times, the 16th deleted: stored
    with its first start in UTC as if in Los Angeles (18:00 UTC)."""
    blob = _pattern(
        frequency=0x200B,
        kind=1,
        period=1,
        specific=struct.pack("<I", 0x02),
        start=date(2026, 3, 2),
        count=6,
        deleted=(date(2026, 3, 16),),
    )
    return _item(
        "Weekly",
        datetime(2026, 3, 2, 18),
        datetime(2026, 3, 2, 19),
        recurring=b"\x01",
        recurrence=blob,
        **zone,
    )


PACIFIC = [  # 10:00 in Los Angeles: 18:00 UTC, 17:00 from 8 March (summer time)
    _z(2026, 3, 2, 18),
    _z(2026, 3, 9, 17),
    _z(2026, 3, 23, 17),
    _z(2026, 3, 30, 17),
    _z(2026, 4, 6, 17),
]


def test_a_zone_kept_only_as_outlook_2003_did_is_found_by_its_rules():
    from amends.comms.outlook_calendar import zone_of_struct

    # US Pacific: 8 hours west, summer time from the second Sunday of March to the first
    # Sunday of November.
    pacific = _tzstruct(480, (11, 0, 1, 2))
    zone = zone_of_struct(pacific, 2026)
    assert zone is not None
    assert _z(2026, 1, 15).astimezone(zone).utcoffset().total_seconds() == -8 * 3600
    assert _z(2026, 3, 9).astimezone(zone).utcoffset().total_seconds() == -7 * 3600
    assert _z(2026, 11, 2, 12).astimezone(zone).utcoffset().total_seconds() == -8 * 3600
    # No summer time: a zone without one at that offset (or the fixed offset).
    tokyo = zone_of_struct(_tzstruct(-540, None), 2026)
    assert (
        tokyo is not None
        and _z(2026, 7, 1).astimezone(tokyo).utcoffset().total_seconds() == 9 * 3600
    )
    # Nonsense is no zone, and never an error.
    assert zone_of_struct(b"\xff" * 48, 2026) is None
    assert zone_of_struct(b"short", 2026) is None
    found = _occurrences(_weekly_at_ten(zone_struct=pacific), _z(2026, 2, 1), _z(2026, 5, 1))
    assert [when for when, _ in found] == PACIFIC


def test_with_no_zone_at_all_the_firms_zone_is_used_when_it_fits(settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    found = _occurrences(_weekly_at_ten(), _z(2026, 2, 1), _z(2026, 5, 1))
    assert [when for when, _ in found] == PACIFIC
    # A firm elsewhere: the offset the first occurrence shows, so the deleted one is
    # still deleted (an hour off after the change of clocks is what cannot be known).
    settings.TIME_ZONE = "Europe/London"
    found = _occurrences(_weekly_at_ten(), _z(2026, 2, 1), _z(2026, 5, 1))
    assert [when for when, _ in found] == [
        _z(2026, 3, 2, 18),
        _z(2026, 3, 9, 18),
        _z(2026, 3, 23, 18),
        _z(2026, 3, 30, 18),
        _z(2026, 4, 6, 18),
    ]


@pytest.mark.parametrize(
    ("name", "blob_args", "first", "expected"),
    [
        (
            "the second Tuesday, to a date",
            {
                "frequency": 0x200C,
                "kind": 3,
                "period": 1,
                "specific": struct.pack("<II", 0x04, 2),
                "start": date(2026, 1, 13),
                "end": date(2026, 4, 14),
            },
            datetime(2026, 1, 13, 15),
            [_z(2026, 1, 13, 15), _z(2026, 2, 10, 15), _z(2026, 3, 10, 15), _z(2026, 4, 14, 15)],
        ),
        (
            "the last day of the month",
            {
                "frequency": 0x200C,
                "kind": 4,
                "period": 1,
                "specific": struct.pack("<I", 31),
                "start": date(2026, 1, 31),
                "count": 3,
            },
            datetime(2026, 1, 31, 15),
            [_z(2026, 1, 31, 15), _z(2026, 2, 28, 15), _z(2026, 3, 31, 15)],
        ),
        (
            "the 30th, or the last day of a shorter month",
            {
                "frequency": 0x200C,
                "kind": 2,
                "period": 1,
                "specific": struct.pack("<I", 30),
                "start": date(2026, 1, 30),
                "count": 3,
            },
            datetime(2026, 1, 30, 15),
            [_z(2026, 1, 30, 15), _z(2026, 2, 28, 15), _z(2026, 3, 30, 15)],
        ),
        (
            "every weekday",
            {
                "frequency": 0x200A,
                "kind": 1,
                "period": 1,
                "specific": struct.pack("<I", 0x3E),
                "start": date(2026, 1, 1),
                "count": 6,
            },
            datetime(2026, 1, 1, 15),
            [_z(2026, 1, d, 15) for d in (1, 2, 5, 6, 7, 8)],
        ),
        (
            "every third day",
            {
                "frequency": 0x200A,
                "kind": 0,
                "period": 3 * 1440,
                "start": date(2026, 1, 1),
                "count": 3,
            },
            datetime(2026, 1, 1, 15),
            [_z(2026, 1, 1, 15), _z(2026, 1, 4, 15), _z(2026, 1, 7, 15)],
        ),
    ],
)
def test_each_pattern_outlook_offers(name, blob_args, first, expected):
    """With no time zone known, the times stay in UTC."""
    item = _item(
        name,
        first,
        first.replace(hour=first.hour + 1),
        recurring=b"\x01",
        recurrence=_pattern(start_offset=first.hour * 60, **blob_args),
    )
    found = _occurrences(item, _z(2025, 12, 1), _z(2026, 6, 1))
    assert [when for when, _ in found] == expected


def test_a_yearly_all_day_event_with_no_end():
    blob = _pattern(
        frequency=0x200D,
        kind=2,
        period=12,
        specific=struct.pack("<I", 5),
        start=date(2024, 6, 5),
        start_offset=0,
        length=1440,
    )
    # Midnight in Paris, kept in UTC.
    item = _item(
        "Birthday",
        datetime(2024, 6, 4, 22),
        datetime(2024, 6, 5, 22),
        recurring=b"\x01",
        recurrence=blob,
        all_day=b"\x01",
        zone_recurrence=_zone("Romance Standard Time"),
    )
    found = _occurrences(item, _z(2024, 1, 1), _z(2026, 12, 31))
    assert found == [(date(year, 6, 5), "Birthday") for year in (2024, 2025, 2026)]


def test_what_cannot_be_a_meeting_is_rejected_saying_why():
    hijri = _pattern(
        frequency=0x200C, kind=0xA, period=1, specific=b"\x01\0\0\0", start=date(2026, 1, 1)
    )
    items = [
        (
            "cal#1",
            _item(
                "Hijri",
                datetime(2026, 1, 1, 9),
                datetime(2026, 1, 1, 10),
                recurring=b"\x01",
                recurrence=hijri,
            ),
            "",
        ),
        (
            "cal#2",
            _item(
                "Cut",
                datetime(2026, 1, 1, 9),
                datetime(2026, 1, 1, 10),
                recurring=b"\x01",
                recurrence=hijri[:30],
            ),
            "",
        ),
        ("cal#3", Item(props={}, subject="No time", body="", organizer=None, attendees=[]), ""),
        ("cal#4", None, "not a calendar item: an Outlook contact in a calendar, left out"),
        ("cal#5", _item("Fine", datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 10)), ""),
    ]
    ((document, rejected, covered),) = list(documents("c", iter(items), TAGS))
    assert covered == 5
    assert rejected == [
        (
            "cal#1",
            "cannot be read as a meeting: it repeats by a calendar other than the Gregorian one",
        ),
        ("cal#2", "cannot be read as a meeting: its recurrence is cut short"),
        ("cal#3", "cannot be read as a meeting: it has no start time"),
        ("cal#4", "not a calendar item: an Outlook contact in a calendar, left out"),
    ]
    assert document is not None and document.count(b"BEGIN:VEVENT") == 1
    # A data file whose map of named properties cannot be read.
    ((_, rejected, _),) = list(documents("c", iter(items[-1:]), {}))
    assert rejected == [
        (
            "cal#5",
            "cannot be read as a meeting: its times cannot be read: the file's map of"
            " named properties is damaged",
        )
    ]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=399), st.binary(max_size=8))
@example(garbage=b"", at=67, patch=b"\x00\x00\x00\x00\x00\x00\xfa")  # a date past 9999
def test_any_recurrence_bytes_either_read_or_say_why(garbage, at, patch):
    """Arbitrary bytes, and a real pattern with a few bytes overwritten anywhere."""
    real = _pattern(
        frequency=0x200B,
        kind=1,
        period=1,
        specific=struct.pack("<I", 0x02),
        start=date(2026, 3, 16),
        count=4,
        changes=(
            (date(2026, 3, 30), datetime(2026, 3, 30, 14), datetime(2026, 3, 30, 15), "Moved"),
        ),
    )
    spoiled = real[:at] + patch + real[at + len(patch) :]
    for blob in (garbage, spoiled):
        try:
            recurrence(blob)
        except NotAnEvent as exc:
            assert str(exc)
        item = _item(
            "x",
            datetime(2026, 3, 16, 10),
            datetime(2026, 3, 16, 11),
            recurring=b"\x01",
            recurrence=blob,
        )
        try:
            made = events(item, TAGS)
        except NotAnEvent:
            continue
        for document, _, _ in documents("c", iter([("t", item, "")]), TAGS):
            if document is not None:
                read_calendar(document, since=_z(2026, 1, 1), until=_z(2027, 1, 1))
        assert made


def test_a_data_file_that_cannot_be_opened_gives_no_calendar(tmp_path):
    header_only = tmp_path / "header.pst"
    header_only.write_bytes(sample("enron.pst").read_bytes()[:512])
    (found,) = list(outlook.pst_calendars(header_only, "header.pst", 1024))
    assert found.unopened and found.rejected.startswith("a damaged Outlook data file")
    assert found.calendar is None


def test_a_pst_without_calendar_items_gives_none():
    assert list(outlook.pst_calendars(sample("enron.pst"), "enron.pst", 1024)) == []


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False)
def test_a_later_copy_of_a_data_file_takes_off_a_deleted_meeting_only_when_read_whole(
    world, monkeypatch, tmp_path
):
    """A meeting still to come that a later copy of the same data file's calendar no
    longer holds was deleted: it is taken off Coming up — but not when some of that
    copy's items could not be read (the missing one may be among them)."""
    pst = tmp_path / "Archive.pst"
    pst.write_bytes(outlook.PST_MAGIC + bytes(508))
    review = _item("Review", datetime(2026, 6, 10, 9), datetime(2026, 6, 10, 10))
    visit = _item("Visit", datetime(2026, 6, 11, 9), datetime(2026, 6, 11, 10))
    copies = iter(
        [
            [("c#1", review, ""), ("c#2", visit, "")],
            [("c#1", review, ""), ("c#2", None, "cannot be read from the Outlook data file")],
            [("c#1", review, "")],
        ]
    )

    def calendars(path, label, max_bytes):
        for document, problems, covered in documents("Data file 1/Calendar", next(copies), TAGS):
            yield outlook._Found(
                f"{label}/Calendar", calendar=document, problems=tuple(problems), items=covered
            )

    monkeypatch.setattr(outlook, "pst_calendars", calendars)
    first = import_calendar_path(world.alice, pst, client=world.acme)
    assert first.upcoming == 2
    second = import_calendar_path(world.alice, pst, client=world.acme)
    assert second.removed == 0 and second.rejected_count == 1
    assert UpcomingMeeting.objects.filter(subject="Visit").exists()
    third = import_calendar_path(world.alice, pst, client=world.acme)
    assert third.removed == 1
    assert list(UpcomingMeeting.objects.values_list("subject", flat=True)) == ["Review"]


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_whose_reading_stopped_midway_takes_nothing_off(world, monkeypatch, tmp_path):
    """The reader died after the first part of the calendar: what the rest held is
    unknown, so no meeting is taken off Coming up."""
    pst = tmp_path / "Archive.pst"
    pst.write_bytes(outlook.PST_MAGIC + bytes(508))
    review = _item("Review", datetime(2026, 6, 10, 9), datetime(2026, 6, 10, 10))
    visit = _item("Visit", datetime(2026, 6, 11, 9), datetime(2026, 6, 11, 10))
    died = "a damaged Outlook data file: reading it stopped after 1 of 2 items"
    copies = iter([([("c#1", review, ""), ("c#2", visit, "")], ""), ([("c#1", review, "")], died)])

    def calendars(path, label, max_bytes):
        items, stopped = next(copies)
        for document, problems, covered in documents("Data file 1/Calendar", iter(items), TAGS):
            yield outlook._Found(
                f"{label}/Calendar", calendar=document, problems=tuple(problems), items=covered
            )
        if stopped:
            yield outlook._Found(label, rejected=stopped)

    monkeypatch.setattr(outlook, "pst_calendars", calendars)
    assert import_calendar_path(world.alice, pst, client=world.acme).upcoming == 2
    again = import_calendar_path(world.alice, pst, client=world.acme)
    assert again.removed == 0
    assert again.rejected == [(str(pst), died)]
    assert UpcomingMeeting.objects.filter(subject="Visit").exists()


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=80), st.integers(min_value=-5, max_value=10_005))
def test_any_tzstruct_is_a_zone_or_none_never_an_error(data, year):
    from amends.comms.outlook_calendar import zone_of_struct

    zone = zone_of_struct(data, year)
    if zone is not None:
        assert _z(2026, 1, 1).astimezone(zone).utcoffset() is not None
