"""Outlook's calendar items, from a `.pst` or `.ost` data file, written as iCalendar, so
that `calendars.read_calendar` reads them like any calendar export (R7: meetings are
part of the record) and `meeting_actions` stores them.

An appointment in a data file is a set of MAPI properties, and the ones that matter —
start, end, location, recurrence, the meeting's global id — are *named* properties,
whose tags differ from file to file: each file's name-to-id map ([MS-PST] 2.4.7) says
which tag stands for which name, and `named_tags` reads it. The recurrence is a binary
AppointmentRecurrencePattern ([MS-OXOCAL] 2.2.1.44.5), read by `recurrence`: its
pattern becomes an RRULE, its deleted occurrences EXDATEs, and its changed ones (moved,
renamed, in another room) overrides with a RECURRENCE-ID, all in the appointment's own
time zone, so a weekly meeting stays at 10:00 across a change to summer time.

Runs in the process that reads the data file (`outlook._read_data_file`). No database.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import struct
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from amends.comms.calendars import (
    MAX_ATTENDEES,
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_SUMMARY,
)

_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")  # PSETID_Appointment
_MEETING = uuid.UUID("6ed8da90-450b-101b-98da-00aa003f1305")  # PSETID_Meeting

# The named properties an event is made from: (property set, long id) by our name.
_NAMED = {
    "start": (_APPOINTMENT, 0x820D),  # PidLidAppointmentStartWhole (UTC)
    "end": (_APPOINTMENT, 0x820E),  # PidLidAppointmentEndWhole (UTC)
    "location": (_APPOINTMENT, 0x8208),  # PidLidLocation
    "all_day": (_APPOINTMENT, 0x8215),  # PidLidAppointmentSubType
    "state": (_APPOINTMENT, 0x8217),  # PidLidAppointmentStateFlags
    "sequence": (_APPOINTMENT, 0x8201),  # PidLidAppointmentSequence
    "recurring": (_APPOINTMENT, 0x8223),  # PidLidRecurring
    "recurrence": (_APPOINTMENT, 0x8216),  # PidLidAppointmentRecur
    "zone_recurrence": (_APPOINTMENT, 0x8260),  # PidLidAppointmentTimeZoneDefinitionRecur
    "zone_start": (_APPOINTMENT, 0x825E),  # PidLidAppointmentTimeZoneDefinitionStartDisplay
    "zone_struct": (_APPOINTMENT, 0x8233),  # PidLidTimeZoneStruct (Outlook before 2007)
    "global_id": (_MEETING, 0x0003),  # PidLidGlobalObjectId
    "clean_global_id": (_MEETING, 0x0023),  # PidLidCleanGlobalObjectId
}

_CANCELLED = 0x0004  # asfCanceled, in PidLidAppointmentStateFlags
_MAX_NAMED = 100_000  # entries read from a file's name-to-id map
_SEARCH_KEY = 0x300B
_SENSITIVITY = 0x0036
_LAST_MODIFIED = 0x3008  # PidTagLastModificationTime
# A document's items, and roughly its size (well under the calendar import's limit).
_EVENTS_PER_DOCUMENT = 2_000
_DOCUMENT_BYTES = 4 * 1024 * 1024
_VCAL_UID = b"vCal-Uid\x01\x00\x00\x00"
_EPOCH = datetime(1601, 1, 1)  # the recurrence's dates: minutes since then, local time


class NotAnEvent(ValueError):
    """Why an appointment cannot be written as an event (its reason is shown)."""


# --- The name-to-id map ----------------------------------------------------------------


def named_tags(data_file: Any) -> dict[str, int]:
    """Our names (`_NAMED`) of the named properties this data file uses, with the tag
    each has in it. Empty when the map cannot be read."""
    try:
        entries = data_file.get_name_to_id_map().get_record_set(0).entries
        streams = {int(e.entry_type): e.data or b"" for e in entries}
    except Exception:
        return {}
    return tags_of_map(streams.get(0x0002, b""), streams.get(0x0003, b""))


def tags_of_map(guid_stream: bytes, entry_stream: bytes) -> dict[str, int]:
    """Our names of the named properties a name-to-id map holds, with their tags, from
    its GUID stream and its entry stream: a data file's ([MS-PST] 2.4.7) and a .msg
    file's ([MS-OXMSG] 2.2.3) are laid out alike."""
    guids = [
        uuid.UUID(bytes_le=guid_stream[i : i + 16]) for i in range(0, len(guid_stream) - 15, 16)
    ]
    wanted = {key: name for name, key in _NAMED.items()}
    found: dict[str, int] = {}
    for offset in range(0, min(len(entry_stream), _MAX_NAMED * 8) - 7, 8):
        # NAMEID: dwPropertyID, then N (bit 0: a string name) and wGuid, then wPropIdx.
        number, kind, index = struct.unpack_from("<IHH", entry_stream, offset)
        if kind & 1:
            continue  # a named property known by a string: none of ours
        guid_index = kind >> 1
        if guid_index < 3 or guid_index - 3 >= len(guids):
            continue  # PS_MAPI, PS_PUBLIC_STRINGS: none of ours either
        name = wanted.get((guids[guid_index - 3], number))
        if name is not None:
            found.setdefault(name, 0x8000 + index)
    return found


# --- The recurrence ------------------------------------------------------------------


@dataclass
class Change:
    """One changed occurrence ([MS-OXOCAL] ExceptionInfo): local times."""

    original: datetime
    start: datetime
    end: datetime
    subject: str | None = None
    location: str | None = None


@dataclass
class Recurrence:
    """What an AppointmentRecurrencePattern says; its dates and times are local."""

    frequency: int  # 0x200A daily, 0x200B weekly, 0x200C monthly, 0x200D yearly
    pattern: int  # 0 day, 1 week, 2 month, 3 month-nth, 4 month-end; 0xA–0xC Hijri
    calendar: int  # 0 and 1: Gregorian
    period: int
    weekdays: int = 0  # bits: Sunday 0x01 … Saturday 0x40
    day: int = 0  # of the month
    nth: int = 0  # 1–4, or 5 for the last
    end_type: int = 0x2023
    count: int = 0
    first_weekday: int = 0
    deleted: list[datetime] = field(default_factory=list)
    modified: list[datetime] = field(default_factory=list)
    end_date: datetime | None = None
    start_offset: int = 0  # minutes after midnight
    end_offset: int = 0
    exceptions: list[Change] = field(default_factory=list)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, shape: str) -> Any:
        size = struct.calcsize(shape)
        if self.at + size > len(self.data):
            raise NotAnEvent("its recurrence is cut short")
        values = struct.unpack_from(shape, self.data, self.at)
        self.at += size
        return values[0] if len(values) == 1 else values

    def text(self, size: int, codec: str) -> str:
        if self.at + size > len(self.data):
            raise NotAnEvent("its recurrence is cut short")
        raw = self.data[self.at : self.at + size]
        self.at += size
        return raw.decode(codec, "replace").replace("\x00", "")


def _local(minutes: int) -> datetime:
    try:
        return _EPOCH + timedelta(minutes=minutes)
    except OverflowError:
        raise NotAnEvent("its recurrence holds a date out of range") from None


_MAX_LIST = 10_000  # deleted or changed occurrences in one recurrence


def recurrence(data: bytes) -> Recurrence:
    """Read an AppointmentRecurrencePattern ([MS-OXOCAL] 2.2.1.44.5). Raises
    NotAnEvent, saying why, for anything it cannot read."""
    read = _Reader(data)
    reader, writer = read.take("<HH")
    if reader != 0x3004 or writer != 0x3004:
        raise NotAnEvent("its recurrence is in a form Outlook does not write")
    frequency, pattern, calendar = read.take("<HHH")
    _first_time, period, _sliding = read.take("<III")
    found = Recurrence(frequency=frequency, pattern=pattern, calendar=calendar, period=period)
    if found.pattern in (1,):  # week
        found.weekdays = read.take("<I")
    elif found.pattern in (2, 4, 0xA, 0xC):  # month, month-end, and their Hijri forms
        found.day = read.take("<I")
    elif found.pattern in (3, 0xB):  # month-nth
        found.weekdays, found.nth = read.take("<II")
    elif found.pattern != 0:
        raise NotAnEvent(f"its recurrence has a pattern Amends does not know ({found.pattern})")
    found.end_type, found.count, found.first_weekday = read.take("<III")
    for target in (found.deleted, found.modified):
        count = read.take("<I")
        if count > _MAX_LIST:
            raise NotAnEvent("its recurrence lists too many changed occurrences")
        target.extend(_local(read.take("<I")) for _ in range(count))
    _start_date, end_date = read.take("<II")
    found.end_date = _local(end_date) if found.end_type == 0x2021 else None
    _reader2, writer2 = read.take("<II")
    found.start_offset, found.end_offset = read.take("<II")
    count = read.take("<H")
    if count > _MAX_LIST:
        raise NotAnEvent("its recurrence lists too many changed occurrences")
    flags = []
    for _ in range(count):
        change, changed_flags = _exception(read)
        found.exceptions.append(change)
        flags.append(changed_flags)
    # An older writer, or cut short: the texts in the code page stay.
    with contextlib.suppress(NotAnEvent):
        _wide_texts(read, writer2, found.exceptions, flags)
    return found


def _exception(read: _Reader) -> tuple[Change, int]:
    """One ExceptionInfo, and its flags (what the change overrides)."""
    start, end, original, flags = read.take("<IIIH")
    changed = Change(original=_local(original), start=_local(start), end=_local(end))
    if flags & 0x0001:  # ARO_SUBJECT: lengths with and without the terminator, then text
        read.take("<H")
        changed.subject = read.text(read.take("<H"), "cp1252")
    if flags & 0x0002:  # ARO_MEETINGTYPE
        read.take("<I")
    if flags & 0x0004:  # ARO_REMINDERDELTA
        read.take("<I")
    if flags & 0x0008:  # ARO_REMINDER
        read.take("<I")
    if flags & 0x0010:  # ARO_LOCATION
        read.take("<H")
        changed.location = read.text(read.take("<H"), "cp1252")
    for flag in (0x0020, 0x0040, 0x0080):  # busy status, attachment, subtype
        if flags & flag:
            read.take("<I")
    return changed, flags


def _wide_texts(read: _Reader, writer2: int, changes: list[Change], flags: list[int]) -> None:
    """The changed occurrences' subjects and locations again, in UTF-16 (ExtendedException,
    after a reserved block): the code page cannot write every language."""
    read.text(read.take("<I"), "latin-1")  # ReservedBlock1
    for change, changed in zip(changes, flags, strict=True):
        if writer2 >= 0x3009:  # ChangeHighlight
            read.text(read.take("<I"), "latin-1")
        read.text(read.take("<I"), "latin-1")  # ReservedBlockEE1
        if changed & 0x0011:  # a subject or a location
            read.take("<III")  # the start, end and original start, again
            if changed & 0x0001:
                change.subject = read.text(2 * read.take("<H"), "utf-16-le")
            if changed & 0x0010:
                change.location = read.text(2 * read.take("<H"), "utf-16-le")
            read.text(read.take("<I"), "latin-1")  # ReservedBlockEE2


# The longest interval [MS-OXOCAL] allows: 999 days (in minutes), 99 weeks, 99 months
# (for a yearly one, 99 years).
_MAX_PERIOD = {0: 999 * 1440, 1: 99, 2: 99 * 12, 3: 99 * 12, 4: 99 * 12}
_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


def _days(bits: int) -> list[str]:
    return [name for number, name in enumerate(_WEEKDAYS) if bits & (1 << number)]


def rrule(found: Recurrence, zone: tzinfo) -> dict[str, Any]:
    """The RRULE for an Outlook recurrence, as icalendar's vRecur takes it."""
    if found.calendar not in (0, 1) or found.pattern >= 0xA:
        raise NotAnEvent("it repeats by a calendar other than the Gregorian one")
    if not 0 < found.period <= _MAX_PERIOD.get(found.pattern, 99):
        raise NotAnEvent("its recurrence repeats at an interval Outlook does not allow")
    rule: dict[str, Any]
    if found.pattern == 0:  # every N days (the period is in minutes)
        rule = {"FREQ": "DAILY", "INTERVAL": max(found.period // 1440, 1)}
    elif found.pattern == 1:
        days = _days(found.weekdays)
        if not days:
            raise NotAnEvent("its weekly recurrence names no day")
        weeks = 1 if found.frequency == 0x200A else max(found.period, 1)  # "every weekday"
        rule = {"FREQ": "WEEKLY", "INTERVAL": weeks, "BYDAY": days}
        rule["WKST"] = _WEEKDAYS[found.first_weekday % 7]
    elif found.pattern == 2:
        rule = {"FREQ": "MONTHLY", "INTERVAL": max(found.period, 1)}
        day = min(max(found.day, 1), 31)
        if day >= 29:  # Outlook moves the 30th to the last day of a shorter month
            rule["BYMONTHDAY"] = list(range(28, day + 1))
            rule["BYSETPOS"] = -1
        else:
            rule["BYMONTHDAY"] = day
    elif found.pattern == 3:
        days = _days(found.weekdays)
        if not days:
            raise NotAnEvent("its monthly recurrence names no day")
        rule = {"FREQ": "MONTHLY", "INTERVAL": max(found.period, 1), "BYDAY": days}
        rule["BYSETPOS"] = -1 if found.nth >= 5 else max(found.nth, 1)
    else:  # 4: the last day of the month
        rule = {"FREQ": "MONTHLY", "INTERVAL": max(found.period, 1), "BYMONTHDAY": -1}
    if found.end_type == 0x2022 and found.count:
        rule["COUNT"] = min(found.count, 999_999)
    elif found.end_type == 0x2021 and found.end_date is not None:
        last = found.end_date + timedelta(minutes=found.start_offset)
        rule["UNTIL"] = last.replace(tzinfo=zone).astimezone(UTC)
    return rule


# --- Time zones ----------------------------------------------------------------------


def zone_of(definition: bytes | None) -> tzinfo | None:
    """The zone a TZDEFINITION ([MS-OXOCAL] 2.2.1.41) names by its Windows key ("Pacific
    Standard Time"), or None."""
    if not isinstance(definition, bytes) or len(definition) < 8:
        return None
    (length,) = struct.unpack_from("<H", definition, 6)
    key = definition[8 : 8 + 2 * length].decode("utf-16-le", "replace").strip()
    name = WINDOWS_TO_OLSON.get(key)
    if name is None:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The `n`th (5: the last) `weekday` (0 Sunday … 6 Saturday) of a month, as a
    Windows SYSTEMTIME gives a change of clocks."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - 1 - first.weekday()) % 7 + 7 * (max(n, 1) - 1))
    while day.month != month:
        day -= timedelta(days=7)
    return day


@functools.lru_cache(maxsize=256)
def zone_of_struct(data: bytes | None, year: int) -> tzinfo | None:
    """The zone a TZSTRUCT (PidLidTimeZoneStruct, [MS-OXOCAL] 2.2.1.39) describes — what
    Outlook before 2007 kept instead of a zone's name: its offsets and the rules of its
    changes of clocks. The first of Windows' zones (as icalendar maps them to the tz
    database) that has the same offsets and changes of clocks in `year`; a fixed offset
    when it has none and no zone does; else None."""
    if not isinstance(data, bytes) or len(data) < 48:
        return None
    bias, standard_bias, daylight_bias = struct.unpack_from("<iii", data, 0)
    to_standard = struct.unpack_from("<8H", data, 14)  # SYSTEMTIME: y, m, dow, n, h, min…
    to_daylight = struct.unpack_from("<8H", data, 32)
    standard = timedelta(minutes=-(bias + standard_bias))
    daylight = timedelta(minutes=-(bias + daylight_bias))
    if not (timedelta(hours=-14) <= standard <= timedelta(hours=14)) or not (1 <= year <= 9998):
        return None
    checks: list[tuple[datetime, timedelta]] = []
    try:
        if to_daylight[1] and to_standard[1]:
            for rule, before, after in (
                (to_daylight, standard, daylight),
                (to_standard, daylight, standard),
            ):
                day = _nth_weekday(year, rule[1], rule[2] % 7, rule[3])
                local = datetime(day.year, day.month, day.day, rule[4] % 24, rule[5] % 60)
                instant = (local - before).replace(tzinfo=UTC)
                checks += [
                    (instant - timedelta(hours=2), before),
                    (instant + timedelta(hours=2), after),
                ]
        else:
            checks = [(datetime(year, m, 15, 12, tzinfo=UTC), standard) for m in (1, 7)]
    except ValueError:  # a month or day no calendar has
        return None
    for name in dict.fromkeys(WINDOWS_TO_OLSON.values()):
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if all(when.astimezone(zone).utcoffset() == offset for when, offset in checks):
            return zone
    if not (to_daylight[1] and to_standard[1]):
        return _fixed(standard, checks[0][0])
    return None


def _fixed(offset: timedelta, when: datetime) -> tzinfo | None:
    """A zone of the tz database at a fixed `offset` (as a calendar file can name it):
    `Etc/GMT+8` for eight hours west; for an offset of hours and minutes, a zone at that
    offset at `when` (aware); None when none is."""
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    names = (
        [f"Etc/GMT{-hours:+d}" if hours else "Etc/UTC"] if not rest and -14 <= hours <= 12 else []
    )
    names += list(dict.fromkeys(WINDOWS_TO_OLSON.values()))
    for name in names:
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if when.astimezone(zone).utcoffset() == offset:
            return zone
    return None


def _observed_zone(start: datetime, start_offset: int) -> tzinfo:
    """For a repeating appointment with no zone stored: the firm's zone (AMENDS_TIME_ZONE)
    when it agrees with the first occurrence — its time of day in the pattern (local)
    against its start (UTC) — else that fixed offset, so deleted and moved occurrences,
    given in local time, still fall on the series."""
    from django.conf import settings

    minutes = (start_offset - (start.hour * 60 + start.minute)) % 1440
    observed = timedelta(minutes=minutes - 1440 if minutes > 720 else minutes)
    with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
        firm = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        if start.replace(tzinfo=UTC).astimezone(firm).utcoffset() == observed:
            return firm
    return _fixed(observed, start.replace(tzinfo=UTC)) or UTC


def _day(when: datetime, zone: tzinfo | None) -> date:
    """The day an all-day item's start or end (local midnight, kept in UTC) falls on.
    Without its zone, the nearest midnight: offsets from UTC are within ±12 hours."""
    if zone is not None:
        return when.replace(tzinfo=UTC).astimezone(zone).date()
    return (when + timedelta(hours=12)).date()


# --- One appointment -----------------------------------------------------------------


@dataclass
class Item:
    """What the data file reader hands over for one calendar item."""

    props: dict[int, Any]
    subject: str
    body: str
    organizer: tuple[str, str] | None  # (name, Internet address)
    attendees: list[tuple[int, str, str]]  # (recipient type, name, Internet address)


def events(item: Item, tags: dict[str, int]) -> list[icalendar.Event]:
    """The appointment as iCalendar events: one, or a recurring one with its changed
    occurrences. Raises NotAnEvent, saying why, when it cannot be one."""
    try:
        return _events(item, tags)
    except NotAnEvent:
        raise
    except OverflowError:
        raise NotAnEvent("its dates are out of range") from None
    except ValueError as exc:
        raise NotAnEvent(f"it cannot be written as an event ({type(exc).__name__})") from None


def _events(item: Item, tags: dict[str, int]) -> list[icalendar.Event]:
    props = item.props

    def named(name: str) -> Any:
        tag = tags.get(name)
        return props.get(tag) if tag is not None else None

    if "start" not in tags:
        raise NotAnEvent("its times cannot be read: the file's map of named properties is damaged")
    start, end = named("start"), named("end")
    if not isinstance(start, datetime):
        raise NotAnEvent("it has no start time")
    if not isinstance(end, datetime) or end < start:
        end = start
    uid = _uid(named("clean_global_id"), named("global_id"), props, item.subject, start)
    all_day = bool(_number(named("all_day")))
    zone = (
        zone_of(named("zone_recurrence"))
        or zone_of(named("zone_start"))
        or zone_of_struct(named("zone_struct"), start.year)
    )
    blob = named("recurrence")
    if isinstance(blob, bytes) and _number(named("recurring")):
        return _recurring(lambda: _described(item, uid, named), blob, start, end, all_day, zone)
    event = _described(item, uid, named)
    if all_day:
        first, last = _day(start, zone), _day(end, zone)
        event.add("DTSTART", first)
        event.add("DTEND", max(last, first + timedelta(days=1)))
    else:
        event.add("DTSTART", start.replace(tzinfo=UTC))
        event.add("DTEND", end.replace(tzinfo=UTC))
    return [event]


def _described(item: Item, uid: str, named: Any) -> icalendar.Event:
    """An event with what the appointment says of itself but its times; each changed
    occurrence of a recurring one starts from this too."""
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("SUMMARY", item.subject[:MAX_SUMMARY])
    if item.body.strip():
        event.add("DESCRIPTION", item.body.strip()[:MAX_DESCRIPTION])
    location = named("location")
    if isinstance(location, str) and location.strip():
        event.add("LOCATION", location.strip()[:MAX_LOCATION])
    organizer = item.organizer[1] if item.organizer is not None else ""
    if item.organizer is not None:
        event.add(
            "ORGANIZER", f"mailto:{organizer}", parameters=_named(item.organizer[0], organizer)
        )
    for kind, name, address in item.attendees[:MAX_ATTENDEES]:
        if address.casefold() == organizer.casefold():
            continue
        role = {2: "OPT-PARTICIPANT", 3: "NON-PARTICIPANT"}.get(kind, "REQ-PARTICIPANT")
        parameters = {"ROLE": role, **_named(name, address)}
        event.add("ATTENDEE", f"mailto:{address}", parameters=parameters)
    if _number(named("state")) & _CANCELLED:
        event.add("STATUS", "CANCELLED")
    sequence = _number(named("sequence"))
    if sequence:
        event.add("SEQUENCE", min(sequence, 2**31 - 1))
    if _number(item.props.get(_SENSITIVITY)) in (2, 3):  # private, confidential
        event.add("CLASS", "PRIVATE")
    modified = item.props.get(_LAST_MODIFIED)
    if isinstance(modified, datetime) and datetime(1971, 1, 1) <= modified.replace(tzinfo=None):
        event.add("LAST-MODIFIED", modified.replace(tzinfo=UTC))
    return event


def _named(name: str, address: str) -> dict[str, str]:
    return {"CN": name} if name and name.casefold() != address.casefold() else {}


def _recurring(
    fresh: Callable[[], icalendar.Event],
    blob: bytes,
    start: datetime,
    end: datetime,
    all_day: bool,
    zone: tzinfo | None,
) -> list[icalendar.Event]:
    """The series (from `fresh`, with its times and RRULE, its deleted occurrences as
    EXDATEs) and one override for each changed occurrence."""
    found = recurrence(blob)
    event = fresh()
    # The first occurrence's start and end (kept in UTC) in the appointment's zone; with
    # no zone stored, the firm's if it fits, else the offset the first occurrence shows.
    if zone is None and not all_day:
        zone = _observed_zone(start, found.start_offset)
    local = zone or UTC
    first = start.replace(tzinfo=UTC).astimezone(local)
    length = end - start
    rule = rrule(found, local)
    if all_day:
        first_day = _day(start, zone)
        event.add("DTSTART", first_day)
        event.add("DTEND", first_day + max(timedelta(days=1), _whole_days(length)))
        if "UNTIL" in rule:
            rule["UNTIL"] = found.end_date.date() if found.end_date else first_day
    else:
        event.add("DTSTART", first)
        event.add("DTEND", first + length)
    event.add("RRULE", rule)
    changed = {e.original.date(): e for e in found.exceptions}
    at = timedelta(minutes=found.start_offset)
    # A changed occurrence is listed as deleted too; one whose change cannot be read
    # stays at its first time rather than disappearing.
    kept = set(changed) | {d.date() for d in found.modified}
    for day in sorted({d.date() for d in found.deleted} - kept):
        event.add("EXDATE", day if all_day else _at(day, at, local))
    overrides = [event]
    for day, change in sorted(changed.items()):
        override = fresh()
        if change.subject is not None:
            override["SUMMARY"] = icalendar.vText(change.subject[:MAX_SUMMARY])
        if change.location is not None:
            override["LOCATION"] = icalendar.vText(change.location[:MAX_LOCATION])
        if all_day:
            override.add("RECURRENCE-ID", day)
            override.add("DTSTART", change.start.date())
            override.add("DTEND", max(change.end.date(), change.start.date() + timedelta(days=1)))
        else:
            override.add("RECURRENCE-ID", _at(day, at, local))
            override.add("DTSTART", change.start.replace(tzinfo=local))
            override.add("DTEND", max(change.end, change.start).replace(tzinfo=local))
        overrides.append(override)
    return overrides


def _at(day: date, offset: timedelta, zone: tzinfo) -> datetime:
    return (datetime(day.year, day.month, day.day) + offset).replace(tzinfo=zone)


def _whole_days(length: timedelta) -> timedelta:
    return timedelta(days=max(round(length / timedelta(days=1)), 1))


def _number(value: Any) -> int:
    if isinstance(value, bytes) and 1 <= len(value) <= 8:
        return int.from_bytes(value, "little")
    return 0


def _uid(clean: Any, global_id: Any, props: dict[int, Any], subject: str, start: Any) -> str:
    """The id Outlook gives the meeting in its own .ics export (its global object id, in
    hexadecimal), so the same meeting from an invitation or an export is one meeting.
    An item without one (older files) gets one from its search key, or its content."""
    for value in (clean, global_id):
        if isinstance(value, bytes) and 40 <= len(value) <= 2048:
            # [MS-OXOCAL] 2.2.1.27: a class id, the occurrence's date, a time stamp, then
            # the id's own data, which for a meeting from another calendar (Google,
            # Apple) is "vCal-Uid", a version and the UID its invitation carried.
            (size,) = struct.unpack_from("<I", value, 36)
            data = value[40 : 40 + size]
            if data.startswith(_VCAL_UID):
                uid = data[len(_VCAL_UID) :].split(b"\x00", 1)[0].decode("utf-8", "replace")
                if uid.strip():
                    return uid.strip()
            return value.hex().upper()
    key = props.get(_SEARCH_KEY)
    basis = key if isinstance(key, bytes) and key else f"{subject}\0{start}".encode()
    return "outlook-" + hashlib.sha256(basis).hexdigest()[:40]


def invitation(item: Item, tags: dict[str, int], method: str) -> bytes:
    """A meeting request (`method` REQUEST) or cancellation (CANCEL) saved from Outlook,
    as the iTIP invitation Outlook sent with it. Raises NotAnEvent, saying why, when it
    cannot be one — as for an invitation to one occurrence of a series, whose place in
    the series this item does not say."""
    global_id = item.props.get(tags["global_id"]) if "global_id" in tags else None
    if isinstance(global_id, bytes) and len(global_id) >= 20 and any(global_id[16:20]):
        raise NotAnEvent("it is about one occurrence of a repeating meeting")
    made = events(item, tags)
    calendar = _calendar("")
    calendar.add("METHOD", method)
    for event in made:
        calendar.add_component(event)
    return _bytes(calendar)


# --- A calendar folder ---------------------------------------------------------------


def documents(
    name: str, converted: Iterator[tuple[str, Item | None, str]], tags: dict[str, int]
) -> Iterator[tuple[bytes | None, list[tuple[str, str]], int]]:
    """A calendar folder's items as iCalendar documents named `name` (a whole calendar:
    `meeting_actions` then notices what a later copy no longer holds), each with at most
    `_EVENTS_PER_DOCUMENT` items (or about `_DOCUMENT_BYTES`), with the items that could
    not be written and why, and how many of the folder's items it covers. `converted`
    gives (label, item, why not) for each of the folder's items."""
    calendar, count, size, rejected = _calendar(name), 0, 0, []
    for label, item, why in converted:
        if item is None:
            rejected.append((label, why))
            continue
        try:
            made = events(item, tags)
            for event in made:
                event.to_ical()  # what icalendar would refuse in the document
        except NotAnEvent as exc:
            rejected.append((label, f"cannot be read as a meeting: {exc}"))
            continue
        except Exception as exc:  # a value icalendar refuses
            rejected.append((label, f"cannot be read as a meeting ({type(exc).__name__})"))
            continue
        for event in made:
            calendar.add_component(event)
        count += 1
        size += (len(item.subject) + min(len(item.body), MAX_DESCRIPTION) + 1000) * len(made)
        if count >= _EVENTS_PER_DOCUMENT or size >= _DOCUMENT_BYTES:
            yield _bytes(calendar), rejected, count + len(rejected)
            calendar, count, size, rejected = _calendar(name), 0, 0, []
    if count or rejected:
        yield (_bytes(calendar) if count else None), rejected, count + len(rejected)


def _calendar(name: str) -> icalendar.Calendar:
    """A document for a calendar folder's items (named: a whole calendar), or for items
    on their own (`name` "": a saved appointment, not its calendar)."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//Amends//Outlook//EN")
    calendar.add("VERSION", "2.0")
    if name:
        calendar.add("X-WR-CALNAME", name)
    return calendar


def _bytes(calendar: icalendar.Calendar) -> bytes:
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
