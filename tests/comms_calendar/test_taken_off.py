"""A meeting deleted from a calendar (not cancelled): a later copy of the whole calendar,
imported by the same person, no longer holds it, so it leaves "Coming up" instead of
being recorded as held once its time has passed (R23: the record says what happened)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse

from amends.comms.meeting_actions import import_calendar_path, record_past_meetings
from amends.comms.models import Communication, UpcomingMeeting
from amends.watch.models import Job
from amends.watch.worker import run_one_step

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _event(uid: str, start: str, summary: str, sequence: int = 0) -> str:
    return f"""
UID:{uid}
SEQUENCE:{sequence}
DTSTART:{start}
DTEND:{start[:9]}235900Z
DTSTAMP:20260501T080000Z
SUMMARY:{summary}
ORGANIZER;CN=Alice Owner:mailto:alice@firm.example
ATTENDEE;CN=Dana Client:mailto:dana@acme.example
"""


REVIEW = _event("review@firm.example", "20260604T090000Z", "Launch review")
WORKSHOP = _event("workshop@firm.example", "20260610T090000Z", "Content workshop")
WEEKLY = (
    _event("weekly@firm.example", "20260602T140000Z", "Weekly check-in")
    + "RRULE:FREQ=WEEKLY;COUNT=4\n"
)


def _ics(*events: str, name: str | None = "alice@firm.example", method: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0"]
    if name is not None:
        lines.append(f"X-WR-CALNAME:{name}")
    if method:
        lines.append(f"METHOD:{method}")
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR", ""])).encode()


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _import(tmp_path, data: bytes, actor=None, **options):
    path = tmp_path / "calendar.ics"
    path.write_bytes(data)
    return import_calendar_path(actor, path, **options)


def _planned() -> list[str]:
    return sorted(
        f"{m.subject} {m.starts_at:%m-%d}" for m in UpcomingMeeting.objects.order_by("starts_at")
    )


def test_a_meeting_deleted_from_the_calendar_leaves_coming_up_and_is_never_held(world, tmp_path):
    first = _import(tmp_path, _ics(REVIEW, WORKSHOP))
    assert (first.upcoming, first.removed) == (2, 0)
    again = _import(tmp_path, _ics(WORKSHOP))  # the review was deleted, not cancelled
    assert (again.upcoming, again.removed) == (1, 1)
    assert _planned() == ["Content workshop 06-10"]
    # Once its time has passed, nothing records the deleted review as held.
    with time_machine.travel(datetime(2026, 6, 20, tzinfo=UTC), tick=False):
        assert record_past_meetings(datetime(2026, 6, 20, tzinfo=UTC)) == 1
    assert list(Communication.objects.values_list("subject", flat=True)) == ["Content workshop"]


def test_a_copy_that_still_holds_it_removes_nothing_and_a_moved_one_moves(world, tmp_path):
    _import(tmp_path, _ics(REVIEW, WORKSHOP))
    assert _import(tmp_path, _ics(REVIEW, WORKSHOP)).removed == 0
    moved = REVIEW.replace("20260604T", "20260605T").replace("SEQUENCE:0", "SEQUENCE:1")
    assert _import(tmp_path, _ics(moved, WORKSHOP)).removed == 0
    assert _planned() == ["Content workshop 06-10", "Launch review 06-05"]
    # Brought back by a copy that holds it again, as after a removal by hand.
    _import(tmp_path, _ics(WORKSHOP))
    _import(tmp_path, _ics(moved, WORKSHOP))
    assert _planned() == ["Content workshop 06-10", "Launch review 06-05"]


def test_one_occurrence_deleted_from_a_recurring_meeting(world, tmp_path):
    _import(tmp_path, _ics(WEEKLY))
    assert len(_planned()) == 4
    without_one = WEEKLY + "EXDATE:20260616T140000Z\n"
    assert _import(tmp_path, _ics(without_one)).removed == 1
    assert _planned() == [
        "Weekly check-in 06-02",
        "Weekly check-in 06-09",
        "Weekly check-in 06-23",
    ]


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param(_ics(WORKSHOP, name=None), id="a file without a calendar name"),
        pytest.param(_ics(WORKSHOP, method="REQUEST"), id="an invitation"),
        pytest.param(
            _ics(WORKSHOP, "UID:broken\nDTSTART:not-a-date\nSUMMARY:Broken"),
            id="a copy with an event that could not be read",
        ),
        pytest.param(_ics(WORKSHOP, name="Holidays"), id="another calendar"),
    ],
)
def test_only_a_whole_copy_of_the_same_calendar_takes_anything_off(world, tmp_path, copy):
    _import(tmp_path, _ics(REVIEW, WORKSHOP))
    summary = _import(tmp_path, copy)
    assert summary.removed == 0
    assert _planned() == ["Content workshop 06-10", "Launch review 06-04"]


def test_someone_elses_calendar_of_the_same_name_takes_nothing_off(world, tmp_path):
    _import(tmp_path, _ics(REVIEW, WORKSHOP, name="Work"), world.alice, client=world.acme)
    summary = _import(tmp_path, _ics(WORKSHOP, name="Work"), world.bob, client=world.acme)
    assert summary.removed == 0
    assert len(_planned()) == 2
    # Alice's own next copy does.
    summary = _import(tmp_path, _ics(WORKSHOP, name="Work"), world.alice, client=world.acme)
    assert summary.removed == 1
    assert _planned() == ["Content workshop 06-10"]


def test_an_import_for_one_client_takes_off_only_that_clients_meetings(world, tmp_path):
    from amends.clients.actions import add_contact

    add_contact(world.carol, world.globex, name="Gus Globex", email="gus@globex.example")
    globex_call = _event("globex@firm.example", "20260608T090000Z", "Globex call").replace(
        "dana@acme.example", "gus@globex.example"
    )
    _import(tmp_path, _ics(REVIEW, globex_call))
    assert _planned() == ["Globex call 06-08", "Launch review 06-04"]
    # For Acme only: the Globex call is not in this copy, but it is not Acme's.
    summary = _import(tmp_path, _ics(WORKSHOP), client=world.acme)
    assert summary.removed == 1
    assert _planned() == ["Content workshop 06-10", "Globex call 06-08"]


def test_meetings_outside_the_window_read_are_left_alone(world, tmp_path):
    _import(tmp_path, _ics(REVIEW, WORKSHOP))
    # A copy read only up to 6 June cannot say anything about the workshop on the 10th.
    summary = _import(tmp_path, _ics(REVIEW), until=datetime(2026, 6, 6, tzinfo=UTC))
    assert summary.removed == 0
    assert len(_planned()) == 2


def test_several_copies_of_one_calendar_in_a_folder_count_together(world, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    # Sorted by name, the older copy comes last: what either holds stays.
    (folder / "a-this-week.ics").write_bytes(_ics(REVIEW, WORKSHOP))
    (folder / "b-last-week.ics").write_bytes(_ics(REVIEW))
    summary = import_calendar_path(None, folder)
    assert summary.removed == 0
    assert len(_planned()) == 2


def test_an_invitation_read_later_keeps_the_meeting_in_its_calendar(world, tmp_path):
    from amends.comms.actions import Matcher
    from amends.comms.meeting_actions import meetings_from_invitations

    _import(tmp_path, _ics(REVIEW, WORKSHOP))
    invitation = _ics(REVIEW, name=None, method="REQUEST").decode()
    assert meetings_from_invitations(None, [(invitation, "invite.eml")], Matcher(None)) == 1
    assert _import(tmp_path, _ics(WORKSHOP)).removed == 1
    assert _planned() == ["Content workshop 06-10"]


def test_the_cli_and_the_upload_page_say_how_many_were_taken_off(world, tmp_path, capsys, settings):
    _import(tmp_path, _ics(REVIEW, WORKSHOP))
    path = tmp_path / "calendar.ics"
    path.write_bytes(_ics(WORKSHOP))
    call_command("import", str(path))
    assert "1 no longer in the calendar (taken off coming up)" in capsys.readouterr().out

    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    alice = Browser()
    alice.force_login(world.alice)
    for data in (_ics(REVIEW, WORKSHOP), _ics(REVIEW)):
        response = alice.post(
            reverse("comms:import"),
            {"file": SimpleUploadedFile("calendar.ics", data), "client": world.acme.pk},
        )
        assert response.status_code == 303
        while run_one_step() is not None:
            pass
    job = Job.objects.filter(kind="comms.import").latest("id")
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["removed"] == 1
    listing = alice.get(reverse("comms:import_jobs")).content.decode()
    assert "1 no longer in the calendar (taken off coming up)" in listing
    assert _planned() == ["Launch review 06-04"]
