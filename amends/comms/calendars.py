"""Reading iCalendar (.ics) exports — Google Calendar, Outlook, Apple iCloud — into
meetings. Parsing only, no database: `meeting_actions` stores what this finds.

Every VEVENT (with its recurrence overrides, grouped by UID) is read on its own, so one
broken event is rejected with a reason while the rest continue. Recurring events are
expanded within a window, with a cap on occurrences per event and per file; the file
size and the number of events are bounded too. Nothing here raises on hostile input.

Times: a TZID (with its VTIMEZONE, or a Windows zone name such as "W. Europe Standard
Time", or an Olson name) and UTC times become aware datetimes; Apple's and Google's
X-WR-TIMEZONE is applied first (`x_wr_timezone`). Floating times and all-day dates are
kept as they are (`Meeting.floating`) and placed in the client's zone, once the client
is known, by `Meeting.resolve`.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone

DEFAULT_MAX_CALENDAR_BYTES = 20 * 1024 * 1024
MAX_EVENTS = 20_000
MAX_OCCURRENCES_PER_EVENT = 1_000
MAX_OCCURRENCES = 50_000
MAX_SUMMARY = 300
MAX_DESCRIPTION = 20_000
MAX_LOCATION = 500
MAX_ATTENDEES = 200
MAX_EXTERNAL_ID = 500
DEFAULT_DAYS_BACK = 365
DEFAULT_DAYS_AHEAD = 90
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,190}$")
_BLOCK = re.compile(r"^BEGIN:(VEVENT|VTIMEZONE)\s*$", re.I | re.M)


@dataclass
class Person:
    name: str
    email: str


@dataclass
class Meeting:
    """One occurrence of a calendar event."""

    external_id: str
    uid: str
    start: datetime | date
    end: datetime | date | None
    summary: str = ""
    description: str = ""
    location: str = ""
    organizer: Person | None = None
    attendees: list[Person] = field(default_factory=list)
    status: str = ""
    sequence: int = 0
    label: str = ""
    # When this copy of the event was made (the later of LAST-MODIFIED and DTSTAMP, in
    # UTC; None when it says neither): between two copies at the same SEQUENCE, the later.
    stamp: datetime | None = None
    # The attendees who declined it (PARTSTAT=DECLINED), as a calendar export says.
    declined: frozenset[str] = frozenset()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def floating(self) -> bool:
        """A date, or a time with no zone: placed in the client's zone by `resolve`."""
        return not isinstance(self.start, datetime) or self.start.tzinfo is None

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELLED"

    def resolve(self, zone: tzinfo) -> tuple[datetime, datetime | None]:
        """Start and end as aware datetimes; floating times and dates in `zone`."""
        start = _aware(self.start, zone)
        end = _aware(self.end, zone) if self.end is not None else None
        if end is not None and end < start:
            end = None
        return start, end

    @property
    def people(self) -> list[Person]:
        """The organiser first, then the attendees, each address once."""
        seen: set[str] = set()
        out = []
        for person in [*([self.organizer] if self.organizer else []), *self.attendees]:
            if person.email and person.email not in seen:
                seen.add(person.email)
                out.append(person)
        return out


@dataclass
class CalendarRead:
    """What one calendar file held: meetings in the window, and what was not kept."""

    meetings: list[Meeting] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    cancelled: int = 0
    cancelled_meetings: list[Meeting] = field(default_factory=list)  # with their SEQUENCE
    events: int = 0
    # A whole calendar, as Google, Outlook and Apple export one: named (X-WR-CALNAME) and
    # published (no iTIP METHOD, or PUBLISH), not an invitation for a few events. An
    # event missing from a later copy of it was taken off the calendar.
    name: str = ""
    # What the file holds besides events (tasks, journal entries), in words: listed
    # where the rejected are, but not a loss (the calendar is still read whole).
    left_out: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """A whole calendar read without losing anything: what it lacks is not there."""
        return bool(self.name) and not self.rejected


def default_window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=DEFAULT_DAYS_BACK), now + timedelta(days=DEFAULT_DAYS_AHEAD)


def _aware(value: datetime | date, zone: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _text(component: Any, name: str, limit: int) -> str:
    try:
        value = component.get(name)
        if value is None:
            return ""
        if isinstance(value, list):
            value = value[0]
        text = str(value).replace("\x00", "").replace("\r\n", "\n").strip()
    except Exception:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _person(value: Any) -> Person | None:
    try:
        address = str(value).strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        address = address.strip().lower()
        params = getattr(value, "params", {}) or {}
        name = str(params.get("CN", "") or "").strip().strip('"')[:200]
    except Exception:
        return None
    if not _EMAIL.match(address):
        address = ""
    if name.lower() == address:
        name = ""
    if not address and not name:
        return None
    return Person(name=name, email=address)


def _declined(component: Any) -> frozenset[str]:
    raw = component.get("ATTENDEE")
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out = set()
    for value in values[:MAX_ATTENDEES]:
        params = getattr(value, "params", {}) or {}
        if str(params.get("PARTSTAT", "")).upper() == "DECLINED":
            person = _person(value)
            if person is not None and person.email:
                out.add(person.email)
    return frozenset(out)


def _people(component: Any) -> list[Person]:
    raw = component.get("ATTENDEE")
    if raw is None:
        return []
    values = raw if isinstance(raw, list) else [raw]
    out = []
    for value in values[:MAX_ATTENDEES]:
        person = _person(value)
        if person is not None:
            out.append(person)
    return out


def _when(component: Any, name: str) -> datetime | date | None:
    try:
        value = getattr(component.get(name), "dt", None)
    except Exception:  # icalendar's BrokenCalendarProperty for an unreadable value
        return None
    if isinstance(value, datetime | date):
        return value
    return None


def _key(value: datetime | date) -> str:
    """A stable text for an occurrence's recurrence id: UTC when it has a zone."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).isoformat()
        return value.isoformat()
    return value.isoformat()


def external_id(uid: str, recurrence: datetime | date | None) -> str:
    """`UID` for a single event, `UID@<recurrence id>` for one occurrence of a series;
    hashed when too long for the column."""
    key = uid if recurrence is None else f"{uid}@{_key(recurrence)}"
    if len(key) > MAX_EXTERNAL_ID:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    return key


def _shifts(components: list[Any]) -> dict[str, timedelta]:
    """For each change made to an occurrence "and all that follow" (RECURRENCE-ID with
    RANGE=THISANDFUTURE), how far it moved the occurrences: key of its RECURRENCE-ID."""
    shifts: dict[str, timedelta] = {}
    for component in components:
        prop = component.get("RECURRENCE-ID")
        params = getattr(prop, "params", {}) or {}
        if str(params.get("RANGE", "")).upper() != "THISANDFUTURE":
            continue
        rid, start = _when(component, "RECURRENCE-ID"), _when(component, "DTSTART")
        if rid is not None and start is not None and type(rid) is type(start):
            try:
                shifts[_key(rid)] = start - rid
            except TypeError:  # one aware, one floating
                continue
    return shifts


def _occurrence(
    component: Any,
    uid: str,
    recurring: bool,
    label: str,
    shifts: dict[str, timedelta] | None = None,
) -> Meeting:
    start = _when(component, "DTSTART")
    if start is None:
        raise ValueError("it has no readable start (DTSTART)")
    end = _when(component, "DTEND")
    if end is None:
        duration = getattr(component.get("DURATION"), "dt", None)
        if isinstance(duration, timedelta):
            end = start + duration
    if _text(component, "X-MICROSOFT-CDO-ALLDAYEVENT", 10).upper() == "TRUE":
        # Outlook may write an all-day event as midnight to midnight in a zone.
        start = start.date() if isinstance(start, datetime) else start
        end = end.date() if isinstance(end, datetime) else end
    if end is not None and type(end) is not type(start):
        end = None
    recurrence = _when(component, "RECURRENCE-ID") if recurring else None
    shift = (shifts or {}).get(_key(recurrence)) if recurrence is not None else None
    if shift is not None:
        # Moved by a change to an earlier occurrence "and all that follow": every one of
        # them carries that change's RECURRENCE-ID, so each is known by its own original
        # time (where it would be without the change), not by the change's.
        with contextlib.suppress(TypeError):
            recurrence = start - shift
    try:
        sequence = int(str(component.get("SEQUENCE", 0)))
    except ValueError:
        sequence = 0
    organizer = _person(component["ORGANIZER"]) if component.get("ORGANIZER") else None
    stamps = [_when(component, name) for name in ("LAST-MODIFIED", "DTSTAMP")]
    aware = [_aware(v, UTC) for v in stamps if isinstance(v, datetime) and v.tzinfo is not None]
    return Meeting(
        external_id=external_id(uid, recurrence if recurring else None),
        uid=uid,
        start=start,
        end=end,
        summary=_text(component, "SUMMARY", MAX_SUMMARY),
        description=_text(component, "DESCRIPTION", MAX_DESCRIPTION),
        location=_text(component, "LOCATION", MAX_LOCATION),
        organizer=organizer,
        attendees=_people(component),
        status=_text(component, "STATUS", 40).upper(),
        sequence=sequence,
        label=label,
        stamp=max(aware, default=None),
        declined=_declined(component),
    )


# A repeat rule written with spaces in its lists ("BYDAY=MO, TU, WE", as some programs
# write it): the spaces dropped, so the rule reads as meant.
_RULE_LINE = re.compile(
    r"^((?:RRULE|EXRULE)(?:;[^:\r\n]*)?:)([^\r\n]*)(?=\r?$)", re.IGNORECASE | re.M
)


MAX_CALENDARS_PER_FILE = 1000


def _parse(text: str) -> Any:
    text = _RULE_LINE.sub(lambda m: m.group(1) + re.sub(r"\s*([,;=])\s*", r"\1", m.group(2)), text)
    calendars = icalendar.Calendar.from_ical(text, multiple=True)
    if not calendars:
        raise ValueError("no calendar in the file")
    if len(calendars) == 1:
        return calendars[0]
    # Several calendars one after the other in one file (as some programs export, or a
    # user joins files): one calendar of them all, each read in its own time zone first.
    merged = _standardise(calendars[0])
    for calendar in calendars[1:MAX_CALENDARS_PER_FILE]:
        for component in _standardise(calendar).subcomponents:
            merged.add_component(component)
    merged.pop("X-WR-TIMEZONE", None)  # applied: not to be applied again
    return merged


def _salvage(text: str) -> tuple[list[str], list[str]]:
    """VTIMEZONE and VEVENT blocks cut out of a file the parser refused (a missing END,
    a broken line): each block ends at its END line or where the next block begins."""
    zones: list[str] = []
    events: list[str] = []
    starts = list(_BLOCK.finditer(text))
    for i, match in enumerate(starts):
        kind = match.group(1).upper()
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        block = text[match.start() : stop]
        end = re.search(rf"^END:{kind}\s*$", block, re.I | re.M)
        block = block[: end.end()] if end else block.rstrip() + f"\r\nEND:{kind}"
        (zones if kind == "VTIMEZONE" else events).append(block.strip())
    return zones, events


def _wrap(zones: list[str], blocks: list[str]) -> str:
    body = "\r\n".join([*zones, *blocks])
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//amends salvage//EN\r\n"
    return f"{head}{body}\r\nEND:VCALENDAR\r\n"


def _salvaged_zones(zones: list[str]) -> list[Any]:
    try:
        return list(_parse(_wrap(zones, [])).walk("VTIMEZONE"))
    except Exception:
        return []  # times in unreadable zones fall back to what icalendar can do


def _standardise(calendar: Any) -> Any:
    if not calendar.get("X-WR-TIMEZONE"):
        return calendar
    try:
        return x_wr_timezone.to_standard(calendar)
    except Exception:
        return calendar  # an unknown zone name: keep the times as written


def _groups(calendar: Any) -> tuple[list[Any], dict[str, list[Any]], list[Any]]:
    timezones = list(calendar.walk("VTIMEZONE"))
    groups: dict[str, list[Any]] = {}
    no_uid: list[Any] = []
    for component in calendar.walk("VEVENT"):
        uid = _text(component, "UID", 2000)
        if not uid:
            no_uid.append(component)
            continue
        groups.setdefault(uid, []).append(component)
    return timezones, groups, no_uid


# What a file with no calendar in it holds instead, by its first component.
_NOT_CALENDARS = (
    ("BEGIN:VCARD", "a contact card (vCard), not a calendar: it holds no meetings"),
    ("BEGIN:VTODO", "a task (VTODO), not a calendar: it holds no meetings"),
    ("BEGIN:VJOURNAL", "a journal entry (VJOURNAL), not a calendar: it holds no meetings"),
)


def _not_a_calendar(head: str) -> str:
    """Why a file (its first characters, in capitals) with no calendar is not read."""
    found = [(head.find(marker), why) for marker, why in _NOT_CALENDARS if marker in head]
    if found:
        return min(found)[1]
    return "this is not an iCalendar file (no BEGIN:VCALENDAR)"


def _not_events(calendar: Any) -> str:
    """The tasks and journal entries a calendar holds, in words ("" for none)."""
    tasks, notes = len(calendar.walk("VTODO")), len(calendar.walk("VJOURNAL"))
    words = [
        f"{count:,} {what if count == 1 else plural}"
        for count, what, plural in (
            (tasks, "task", "tasks"),
            (notes, "journal entry", "journal entries"),
        )
        if count
    ]
    if not words:
        return ""
    return f"{' and '.join(words)} left out: Amends imports meetings (events), not tasks or notes"


def _whole_calendar_name(calendar: Any) -> str:
    """X-WR-CALNAME of a published calendar ("" for an invitation or a nameless file)."""
    method = _text(calendar, "METHOD", 40).upper()
    if method not in ("", "PUBLISH"):
        return ""
    return _text(calendar, "X-WR-CALNAME", MAX_SUMMARY)


def _no_uid_key(component: Any) -> str:
    """An event without UID (hand-written files): identified by its start and summary."""
    start = _when(component, "DTSTART")
    basis = f"{_key(start) if start else ''}|{_text(component, 'SUMMARY', MAX_SUMMARY)}"
    return "nouid-" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:32]


def _expand(
    timezones: list[Any],
    components: list[Any],
    uid: str,
    since: datetime,
    until: datetime,
    label: str,
    budget: int,
) -> Iterator[Meeting]:
    masters = [c for c in components if c.get("RECURRENCE-ID") is None]
    recurring = (
        len(components) > 1
        or any(c.get("RRULE") is not None or c.get("RDATE") is not None for c in masters)
        or not masters
    )
    if not recurring:
        meeting = _occurrence(components[0], uid, False, label)
        start = _aware(meeting.start, UTC)
        # Floating times are compared as UTC: a day's slack either side of the window.
        if since - timedelta(days=1) <= start <= until + timedelta(days=1):
            yield meeting
        return
    calendar = icalendar.Calendar()
    for zone in timezones:
        calendar.add_component(zone)
    for component in components:
        calendar.add_component(component)
    steps = sum(_rule_steps(c, until) for c in masters)
    if steps > MAX_RULE_STEPS:
        raise OverflowError(
            "its repeat rule is too fine-grained or starts too long ago to expand "
            f"(about {steps:,} steps); not imported"
        )
    occurrences = recurring_ical_events.of(calendar).between(since, until)
    shifts = _shifts(components)
    for count, occurrence in enumerate(occurrences, start=1):
        if count > min(MAX_OCCURRENCES_PER_EVENT, budget):
            raise OverflowError(
                f"it repeats more than {min(MAX_OCCURRENCES_PER_EVENT, budget):,} times in "
                "the window; the later occurrences were not imported"
            )
        yield _occurrence(occurrence, uid, True, label, shifts)


_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
MAX_RULE_STEPS = 20_000


def _rule_steps(component: Any, until: datetime) -> int:
    """Roughly how many candidate times expanding the event's rules up to `until` walks
    through (from DTSTART, whatever the window): the cost a hostile rule could impose."""
    start = _when(component, "DTSTART")
    if start is None:
        return 0
    rules = component.get("RRULE")
    steps = 0
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        end = until
        ends = rule.get("UNTIL")  # a series that ended: walked no further
        if ends and isinstance(ends[0], date):
            end = min(end, _aware(ends[0], UTC))
        span = max((end - _aware(start, UTC)).total_seconds(), 0)
        freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
        try:
            interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
        except (TypeError, ValueError):
            interval = 1
        walked = span / (_FREQ_SECONDS.get(freq, 1) * interval) + 1
        for part in ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY"):
            values = rule.get(part)
            if values:
                walked *= len(values) if isinstance(values, list) else 1
        steps += int(walked)
    return steps


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_calendar(
    data: bytes | str,
    *,
    since: datetime,
    until: datetime,
    label: str = "calendar",
    max_bytes: int = DEFAULT_MAX_CALENDAR_BYTES,
) -> CalendarRead:
    """Every occurrence between `since` and `until` (aware datetimes) of every event in
    one .ics file. Never raises: what cannot be read is listed in `rejected`."""
    result = CalendarRead()
    if len(data) > max_bytes:
        result.rejected.append(
            (label, f"the file is larger than {max_bytes / 1024 / 1024:g} MB; not imported")
        )
        return result
    text = _decode(data)
    head = text.upper()[:10_000]
    if "BEGIN:VCALENDAR" not in head:
        if "BEGIN:VEVENT" not in head:
            result.rejected.append((label, _not_a_calendar(head)))
            return result
        # Events without their calendar around them, as some programs keep one a file
        # (khal's, vdirsyncer's stores): read as the calendar they belong in.
        text = _wrap([], [text.strip()])
    try:
        calendar = _standardise(_parse(text))
        timezones, groups, no_uid = _groups(calendar)
        result.name = _whole_calendar_name(calendar)
        left_out = _not_events(calendar)
        if left_out:
            result.left_out.append((label, left_out))
    except Exception:
        zones, blocks = _salvage(text)
        timezones, groups, no_uid = [], {}, []
        timezones = _salvaged_zones(zones)
        for i, block in enumerate(blocks[: MAX_EVENTS + 1], start=1):
            try:
                part = _standardise(_parse(_wrap(zones, [block])))
                _, part_groups, part_no_uid = _groups(part)
            except Exception as exc:
                result.rejected.append(
                    (f"{label}: event {i}", f"cannot be read ({_reason(exc)}); skipped")
                )
                continue
            for uid, components in part_groups.items():
                groups.setdefault(uid, []).extend(components)
            no_uid.extend(part_no_uid)
    for component in no_uid:
        groups.setdefault(_no_uid_key(component), []).append(component)
    result.events = sum(len(c) for c in groups.values())
    if result.events > MAX_EVENTS:
        result.rejected.append(
            (label, f"it holds more than {MAX_EVENTS:,} events; only the first were read")
        )
    read = 0
    for uid, components in groups.items():
        read += len(components)
        if read > MAX_EVENTS:
            break
        where = f"{label}: {_text(components[0], 'SUMMARY', 80) or uid[:80]}"
        budget = MAX_OCCURRENCES - len(result.meetings)
        if budget <= 0:
            result.rejected.append(
                (where, f"the file expands to more than {MAX_OCCURRENCES:,} meetings; skipped")
            )
            continue
        try:
            for meeting in _expand(timezones, components, uid, since, until, where, budget):
                if meeting.cancelled:
                    result.cancelled += 1
                    result.cancelled_meetings.append(meeting)
                else:
                    result.meetings.append(meeting)
        except OverflowError as exc:
            result.rejected.append((where, str(exc)))
        except Exception as exc:
            result.rejected.append((where, f"cannot be read ({_reason(exc)}); skipped"))
    return result


@dataclass
class Decline:
    """Who declined one event (or one occurrence of it) in an iTIP reply."""

    uid: str
    recurrence: datetime | date | None
    declined: set[str]


def read_declines(data: bytes | str) -> list[Decline]:
    """The attendees who decline, event by event, in a reply (iTIP `METHOD:REPLY`, as
    sent when someone answers an invitation). Never raises: unreadable is none."""
    try:
        text = _decode(data)
        if len(text) > DEFAULT_MAX_CALENDAR_BYTES:
            return []
        events = _parse(text).walk("VEVENT")[:MAX_EVENTS]
    except Exception:
        return []
    out = []
    for event in events:
        decline = _decline(event)
        if decline is not None:
            out.append(decline)
    return out


def _decline(event: Any) -> Decline | None:
    try:
        uid = str(event.get("UID", "") or "").strip()
        values = event.get("ATTENDEE")
        values = values if isinstance(values, list) else [] if values is None else [values]
        declined = set()
        for value in values[:MAX_ATTENDEES]:
            person = _person(value)
            status = str((getattr(value, "params", None) or {}).get("PARTSTAT", "")).upper()
            if person and person.email and status == "DECLINED":
                declined.add(person.email)
    except Exception:  # an unreadable reply declines nothing
        return None
    if not uid or not declined:
        return None
    return Decline(uid, _when(event, "RECURRENCE-ID"), declined)


def _reason(exc: BaseException) -> str:
    """Why an event could not be read, in words (the library's own message kept)."""
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        text = f"it has no {exc.args[0]}"
    elif isinstance(exc, TypeError):  # a time with no date where a date is needed, …
        text = f"a date or time in it is of the wrong kind ({exc})"
    elif type(exc).__name__ == "BadRuleStringFormat":
        text = f"its repeat rule cannot be read: {exc}"
    elif isinstance(exc, ValueError) or type(exc).__name__ == "BrokenCalendarProperty":
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = text.replace("\x00", "")
    return text if len(text) <= 200 else text[:199] + "…"
