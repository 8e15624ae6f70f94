"""Meetings still to come (R22): kept from imported calendars, moved, cancelled, recorded
once they have happened, shown on the client page and in the API — to the team only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from amends.clients.models import TimelineEntry
from amends.comms.meeting_actions import import_calendar_path, sequence_of
from amends.comms.models import Communication, UpcomingMeeting
from amends.comms.queries import coming_up, list_upcoming_meetings

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
REVIEW = "review-42@firm.example"


def _ics(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR", ""])).encode()


def _review(start: str = "20260604T090000Z", sequence: int = 0, status: str = "CONFIRMED") -> str:
    return f"""
UID:{REVIEW}
SEQUENCE:{sequence}
STATUS:{status}
DTSTART:{start}
DTEND:{start[:9]}100000Z
DTSTAMP:20260601T080000Z
SUMMARY:Launch review with Acme
LOCATION:Acme HQ\\, Bristol
ORGANIZER;CN=Alice Owner:mailto:alice@firm.example
ATTENDEE;CN=Dana Client:mailto:dana@acme.example
ATTENDEE;CN=Alice Owner:mailto:alice@firm.example
"""


# Weekly from a week ago: one occurrence has happened, two are still to come.
WEEKLY = """
UID:weekly@firm.example
DTSTART:20260525T140000Z
DTEND:20260525T143000Z
RRULE:FREQ=WEEKLY;COUNT=3
DTSTAMP:20260501T080000Z
SUMMARY:Acme weekly check-in
ORGANIZER;CN=Alice Owner:mailto:alice@firm.example
ATTENDEE;CN=Dana Client:mailto:dana@acme.example
"""


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _import(tmp_path, data: bytes):
    path = tmp_path / "calendar.ics"
    path.write_bytes(data)
    return import_calendar_path(None, path)


def test_meetings_still_to_come_are_kept_not_recorded(world, tmp_path):
    summary = _import(tmp_path, _ics(_review(), WEEKLY))
    assert (summary.imported, summary.upcoming) == (1, 3)
    assert Communication.objects.filter(channel="meeting").count() == 1  # the one held
    planned = list(UpcomingMeeting.objects.order_by("starts_at"))
    assert [(m.subject, m.starts_at) for m in planned] == [
        ("Acme weekly check-in", datetime(2026, 6, 1, 14, 0, tzinfo=UTC)),
        ("Launch review with Acme", datetime(2026, 6, 4, 9, 0, tzinfo=UTC)),
        ("Acme weekly check-in", datetime(2026, 6, 8, 14, 0, tzinfo=UTC)),
    ]
    review = planned[1]
    assert review.client == world.acme and review.direction == "out"
    assert review.person == world.alice and review.contact == world.contact
    assert review.location == "Acme HQ, Bristol"
    assert review.ends_at == datetime(2026, 6, 4, 10, 0, tzinfo=UTC)
    assert {"name": "Dana Client", "email": "dana@acme.example", "contact": world.contact.pk} in (
        review.attendees
    )
    # Nothing on the timeline until it has happened.
    assert not TimelineEntry.objects.filter(summary__contains="Launch review").exists()

    again = _import(tmp_path, _ics(_review(), WEEKLY))
    assert (again.imported, again.upcoming) == (0, 3)
    assert UpcomingMeeting.objects.count() == 3


def test_a_moved_meeting_moves_and_an_older_copy_changes_nothing(world, tmp_path):
    _import(tmp_path, _ics(_review()))
    _import(tmp_path, _ics(_review("20260605T090000Z", sequence=2)))
    moved = UpcomingMeeting.objects.get()
    assert moved.starts_at == datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
    assert sequence_of(moved.external_revision) == 2
    _import(tmp_path, _ics(_review(sequence=1)))  # last week's export
    assert UpcomingMeeting.objects.get().starts_at == moved.starts_at


def test_a_meeting_now_with_another_client_moves_to_that_client(world, tmp_path):
    from amends.clients.actions import add_contact

    add_contact(world.carol, world.globex, name="Gus Globex", email="gus@globex.example")
    _import(tmp_path, _ics(_review()))
    assert UpcomingMeeting.objects.get().client == world.acme
    with_gus = _review(sequence=1).replace(
        "ATTENDEE;CN=Dana Client:mailto:dana@acme.example",
        "ATTENDEE;CN=Gus Globex:mailto:gus@globex.example",
    )
    _import(tmp_path, _ics(with_gus))
    assert [m.client for m in UpcomingMeeting.objects.all()] == [world.globex]
    # An import for one client (--client) never takes another client's meeting away.
    path = tmp_path / "forced.ics"
    path.write_bytes(_ics(_review(sequence=2)))
    import_calendar_path(None, path, client=world.acme)
    assert {m.client for m in UpcomingMeeting.objects.all()} == {world.acme, world.globex}


def test_once_it_has_happened_the_next_import_records_it(world, tmp_path):
    _import(tmp_path, _ics(_review(), WEEKLY))
    with time_machine.travel(datetime(2026, 6, 4, 11, 0, tzinfo=UTC), tick=False):
        summary = _import(tmp_path, _ics(_review(), WEEKLY))
    assert summary.imported == 2 and summary.upcoming == 1  # the review and Monday's
    review = Communication.objects.get(external_id=REVIEW)
    assert review.occurred_at == datetime(2026, 6, 4, 9, 0, tzinfo=UTC)
    assert list(UpcomingMeeting.objects.values_list("starts_at", flat=True)) == [
        datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
    ]


def test_once_it_is_over_the_worker_records_it_without_a_new_import(world, tmp_path):
    from amends.comms.meeting_actions import record_past_meetings
    from amends.search.queries import search
    from amends.watch.schedule import run_schedules

    _import(tmp_path, _ics(_review(), WEEKLY))
    # Monday's check-in is under way (14:00-14:30): still coming up, not yet recorded.
    assert record_past_meetings(datetime(2026, 6, 1, 14, 15, tzinfo=UTC)) == 0
    assert UpcomingMeeting.objects.count() == 3
    with time_machine.travel(datetime(2026, 6, 4, 11, 0, tzinfo=UTC), tick=False):
        run_schedules(force=True)  # the worker's periodic work
    assert list(UpcomingMeeting.objects.values_list("starts_at", flat=True)) == [
        datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
    ]
    review = Communication.objects.get(external_id=REVIEW)
    assert (review.client, review.channel, review.direction) == (world.acme, "meeting", "out")
    assert review.subject == "Launch review with Acme" and review.location == "Acme HQ, Bristol"
    assert review.occurred_at == datetime(2026, 6, 4, 9, 0, tzinfo=UTC)
    assert review.ends_at == datetime(2026, 6, 4, 10, 0, tzinfo=UTC)
    assert (review.contact, review.person) == (world.contact, world.alice)
    assert TimelineEntry.objects.filter(subject_id=review.pk, client=world.acme).exists()
    assert [hit.object_id for hit in search(world.alice, "launch review").hits] == [review.pk]
    assert search(world.carol, "launch review").hits == []
    # Running again records nothing more; the next import of the calendar finds it
    # already there (unchanged), as the import itself would have recorded it.
    assert record_past_meetings(datetime(2026, 6, 4, 11, 0, tzinfo=UTC)) == 0
    with time_machine.travel(datetime(2026, 6, 4, 11, 0, tzinfo=UTC), tick=False):
        summary = _import(tmp_path, _ics(_review(), WEEKLY))
    assert summary.imported == 0 and summary.upcoming == 1
    assert Communication.objects.filter(channel="meeting").count() == 3


def test_a_meeting_is_recorded_once_and_not_when_moved_since_it_was_read(world, tmp_path):
    from amends.comms.meeting_actions import record_meeting_held

    _import(tmp_path, _ics(_review(), WEEKLY))
    review = UpcomingMeeting.objects.select_related("client").get(external_id=REVIEW)
    # An import moves it to next week after the worker read it: left for the next run.
    UpcomingMeeting.objects.filter(pk=review.pk).update(
        starts_at=datetime(2026, 6, 11, 9, 0, tzinfo=UTC), external_revision=1
    )
    assert record_meeting_held(review) is False
    assert not Communication.objects.filter(external_id=REVIEW).exists()
    # Two workers read the same meeting: only the first records it.
    check_in = UpcomingMeeting.objects.select_related("client").order_by("starts_at").first()
    with time_machine.travel(datetime(2026, 6, 4, 11, 0, tzinfo=UTC), tick=False):
        assert record_meeting_held(check_in) is True
        assert record_meeting_held(check_in) is False
    assert Communication.objects.filter(external_id=check_in.external_id).count() == 1


def test_a_meeting_that_cannot_be_recorded_stays_listed_and_stops_nothing(world, tmp_path):
    from amends.comms.meeting_actions import record_past_meetings

    _import(tmp_path, _ics(_review(), WEEKLY))
    # Asked about a date the clock has not reached, every meeting would be in the
    # future: none can be recorded, each is logged and stays coming up.
    assert record_past_meetings(datetime(2026, 7, 1, tzinfo=UTC)) == 0
    assert UpcomingMeeting.objects.count() == 3
    assert Communication.objects.filter(channel="meeting").count() == 1


def test_a_cancelled_meeting_is_no_longer_coming_up(world, tmp_path):
    _import(tmp_path, _ics(_review(), WEEKLY))
    summary = _import(tmp_path, _ics(_review(sequence=1, status="CANCELLED"), WEEKLY))
    assert summary.cancelled == 1
    assert not UpcomingMeeting.objects.filter(external_id=REVIEW).exists()
    assert UpcomingMeeting.objects.count() == 2


def test_what_is_listed_is_still_to_come_and_scoped(world, tmp_path):
    _import(tmp_path, _ics(_review(), WEEKLY))
    now = datetime(2026, 6, 1, 14, 15, tzinfo=UTC)  # Monday's check-in is under way
    listed = list(list_upcoming_meetings(world.alice, now, client=world.acme))
    assert [m.starts_at.day for m in listed] == [1, 4, 8]
    later = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)
    assert [m.starts_at.day for m in list_upcoming_meetings(world.alice, later)] == [4, 8]
    assert list(list_upcoming_meetings(world.carol, now)) == []
    assert list(list_upcoming_meetings(world.ada, now).values_list("pk", flat=True)) == [
        m.pk for m in listed
    ]


def test_coming_up_merges_calendar_meetings_and_check_ins(world, tmp_path):
    from amends.cases.actions import add_to_case

    _import(tmp_path, _ics(_review()))
    add_to_case(world.alice, world.case, "checkin", scheduled_at=NOW + timedelta(days=1))
    add_to_case(world.alice, world.case, "checkin", scheduled_at=NOW - timedelta(days=1))
    items = coming_up(world.alice, world.acme, NOW)
    assert [(i.title, i.checkin is not None) for i in items] == [
        (f"Check-in: {world.case.title}", True),
        ("Launch review with Acme", False),
    ]
    assert coming_up(world.carol, world.acme, NOW) == []


# ---------------------------------------------------------------------- the pages


def test_the_client_page_shows_what_is_coming_up(world, tmp_path, as_alice):
    _import(tmp_path, _ics(_review()))
    page = as_alice.get(f"/clients/{world.acme.pk}/").content.decode()
    assert "Coming up" in page and "Launch review with Acme" in page
    assert "Thu 4 Jun, 10:00–11:00" in page  # in the client's zone (London, summer time)
    assert f"Nothing planned with {world.acme.name}" not in page


def test_an_all_day_meeting_says_so(world, tmp_path, as_alice):
    """Midnight to midnight in the client's zone is "all day", not "00:00–00:00"; an
    all-day event no one is invited to (a holiday) is no meeting with the client, even
    in an import for it."""
    workshop = """
UID:workshop@firm.example
DTSTART;VALUE=DATE:20260608
DTEND;VALUE=DATE:20260610
SUMMARY:Acme workshop days
ORGANIZER;CN=Alice Owner:mailto:alice@firm.example
ATTENDEE;CN=Dana Client:mailto:dana@acme.example
"""
    visit = """
UID:visit@firm.example
DTSTART;VALUE=DATE:20260605
DTEND;VALUE=DATE:20260606
SUMMARY:Acme site visit
ATTENDEE;CN=Dana Client:mailto:dana@acme.example
"""
    holiday = "UID:holiday@firm.example\nDTSTART;VALUE=DATE:20260603\nSUMMARY:Bank holiday"
    path = tmp_path / "c.ics"
    path.write_bytes(_ics(workshop, visit, holiday))
    summary = import_calendar_path(None, path, client=world.acme)
    assert (summary.upcoming, summary.unmatched, summary.not_meetings) == (2, 0, 1)
    page = as_alice.get(f"/clients/{world.acme.pk}/").content.decode()
    assert "Fri 5 Jun, all day" in page
    assert "Mon 8 Jun – Tue 9 Jun, all day" in page
    assert "Bank holiday" not in page


def test_nothing_planned_while_a_case_is_open_is_flagged(world, as_alice):
    page = as_alice.get(f"/clients/{world.acme.pk}/").content.decode()
    assert f"Nothing planned with {world.acme.name} in the next two weeks while a case" in page


def test_the_home_page_lists_the_next_two_days_meetings(world, tmp_path, client):
    _import(tmp_path, _ics(_review(), WEEKLY))  # Monday 14:00, Thursday 09:00, next Monday
    client.force_login(world.alice)
    page = client.get("/").content.decode()
    assert "Meetings with clients, next two days" in page
    assert "Acme weekly check-in" in page and "Mon 1 Jun, 15:00–15:30" in page  # London time
    assert "Launch review with Acme" not in page  # three days ahead
    client.force_login(world.carol)
    page = client.get("/").content.decode()
    assert "Meetings with clients" not in page and "Acme" not in page


def test_an_outsider_sees_no_meeting_and_cannot_remove_one(world, tmp_path, as_carol):
    _import(tmp_path, _ics(_review()))
    meeting = UpcomingMeeting.objects.get()
    assert as_carol.get(f"/clients/{world.acme.pk}/").status_code == 404
    response = as_carol.post(f"/comms/upcoming/{meeting.pk}/remove/")
    assert response.status_code == 404
    assert UpcomingMeeting.objects.filter(pk=meeting.pk).exists()


def test_the_team_removes_a_meeting_no_longer_planned(world, tmp_path, as_alice):
    _import(tmp_path, _ics(_review()))
    meeting = UpcomingMeeting.objects.get()
    assert as_alice.get(f"/comms/upcoming/{meeting.pk}/remove/").status_code == 405
    response = as_alice.post(f"/comms/upcoming/{meeting.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert "is no longer listed as coming up" in response.content.decode()
    assert not UpcomingMeeting.objects.exists()
    assert as_alice.post(f"/comms/upcoming/{meeting.pk}/remove/").status_code == 404
    _import(tmp_path, _ics(_review()))  # a calendar that still holds it brings it back
    assert UpcomingMeeting.objects.count() == 1


# ---------------------------------------------------------------------- the API


def test_the_api_lists_and_removes_them(world, tmp_path, client, api_alice, api_carol):
    _import(tmp_path, _ics(_review(), WEEKLY))
    auth, outsider = api_alice, api_carol
    response = client.get(f"/api/v1/upcoming-meetings?client={world.acme.pk}", **auth)
    assert response.status_code == 200
    items = json.loads(response.content)["items"]
    assert [i["subject"] for i in items] == [
        "Acme weekly check-in",
        "Launch review with Acme",
        "Acme weekly check-in",
    ]
    review = items[1]
    assert review["starts_at"].startswith("2026-06-04T09:00:00")
    assert review["location"] == "Acme HQ, Bristol" and review["direction"] == "out"
    assert review["contact"] == world.contact.pk and review["person"] == world.alice.pk
    assert review["external_id"] == REVIEW
    response = client.get(f"/api/v1/upcoming-meetings?client={world.acme.pk}", **outsider)
    assert response.status_code == 404
    assert json.loads(client.get("/api/v1/upcoming-meetings", **outsider).content)["items"] == []
    gone = client.delete(f"/api/v1/upcoming-meetings/{review['id']}", **outsider)
    assert gone.status_code == 404
    gone = client.delete(f"/api/v1/upcoming-meetings/{review['id']}", **auth)
    assert gone.status_code == 204
    assert not UpcomingMeeting.objects.filter(external_id=REVIEW).exists()
