"""Reading a CSV of calls and meeting notes. Parsing only, no database:
`meeting_actions.import_csv` resolves clients, contacts and people and writes.

A MAPPING says which CSV column holds which field (`suggest_mapping` guesses it from the
header names). The encoding (UTF-8, UTF-8 with a BOM, Windows-1252) and the delimiter
(comma, semicolon, tab, pipe) are detected. Dates: ISO 8601 (with or without a time and
an offset), dd/mm/yyyy or mm/dd/yyyy (`day_first`), dd.mm.yyyy, each with an optional
time (24-hour or am/pm). A time without an offset is the client's local time, placed by
the caller (`CsvRow.when` stays naive). Each row's problems are listed with its line
number; nothing here raises on hostile input.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

DEFAULT_MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 100
MAX_CELL = 20_000
csv.field_size_limit(MAX_CELL * 5)

# Mapping targets, in the order the mapping form shows them, with a label each.
FIELDS: dict[str, str] = {
    "when": "Date and time (or date)",
    "time": "Time (when the date is in its own column)",
    "channel": "Channel (call, meeting or note)",
    "direction": "Direction (in, out, internal)",
    "client": "Client (name or id)",
    "contact_email": "Contact email",
    "contact_name": "Contact name",
    "subject": "Subject",
    "summary": "Summary or notes",
    "duration": "Duration (minutes, h:mm or 1h 30m)",
    "end": "End (time or date and time)",
    "person": "Person at the firm (username, email or name)",
    "external_id": "External id (a unique key per row)",
}
REQUIRED = ("when",)
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "when": (
        "datetime",
        "date",
        "when",
        "start",
        "starttime",
        "startdate",
        "occurredat",
        "calldate",
        "meetingdate",
        "timestamp",
        "dateandtime",
        "datum",
    ),
    "time": ("time", "starttime", "calltime", "hour"),
    "channel": ("channel", "type", "kind", "calltype", "activity", "activitytype", "medium"),
    "direction": ("direction", "inout", "inbound", "outbound", "initiatedby"),
    "client": (
        "client",
        "clientname",
        "clientid",
        "company",
        "account",
        "organisation",
        "organization",
        "customer",
    ),
    "contact_email": ("contactemail", "email", "emailaddress", "contactmail", "mail"),
    "contact_name": ("contact", "contactname", "name", "with", "caller", "attendee"),
    "subject": ("subject", "title", "topic", "regarding", "re"),
    "summary": (
        "summary",
        "notes",
        "note",
        "description",
        "details",
        "body",
        "comments",
        "minutes",
        "outcome",
    ),
    "duration": ("duration", "durationminutes", "minutes", "length", "mins", "durationmin"),
    "end": ("end", "endtime", "ends", "endsat", "finish", "to"),
    "person": (
        "person",
        "owner",
        "user",
        "staff",
        "by",
        "recordedby",
        "assignedto",
        "handledby",
        "agent",
        "ourperson",
    ),
    "external_id": ("id", "externalid", "callid", "uid", "reference", "ref", "key"),
}
CHANNELS = {
    "call": "call",
    "phone": "call",
    "phonecall": "call",
    "telephone": "call",
    "tel": "call",
    "videocall": "call",
    "video": "call",
    "meeting": "meeting",
    "meet": "meeting",
    "visit": "meeting",
    "inperson": "meeting",
    "appointment": "meeting",
    "note": "note",
    "notes": "note",
    "memo": "note",
}
DIRECTIONS = {
    "in": "in",
    "inbound": "in",
    "incoming": "in",
    "fromclient": "in",
    "received": "in",
    "out": "out",
    "outbound": "out",
    "outgoing": "out",
    "toclient": "out",
    "made": "out",
    "placed": "out",
    "internal": "internal",
    "int": "internal",
    "auto": "auto",
    "automatic": "auto",
}
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_SLASH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DATE_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_TIME = re.compile(
    r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2})(?:[.,]\d+)?)?\s*([ap]\.?m\.?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$",
    re.I,
)
_DURATION_HM = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{2}))?$")
_DURATION_WORDS = re.compile(
    r"^(?:(\d{1,3})\s*h(?:ours?|rs?)?)?\s*(?:(\d{1,4})\s*m(?:in(?:ute)?s?)?)?$", re.I
)


class CsvError(Exception):
    """The file as a whole cannot be read (not the fault of one row)."""


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """field -> column, guessed from header names (each column used once)."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    normalised = [(h, _norm(h)) for h in headers]
    for target, synonyms in _SYNONYMS.items():
        for synonym in synonyms:  # exact names first, in order of preference
            hit = next((h for h, n in normalised if n == synonym and h not in used), None)
            if hit is not None:
                mapping[target] = hit
                used.add(hit)
                break
    return mapping


@dataclass
class CsvTable:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    delimiter: str
    encoding: str
    truncated: bool = False


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read as: UTF-8 (with or without a BOM), else
    Windows-1252 (which reads any byte)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    sample = text[:20_000]
    first = sample.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_table(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_CSV_BYTES, max_rows: int = MAX_ROWS
) -> CsvTable:
    """The header and rows of a CSV file; CsvError if it is too large, empty or has no
    header. Rows beyond `max_rows` are dropped (`truncated`)."""
    if len(data) > max_bytes:
        raise CsvError(f"The file is larger than {max_bytes / 1024 / 1024:g} MB.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvError("This is not a text CSV file (it holds binary data).")
    text, encoding = decode(data)
    text = text.replace("\x00", "")
    if not text.strip():
        raise CsvError("The file is empty.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise CsvError("The first line must name the columns.")
        headers = _unique_headers(header[:MAX_COLUMNS])
        rows: list[tuple[int, list[str]]] = []
        truncated = False
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append((reader.line_num, [c[:MAX_CELL] for c in cells[:MAX_COLUMNS]]))
    except csv.Error as exc:
        raise CsvError(f"The file is not valid CSV near line {reader.line_num}: {exc}.") from None
    return CsvTable(headers, rows, delimiter, encoding, truncated)


def _unique_headers(header: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(header, start=1):
        name = name.strip()[:100] or f"Column {i}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def check_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """The mapping with empty entries dropped; an error message per bad entry."""
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for target, column in mapping.items():
        if target not in FIELDS:
            errors[target] = f"There is no field “{str(target)[:50]}” to map."
            continue
        if not column:
            continue
        if column not in headers:
            errors[target] = f"There is no column “{str(column)[:100]}” in the file."
            continue
        clean[target] = column
    for target in REQUIRED:
        if target not in clean and target not in errors:
            errors[target] = f"Choose the column that holds the {FIELDS[target].lower()}."
    if errors:
        raise MappingError(errors)
    return clean


class MappingError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- Values ---------------------------------------------------------------------------


def parse_date(text: str, *, day_first: bool) -> date:
    text = text.strip()
    if m := _DATE_ISO.match(text) or _DATE_YMD_SLASH.match(text):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DATE_SLASH.match(text):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000
        day, month = (a, b) if day_first else (b, a)
        if "." in text:  # 31.12.2026 is always day first
            day, month = a, b
    else:
        raise ValueError(f"“{text[:40]}” is not a date (use 2026-03-04 or 04/03/2026)")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"“{text[:40]}” is not a real date") from None


def parse_time(text: str) -> tuple[time, timezone | None]:
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"“{text[:40]}” is not a time (use 14:30 or 2:30 pm)")
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    meridian = (m.group(4) or "").lower().replace(".", "")
    if meridian:
        if not 1 <= hour <= 12:
            raise ValueError(f"“{text[:40]}” is not a time")
        hour = hour % 12 + (12 if meridian == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"“{text[:40]}” is not a real time")
    return time(hour, minute, second), _offset(m.group(5))


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    text = text.upper()
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"“{text}” is not a time zone offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_when(text: str, *, day_first: bool, time_text: str = "") -> tuple[datetime, bool]:
    """A datetime (naive unless the text has an offset) and whether a time was given."""
    text = text.strip()
    if not text:
        raise ValueError("the date is empty")
    iso = re.match(r"^(\d{4}-\d{1,2}-\d{1,2})T(.+)$", text)
    if iso:
        date_part, clock_part = iso.group(1), iso.group(2)
    else:
        date_part, _, clock_part = text.partition(" ")
    day = parse_date(date_part, day_first=day_first)
    clock_text = clock_part.strip() or time_text.strip()
    if not clock_text:
        return datetime.combine(day, time(0, 0)), False
    clock, offset = parse_time(clock_text)
    value = datetime.combine(day, clock)
    return (value.replace(tzinfo=offset) if offset else value), True


def parse_duration(text: str) -> timedelta:
    text = text.strip().lower()
    if re.fullmatch(r"\d{1,4}(\.\d+)?", text):
        minutes = float(text)
    elif m := _DURATION_HM.match(text):
        minutes = int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3) or 0) / 60
    elif (m := _DURATION_WORDS.match(text)) and (m.group(1) or m.group(2)):
        minutes = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    else:
        raise ValueError(f"“{text[:40]}” is not a duration (use 45, 1:30 or 1h 30m)")
    if minutes > 24 * 60:
        raise ValueError("a call or meeting lasts at most 24 hours")
    return timedelta(minutes=minutes)


def lookup(table: dict[str, str], value: str) -> str | None:
    return table.get(_norm(value))


# --- Rows -----------------------------------------------------------------------------


@dataclass
class CsvRow:
    """One row as read: values checked for form, not yet resolved against the database."""

    line: int
    when: datetime  # naive: the client's local time
    timed: bool = True
    channel: str = ""
    direction: str = ""
    client: str = ""
    contact_email: str = ""
    contact_name: str = ""
    subject: str = ""
    summary: str = ""
    end: datetime | None = None
    duration: timedelta | None = None
    person: str = ""
    external_id: str = ""


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class CsvRead:
    rows: list[CsvRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _cell(cells: list[str], headers: list[str], mapping: dict[str, str], target: str) -> str:
    column = mapping.get(target)
    if not column:
        return ""
    index = headers.index(column)
    return cells[index].strip().replace("\x00", "") if index < len(cells) else ""


def read_rows(
    table: CsvTable, mapping: dict[str, str], *, day_first: bool
) -> Iterator[CsvRow | RowError]:
    """Each row as a CsvRow, or a RowError saying what is wrong with it."""
    for line, cells in table.rows:
        value = {t: _cell(cells, table.headers, mapping, t) for t in mapping}
        problems: list[str] = []
        try:
            when, timed = parse_when(
                value.get("when", ""), day_first=day_first, time_text=value.get("time", "")
            )
        except ValueError as exc:
            yield RowError(line, f"Date: {exc}.")
            continue
        row = CsvRow(line=line, when=when, timed=timed)
        if value.get("channel"):
            channel = lookup(CHANNELS, value["channel"])
            if channel is None:
                problems.append(f"Channel: “{value['channel'][:40]}” is not call, meeting or note.")
            row.channel = channel or ""
        if value.get("direction"):
            direction = lookup(DIRECTIONS, value["direction"])
            if direction is None:
                problems.append(
                    f"Direction: “{value['direction'][:40]}” is not in, out or internal."
                )
            row.direction = direction or ""
        if value.get("duration"):
            try:
                row.duration = parse_duration(value["duration"])
            except ValueError as exc:
                problems.append(f"Duration: {exc}.")
        if value.get("end"):
            try:
                if re.match(r"^\d{1,2}(:\d{2})?(:\d{2})?\s*([ap]\.?m\.?)?$", value["end"], re.I):
                    clock, _ = parse_time(value["end"])
                    row.end = datetime.combine(when.date(), clock, tzinfo=when.tzinfo)
                else:
                    row.end, _ = parse_when(value["end"], day_first=day_first)
                if (row.end.tzinfo is None) != (when.tzinfo is None):
                    row.end = row.end.replace(tzinfo=when.tzinfo)
                if row.end < when:
                    problems.append("End: the end is before the start.")
                elif row.end - when > timedelta(hours=24):
                    problems.append("End: a call or meeting lasts at most 24 hours.")
            except ValueError as exc:
                problems.append(f"End: {exc}.")
        email = value.get("contact_email", "").lower()
        if email and not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}", email):
            problems.append(f"Contact email: “{email[:60]}” is not an email address.")
        row.contact_email = email
        row.contact_name = value.get("contact_name", "")[:200]
        row.client = value.get("client", "")[:200]
        row.subject = value.get("subject", "")[:300]
        row.summary = value.get("summary", "")[:MAX_CELL]
        row.person = value.get("person", "")[:200]
        row.external_id = value.get("external_id", "")[:400]
        if not row.subject and not row.summary:
            problems.append("Give a subject or notes: the row says nothing about the call.")
        if problems:
            yield RowError(line, " ".join(problems))
        else:
            yield row
