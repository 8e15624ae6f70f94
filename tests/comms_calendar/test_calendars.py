"""Calendar import (.ics): real-world exports from Google, Outlook and Apple; time zones,
recurrences, cancellations; hostile files; idempotent re-import (issue 3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.clients.models import TimelineEntry
from amends.comms.calendars import read_calendar
from amends.comms.meeting_actions import import_calendar_path, sequence_of
from amends.comms.models import Communication, UpcomingMeeting
from tests.comms_calendar.calendars import APPLE, GOOGLE, OUTLOOK

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SINCE, UNTIL = datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 8, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _read(data: bytes):
    return read_calendar(data, since=SINCE, until=UNTIL, label="t.ics")


def _starts(meetings, summary_prefix: str) -> list[datetime]:
    return sorted(m.resolve(UTC)[0] for m in meetings if m.summary.startswith(summary_prefix))


def _z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_google_export_recurrence_exdate_override_and_dst():
    read = _read(GOOGLE)
    assert read.rejected == []
    assert read.cancelled == 1
    weekly = _starts(read.meetings, "Weekly status")
    # 9 March excluded; 16 March moved to 14:00; 29 March the clocks go forward (BST).
    assert weekly == [
        _z(2026, 3, 2, 9, 30),
        _z(2026, 3, 16, 14, 0),
        _z(2026, 3, 23, 9, 30),
        _z(2026, 3, 30, 8, 30),
        _z(2026, 4, 6, 8, 30),
    ]
    ids = {m.external_id for m in read.meetings if m.summary.startswith("Weekly")}
    assert "0a1b2c3d4e5f6g7h8i9j0k1l2m@google.com@2026-03-16T09:30:00+00:00" in ids
    review = next(m for m in read.meetings if m.summary == "Launch review with Acme")
    assert review.external_id == "7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com"
    assert review.location == "Acme HQ, 1 High Street, London"
    assert review.description.startswith("Agenda:\n1. Launch date")
    assert [p.email for p in review.people] == ["alice@firm.example", "dana@acme.example"]
    assert review.attendees[0].name == "Dana Client"  # a folded line, unfolded


def test_outlook_windows_zone_names_and_all_day():
    read = _read(OUTLOOK)
    assert read.rejected == []
    invoice = next(m for m in read.meetings if m.summary == "Invoice questions")
    assert invoice.resolve(UTC) == (_z(2026, 3, 25, 13, 0), _z(2026, 3, 25, 14, 0))
    assert invoice.organizer.email == "dana@acme.example"
    assert "dana@acme.example" in [p.email for p in invoice.attendees]  # lower-cased
    pacific = next(m for m in read.meetings if m.summary.startswith("Call from the West"))
    assert pacific.resolve(UTC)[0] == _z(2026, 3, 20, 16, 0)  # PDT, without a VTIMEZONE
    workshop = next(m for m in read.meetings if m.summary == "Acme workshop day")
    assert workshop.all_day


def test_apple_export_x_wr_timezone_count_exdate_override():
    read = _read(APPLE)
    assert read.rejected == []
    assert _starts(read.meetings, "Acme stand-up") == [
        _z(2026, 3, 20, 9, 0),
        _z(2026, 4, 3, 10, 0),
        _z(2026, 4, 10, 8, 0),
    ]


def test_import_puts_meetings_on_the_timeline_with_attendees(world, tmp_path):
    path = tmp_path / "google.ics"
    path.write_bytes(GOOGLE)
    summary = import_calendar_path(None, path)
    assert (summary.imported, summary.unmatched, summary.upcoming, summary.cancelled) == (
        6,
        1,
        1,
        1,
    )
    review = Communication.objects.get(external_id="7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com")
    assert review.client == world.acme and review.channel == "meeting"
    assert review.direction == "out" and review.person == world.alice
    assert review.contact == world.contact
    assert review.ends_at == _z(2026, 3, 4, 11, 0)
    assert {"name": "Dana Client", "email": "dana@acme.example", "contact": world.contact.pk} in (
        review.attendees
    )
    assert TimelineEntry.objects.filter(
        subject_type="communication", subject_id=review.pk, kind="comm.meeting"
    ).exists()


def test_organised_by_the_client_is_inbound(world, tmp_path):
    (tmp_path / "o.ics").write_bytes(OUTLOOK)
    import_calendar_path(None, tmp_path / "o.ics")
    invoice = Communication.objects.get(subject="Invoice questions")
    assert invoice.direction == "in"
    workshop = Communication.objects.get(subject="Acme workshop day")
    # An all-day event starts at midnight in the client's zone (London, summer time).
    assert workshop.occurred_at == _z(2026, 3, 29, 23, 0)


def test_floating_time_is_the_clients_local_time(world, tmp_path):
    (tmp_path / "a.ics").write_bytes(APPLE)
    import_calendar_path(None, tmp_path / "a.ics")
    call = Communication.objects.get(external_id="FLOATING-0001")
    assert call.occurred_at == _z(2026, 4, 2, 14, 0)


def test_reimport_is_idempotent_and_updates_changed_events(world, tmp_path):
    path = tmp_path / "g.ics"
    path.write_bytes(GOOGLE)
    import_calendar_path(None, path)
    count = Communication.objects.count()
    entries = TimelineEntry.objects.count()
    again = import_calendar_path(None, path)
    assert again.imported == 0 and again.duplicates == 6
    assert Communication.objects.count() == count and TimelineEntry.objects.count() == entries
    changed = GOOGLE.replace(
        b"SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:Launch review",
        b"SEQUENCE:1\r\nSTATUS:CONFIRMED\r\nSUMMARY:Launch review (moved)",
    ).replace(b"DTSTART:20260304T100000Z", b"DTSTART:20260304T150000Z")
    path.write_bytes(changed)
    third = import_calendar_path(None, path)
    assert third.updated == 1 and third.imported == 0
    review = Communication.objects.get(external_id="7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com")
    assert review.subject == "Launch review (moved) with Acme"
    assert review.occurred_at == _z(2026, 3, 4, 15, 0)
    entry = TimelineEntry.objects.get(subject_type="communication", subject_id=review.pk)
    assert entry.at == review.occurred_at and "(moved)" in entry.summary
    assert Communication.objects.count() == count


def test_an_older_export_never_undoes_a_newer_version(world, tmp_path):
    """SEQUENCE is kept: re-importing last month's export after this week's leaves the
    moved meeting where it is now, and says so."""
    moved = GOOGLE.replace(
        b"SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:Launch review",
        b"SEQUENCE:3\r\nSTATUS:CONFIRMED\r\nSUMMARY:Launch review (moved)",
    ).replace(b"DTSTART:20260304T100000Z", b"DTSTART:20260304T150000Z")
    path = tmp_path / "new.ics"
    path.write_bytes(moved)
    import_calendar_path(None, path)
    review = Communication.objects.get(external_id="7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com")
    assert sequence_of(review.external_revision) == 3
    stale = tmp_path / "old.ics"
    stale.write_bytes(GOOGLE)
    summary = import_calendar_path(None, stale)
    assert summary.outdated == 1 and summary.updated == 0 and summary.imported == 0
    review.refresh_from_db()
    assert review.subject == "Launch review (moved) with Acme"
    assert review.occurred_at == _z(2026, 3, 4, 15, 0)
    # The same version again, or a newer one, still counts as usual.
    assert import_calendar_path(None, path).duplicates == 6


def test_of_two_exports_at_the_same_sequence_the_later_stands(world, tmp_path):
    """A renamed meeting keeps its SEQUENCE (only changes of time count): the copy made
    later (LAST-MODIFIED, else DTSTAMP) is the newer one, in whichever order they come."""
    uid = "7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com"
    old = GOOGLE.replace(b"DTSTAMP:", b"DTSTAMP:20260301T080000Z\r\nX-OLD-DTSTAMP:")
    new = GOOGLE.replace(b"DTSTAMP:", b"DTSTAMP:20260303T080000Z\r\nX-OLD-DTSTAMP:").replace(
        b"SUMMARY:Launch review", b"SUMMARY:Launch review (renamed)"
    )
    assert old.count(b"DTSTAMP:2026030") >= 1
    (tmp_path / "old.ics").write_bytes(old)
    (tmp_path / "new.ics").write_bytes(new)
    import_calendar_path(None, tmp_path / "new.ics")
    stale = import_calendar_path(None, tmp_path / "old.ics")
    review = Communication.objects.get(external_id=uid)
    assert review.subject == "Launch review (renamed) with Acme"
    assert stale.outdated >= 1 and stale.updated == 0
    # The other way round: the later copy updates the earlier.
    Communication.objects.filter(channel=Communication.Channel.MEETING).delete()
    import_calendar_path(None, tmp_path / "old.ics")
    assert import_calendar_path(None, tmp_path / "new.ics").updated >= 1
    assert Communication.objects.get(external_id=uid).subject == "Launch review (renamed) with Acme"


def test_the_revision_is_the_sequence_then_the_time_of_the_copy():
    from amends.comms.meeting_actions import revision_of

    early, late = _z(2026, 3, 1), _z(2026, 3, 2)
    assert revision_of(0, late) < revision_of(1, None) < revision_of(1, early)
    assert revision_of(1, early) < revision_of(1, late) < revision_of(2, early)
    assert sequence_of(revision_of(7, late)) == 7
    assert revision_of(-5, _z(1960, 1, 1)) == 0  # nonsense bounded, never negative
    assert sequence_of(revision_of(2**40, late)) == 2**28 - 1


def test_a_meeting_cancelled_since_is_marked(world, tmp_path):
    path = tmp_path / "g.ics"
    path.write_bytes(GOOGLE)
    import_calendar_path(None, path)
    path.write_bytes(
        GOOGLE.replace(
            b"SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:Launch review",
            b"SEQUENCE:2\r\nSTATUS:CANCELLED\r\nSUMMARY:Launch review",
        )
    )
    summary = import_calendar_path(None, path)
    assert summary.cancelled == 2 and summary.updated == 1
    review = Communication.objects.get(external_id="7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com")
    assert review.subject == "Cancelled: Launch review with Acme"
    assert import_calendar_path(None, path).updated == 0  # marked once


def test_outlook_all_day_written_as_midnight_datetimes():
    data = OUTLOOK.replace(
        b"DTEND;VALUE=DATE:20260331\r\n",
        b'DTEND;TZID="W. Europe Standard Time":20260331T000000\r\n',
    ).replace(
        b"DTSTART;VALUE=DATE:20260330\r\n",
        b'DTSTART;TZID="W. Europe Standard Time":20260330T000000\r\n',
    )
    workshop = next(m for m in _read(data).meetings if m.summary == "Acme workshop day")
    assert workshop.all_day and workshop.resolve(UTC)[0] == _z(2026, 3, 30, 0, 0)


def test_client_option_keeps_everything_and_permissions(world, tmp_path):
    (tmp_path / "g.ics").write_bytes(GOOGLE)
    summary = import_calendar_path(world.alice, tmp_path / "g.ics", client=world.acme)
    assert summary.unmatched == 0 and summary.imported == 7
    dentist = Communication.objects.get(subject="Dentist")
    assert dentist.direction == "internal"
    with pytest.raises(PermissionDenied):
        import_calendar_path(world.carol, tmp_path / "g.ics", client=world.acme)
    with pytest.raises(PermissionDenied):
        import_calendar_path(world.alice, tmp_path / "g.ics")


MISSING_END = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VEVENT\r
UID:ok-1\r
DTSTART:20260301T100000Z\r
SUMMARY:Fine one\r
ATTENDEE:mailto:dana@acme.example\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:broken-1\r
DTSTART:2026-03-01 nonsense\r
SUMMARY:Bad date\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:huge-1\r
DTSTART:20260301T100000Z\r
RRULE:FREQ=SECONDLY;COUNT=2000000000\r
SUMMARY:Huge\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20260302T100000Z\r
SUMMARY:No UID here\r
ATTENDEE:mailto:dana@acme.example\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:daily-1\r
DTSTART:20250101T100000Z\r
RRULE:FREQ=HOURLY\r
SUMMARY:Too many\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:last-1\r
DTSTART:20260303T100000Z\r
SUMMARY:Cut off at the end\r
ATTENDEE:mailto:dana@acme.example\r
"""


def test_malformed_calendar_rejects_bad_events_and_keeps_the_rest(world, tmp_path):
    read = _read(MISSING_END)
    kept = sorted(m.summary for m in read.meetings if m.summary != "Too many")
    assert kept == ["Cut off at the end", "Fine one", "No UID here"]
    # An hourly event: the first 1,000 occurrences in the window, and a reason.
    assert sum(m.summary == "Too many" for m in read.meetings) == 1000
    reasons = " | ".join(f"{w}: {r}" for w, r in read.rejected)
    assert "Bad date" in reasons and "Huge" in reasons and "Too many" in reasons
    (tmp_path / "m.ics").write_bytes(MISSING_END)
    first = import_calendar_path(None, tmp_path / "m.ics")
    assert first.imported == 3 and first.rejected_count == 3
    assert first.unmatched == 1000  # the hourly event has no attendees
    assert import_calendar_path(None, tmp_path / "m.ics").imported == 0  # no UID: stable key


def _event(*lines: str) -> bytes:
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", *lines])
    return (body + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def test_a_repeat_rule_written_with_spaces_reads_as_meant():
    # As a real export wrote it (recurring-ical-events' issue 165).
    read = _read(
        _event(
            "UID:standup-1",
            "SUMMARY:Daily standup",
            "DTSTART:20260504T083000Z",
            "DTEND:20260504T084500Z",
            "RRULE:FREQ=DAILY;UNTIL=20260512T080000Z;INTERVAL=1;BYDAY=MO, TU, WE, TH, FR",
        )
    )
    assert read.rejected == []
    assert [m.resolve(UTC)[0].day for m in read.meetings] == [4, 5, 6, 7, 8, 11]


def test_a_series_that_ended_long_ago_is_not_refused_as_too_long():
    # Twice a day for a month in 1995: expanding it walks to 1995, not to the window's end
    # (40 years of twice a day would be refused as too long to expand).
    read = read_calendar(
        _event(
            "UID:old-daily",
            "SUMMARY:Old standup",
            "DTSTART:19950601T083000Z",
            "RRULE:FREQ=DAILY;BYHOUR=9,17;UNTIL=19950630T080000Z",
        ),
        since=datetime(1990, 1, 1, tzinfo=UTC),
        until=datetime(2035, 1, 1, tzinfo=UTC),
        label="t.ics",
    )
    assert read.rejected == []
    assert {m.resolve(UTC)[0].hour for m in read.meetings} >= {9, 17}
    assert 58 <= len(read.meetings) <= 59


def test_every_calendar_of_a_file_holding_several_is_read():
    # Calendars one after the other in one file (icalendar's issue 1050): all are read,
    # each in its own time zone.
    first = _event("UID:one", "SUMMARY:One", "DTSTART:20260302T090000Z")
    second = _event("UID:two", "SUMMARY:Two", "DTSTART:20260303T090000").replace(
        b"VERSION:2.0", b"VERSION:2.0\r\nX-WR-TIMEZONE:Europe/Paris"
    )
    read = _read(first + second)
    assert read.rejected == []
    assert {m.summary: m.resolve(UTC)[0] for m in read.meetings} == {
        "One": _z(2026, 3, 2, 9, 0),
        "Two": _z(2026, 3, 3, 8, 0),
    }


def test_occurrences_moved_with_all_that_follow_keep_ids_of_their_own():
    # RANGE=THISANDFUTURE (recurring-ical-events' issue 75): every moved occurrence
    # carries the change's RECURRENCE-ID; each is known by its own original time, so
    # none overwrites another and importing again finds each where it was.
    read = _read(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nUID:210\r\nDTSTART:20260301T120000Z\r\nDTEND:20260301T140000Z\r\n"
        b"RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20260320\r\nSUMMARY:Original\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:210\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260311T120000Z\r\n"
        b"DTSTART:20260311T090000Z\r\nDTEND:20260311T160000Z\r\nSEQUENCE:1\r\n"
        b"SUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    moved = sorted(
        (m.resolve(UTC)[0], m.external_id) for m in read.meetings if m.summary == "Moved"
    )
    assert moved == [
        (_z(2026, 3, 11, 9), "210@2026-03-11T12:00:00+00:00"),
        (_z(2026, 3, 13, 9), "210@2026-03-13T12:00:00+00:00"),
        (_z(2026, 3, 15, 9), "210@2026-03-15T12:00:00+00:00"),
        (_z(2026, 3, 17, 9), "210@2026-03-17T12:00:00+00:00"),
        (_z(2026, 3, 19, 9), "210@2026-03-19T12:00:00+00:00"),
    ]
    assert len({m.external_id for m in read.meetings}) == len(read.meetings) == 10


def test_why_an_event_cannot_be_read_is_said_in_words():
    read = _read(
        _event("UID:no-start", "SUMMARY:No start")
        + _event("UID:time-only", "DTSTART:20260302T000000Z", "RDATE;VALUE=TIME:133000Z")
        + _event("UID:bad-rule", "DTSTART:20260302T000000Z", "RRULE:FREQ=OFTEN")
    )
    reasons = dict(read.rejected)
    assert (
        reasons["t.ics: No start"] == "cannot be read (it has no readable start (DTSTART)); skipped"
    )
    assert "a date or time in it is of the wrong kind" in reasons["t.ics: time-only"]
    assert "RRULE" in reasons["t.ics: bad-rule"]
    assert not any("Error:" in reason for reason in reasons.values())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a calendar",
        b"BEGIN:VCALENDAR\r\n",
        b"\xff\xfe\x00garbage",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:99999999T999999\r\nEND:VEVENT\r\n",
    ],
)
def test_hostile_files_never_raise(data):
    read = _read(data)
    assert read.meetings == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    _read(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + data)
    _read(data)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from([GOOGLE, OUTLOOK, APPLE]), min_size=1, max_size=4))
def test_reimport_in_any_order_is_idempotent(world, tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("cal")
    for i, data in enumerate(files):
        (folder / f"{i}.ics").write_bytes(data)
    import_calendar_path(None, folder)
    count = Communication.objects.count()
    again = import_calendar_path(None, folder)
    assert again.imported == 0 and again.updated == 0
    assert Communication.objects.count() == count


def test_file_size_is_bounded(world, tmp_path):
    (tmp_path / "big.ics").write_bytes(GOOGLE)
    summary = import_calendar_path(None, tmp_path / "big.ics", max_bytes=100)
    assert summary.imported == 0 and "larger than" in summary.rejected[0][1]


def test_cli_imports_a_calendar_folder_with_window(world, tmp_path, capsys):
    (tmp_path / "google.ics").write_bytes(GOOGLE)
    (tmp_path / "apple.ics").write_bytes(APPLE)
    call_command("import", str(tmp_path), "--since", "2026-03-15", "--until", "2026-04-05")
    out = capsys.readouterr().out
    assert "Imported meetings from" in out and "still to come" in out
    weekly = Communication.objects.filter(subject__startswith="Weekly status")
    assert weekly.count() == 3  # 16, 23 and 30 March
    assert not Communication.objects.filter(subject="Launch review with Acme").exists()
    call_command("import", str(tmp_path / "google.ics"), "--since", "2026-03-15")
    assert "already there" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a date"):
        call_command("import", str(tmp_path / "google.ics"), "--since", "last tuesday")


@pytest.mark.django_db(transaction=True)
def test_migration_0015_moves_the_stored_sequence_both_ways(world, tmp_path):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    (tmp_path / "g.ics").write_bytes(GOOGLE)
    import_calendar_path(None, tmp_path / "g.ics")
    uid = "7kq3c1v8d2m9s0a1b2c3d4e5f6@google.com"
    Communication.objects.filter(external_id=uid).update(external_revision=3 << 34 | 12345)
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("comms", "0014_email_dismissed")])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT external_revision FROM comms_communication WHERE external_id = %s", [uid]
            )
            assert cursor.fetchone()[0] == 3  # the SEQUENCE alone, as 0014 kept it
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    assert Communication.objects.get(external_id=uid).external_revision == 3 << 34


def _invited(uid: str, start: str, *attendees: str, organizer: str = "dana@acme.example") -> bytes:
    lines = [
        f"UID:{uid}",
        "SUMMARY:Review with Acme",
        f"DTSTART:{start}",
        f"ORGANIZER:mailto:{organizer}",
        *attendees,
        "DTSTAMP:20260501T080000Z",
    ]
    return _event(*lines)


def test_a_meeting_everyone_of_ours_declined_is_not_recorded(world, tmp_path):
    """A Google export holds the invitations you declined, marked PARTSTAT=DECLINED: not
    meetings held with the client, unless someone else of yours went or one of yours
    organised it."""
    declined = "ATTENDEE;PARTSTAT=DECLINED:mailto:alice@firm.example"
    accepted = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@firm.example"
    client = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@acme.example"
    calendar = (
        _invited("past-declined", "20260505T090000Z", declined, client)
        + _invited("past-one-went", "20260506T090000Z", declined, accepted, client)
        + _invited(
            "ours-declined", "20260507T090000Z", declined, client, organizer="alice@firm.example"
        )
        + _invited("soon-declined", "20260610T090000Z", declined, client)
    )
    (tmp_path / "export.ics").write_bytes(calendar)
    summary = import_calendar_path(None, tmp_path / "export.ics")
    assert summary.declined == 2 and summary.imported == 2
    kept = set(Communication.objects.values_list("external_id", flat=True))
    assert kept == {"past-one-went", "ours-declined"}
    assert not UpcomingMeeting.objects.exists()
    # Accepted in an earlier export, declined in a later one: off Coming up.
    (tmp_path / "earlier.ics").write_bytes(
        _invited("later-declined", "20260612T090000Z", accepted.replace("bob", "alice"), client)
    )
    import_calendar_path(None, tmp_path / "earlier.ics")
    assert UpcomingMeeting.objects.filter(external_id="later-declined").exists()
    (tmp_path / "later.ics").write_bytes(
        _invited("later-declined", "20260612T090000Z", declined, client)
    )
    assert import_calendar_path(None, tmp_path / "later.ics").declined == 1
    assert not UpcomingMeeting.objects.exists()


def test_an_event_kept_without_its_calendar_around_it_is_read():
    # As khal and vdirsyncer keep one event a file: no BEGIN:VCALENDAR.
    read = _read(
        b"BEGIN:VEVENT\r\nUID:bare-1\r\nSUMMARY:Bare\r\nDTSTART:20260302T090000Z\r\nEND:VEVENT\r\n"
    )
    assert read.rejected == [] and [m.summary for m in read.meetings] == ["Bare"]
    assert _read(b"BEGIN:VCARD\r\nFN:Dana\r\nEND:VCARD\r\n").rejected == [
        ("t.ics", "a contact card (vCard), not a calendar: it holds no meetings")
    ]
    assert _read(b"Dana, 12 Acacia Avenue\r\n").rejected == [
        ("t.ics", "this is not an iCalendar file (no BEGIN:VCALENDAR)")
    ]
