"""Reading Outlook's own files: `.msg` messages (with extract-msg) and `.pst`/`.ost` data
files (with libpff). Neither holds the message as it was sent: Outlook keeps each one as
a set of properties (the headers it received, the text and HTML bodies, the
attachments, the recipients). Each message is rebuilt here as a standard email, always
the same bytes for the same message, and then read like any other (`parse_message`):
so a message imported twice is stored once, and the headers it arrived with are kept
as they were.

A data file is read in a process of its own (libpff is C, and a damaged file must not
take the import down with it), which streams the rebuilt messages back; an item that is
not mail (contacts, tasks, notes) is left out and counted per folder. Its calendars are
read by a second run of that process (`pst_calendars`), each folder written as an
iCalendar document (`outlook_calendar`) that the calendar import reads like an export.

No database here; `importing.open_source` and the parsing workers call these.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import logging
import mimetypes
import multiprocessing
import os
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

logger = logging.getLogger(__name__)

MSG_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file (.msg, .doc, .xls)
PST_MAGIC = b"!BDN"
_SMALLEST_OLE_FILE = 1536  # a header and two sectors (olefile.MINIMAL_OLEFILE_SIZE)
PST_SUFFIXES = (".pst", ".ost")
# Messages a data file's reader sends back at a time (and bytes, whichever comes first).
_BATCH = 50
_BATCH_BYTES = 8 * 1024 * 1024
_MAX_DEPTH = 3  # messages attached to messages attached to messages
_MAX_FOLDER_DEPTH = 64
_MAX_FOLDERS = 20_000
# Seconds the reading process may go without sending anything before it is stopped.
READER_SILENCE = 300

# Folders Outlook keeps for itself: not mail from anyone, and not shown as mail.
_OUTLOOK_OWN_FOLDERS = frozenset({"sync issues"})
# Names of the folders above a data file's own, which Outlook does not show.
_STRUCTURE_FOLDERS = frozenset(
    {"top of personal folders", "top of outlook data file", "root - mailbox", "ipm_subtree"}
)
_EMBEDDED = 5  # PR_ATTACH_METHOD: ATTACH_EMBEDDED_MSG
_HEADER_FIELD = re.compile(r"^([!-9;-~]+)[ \t]*:")
_BODY_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


def message_kind(message_class: str) -> str:
    """ "" when an item of this MAPI message class is mail (IPM.Note, meeting requests
    and answers, delivery reports, posts); otherwise what it is, in words."""
    klass = message_class.strip().casefold()
    if klass.startswith(("ipm.note", "ipm.schedule.meeting", "report.ipm", "ipm.post")):
        return ""
    if not klass or klass == "ipm":
        return ""  # some writers leave the class out of plain messages
    return _in_words(klass, _ITEM_KINDS)


# What Outlook items and folders hold, in words, by the start of their MAPI class.
_ITEM_KINDS = (
    ("ipm.appointment", "calendar item"),
    ("ipm.contact", "contact"),
    ("ipm.distlist", "contact list"),
    ("ipm.task", "task"),
    ("ipm.stickynote", "note"),
    ("ipm.activity", "journal entry"),
)
_FOLDER_KINDS = (
    ("ipf.appointment", "calendar item"),
    ("ipf.contact", "contact"),
    ("ipf.task", "task"),
    ("ipf.stickynote", "note"),
    ("ipf.journal", "journal entry"),
)


_CALENDAR = "calendar item"
# Why the mail import leaves a .msg calendar item to the calendar import (`msg_calendar`).
CALENDAR_ITEM = "an Outlook calendar item (.msg): imported as a meeting, not as mail"


def _in_words(klass: str, kinds: tuple[tuple[str, str], ...]) -> str:
    return next((what for prefix, what in kinds if klass.startswith(prefix)), "Outlook item")


# --- One .msg file ---------------------------------------------------------------------


def msg_to_email(data: bytes) -> tuple[bytes | None, str]:
    """An Outlook .msg file's bytes rebuilt as an email (RFC 5322 bytes), or (None, why
    not). Never raises."""
    try:
        import extract_msg
        from extract_msg.enums import ErrorBehavior

        # It logs each property a message lacks as a warning: what is there is enough.
        logging.getLogger("extract_msg").setLevel(logging.ERROR)
    except ImportError:  # pragma: no cover - a dependency of Amends
        return None, "an Outlook message (.msg), which this installation cannot read"
    tolerant = ErrorBehavior(0)
    for flag in ErrorBehavior:
        tolerant |= flag
    if len(data) < _SMALLEST_OLE_FILE:  # olefile would take shorter bytes for a file name
        return None, "a damaged Outlook message (.msg): shorter than any Outlook file"
    msg: Any = None
    try:
        msg = extract_msg.openMsg(data, strict=False, errorBehavior=tolerant)
        klass = str(getattr(msg, "classType", "") or "")
        kind = message_kind(klass)
        if not hasattr(msg, "asEmailMessage") and not kind:
            if not klass.strip():  # no message class at all: not Outlook's
                return None, "not an email: an Office document or another OLE file"
            kind = f"item of an unknown kind ({klass[:60]})"
        if kind == _CALENDAR:
            return None, CALENDAR_ITEM
        if kind:
            return None, (
                f"not an email: an Outlook {kind} (.msg); Amends imports Outlook messages"
                " and calendar items, not other Outlook items"
            )
        _skip_rtf_conversion(msg)
        built = msg.asEmailMessage()
        _complete_headers(built, msg)
        _attach_embedded(built, msg)
        _from_properties(built, data, klass)
        if not any(built.get(name) for name in ("From", "To", "Date", "Subject", "Message-ID")):
            return None, (
                "a damaged Outlook message (.msg): no sender, recipient, date or subject"
                " could be read"
            )
        _stable_boundaries(built, data)
        return built.as_bytes(policy=_BUILD), ""
    except Exception as exc:  # a damaged or hostile file: say so, never stop the batch
        what = type(exc).__name__
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else what
        if data.startswith(MSG_MAGIC):
            return None, f"a damaged Outlook message (.msg) that cannot be read: {detail}"
        return None, f"not an Outlook message (.msg): {detail}"
    finally:
        if msg is not None:
            with contextlib.suppress(Exception):
                msg.close()


# Emails as the standard library builds them, with "\n" line ends (as files hold them).
# Lines up to 998 characters (the standard's limit), so text that fits is kept as it
# is (7bit or 8bit) rather than quoted-printable, which is slow to write.
_BUILD = email_policy.default.clone(linesep="\n", max_line_length=998)


def _skip_rtf_conversion(msg: Any, depth: int = 0) -> None:
    """A message with a text body and no HTML one: keep it so. (extract-msg would make
    the HTML from the RTF body Outlook also keeps, at a second or more a message, or
    from the text itself.) Attached Outlook messages too."""
    with contextlib.suppress(Exception):
        if msg.getStream("__substg1.0_10130102") is None and msg.body:
            msg.__dict__["htmlBody"] = None  # functools.cached_property's own slot
    if depth < _MAX_DEPTH:
        for attachment in _safe(lambda: list(msg.attachments)) or []:
            inner = getattr(attachment, "data", None)
            if hasattr(inner, "getStream"):
                _skip_rtf_conversion(inner, depth + 1)


def _complete_headers(built: Any, msg: Any) -> None:
    """A message Outlook kept no received headers for (a draft, or one saved from Sent
    Items) gets empty From and Message-ID fields and no Subject or Date from extract-msg:
    the empty fields go, and the subject and time Outlook kept are added."""
    for name in {key.casefold() for key in built}:
        if not any(str(value).strip() for value in built.get_all(name, [])):
            del built[name]
    if getattr(msg, "headerText", None) is None:  # recipients as Outlook lists them
        found: dict[int, list[str]] = {1: [], 2: [], 3: []}
        for recipient in getattr(msg, "recipients", None) or []:
            kind = int(getattr(recipient, "type", 1) or 1)
            shown = _address(_text(recipient.name or ""), _text(recipient.email or ""))
            if shown and kind in found:
                found[kind].append(shown)
        for kind, name in ((1, "To"), (2, "Cc"), (3, "Bcc")):
            del built[name]
            if found[kind]:
                built[name] = ", ".join(found[kind])
    subject = getattr(msg, "subject", None)
    if built["Subject"] is None and isinstance(subject, str) and subject.strip():
        built["Subject"] = _text(subject).replace("\r", " ").replace("\n", " ")
    when = getattr(msg, "date", None)
    if built["Date"] is None and isinstance(when, datetime):
        built["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=UTC))


# The iTIP method of the invitation a meeting request or cancellation was sent with.
_INVITATIONS = (
    ("ipm.schedule.meeting.request", "REQUEST"),
    ("ipm.schedule.meeting.canceled", "CANCEL"),
)


def _from_properties(built: Any, data: bytes, klass: str) -> None:
    """What extract-msg leaves out and the item's own properties give: the sender's
    Internet address when Outlook kept an Exchange one alone (a message saved from Sent
    Items), and a meeting request's or cancellation's invitation, as the text/calendar
    part Outlook sent it with (`invite.ics`), so the meeting is kept as an emailed
    invitation's is. What cannot be read is left as it was."""
    method = next((m for prefix, m in _INVITATIONS if klass.casefold().startswith(prefix)), "")
    unnamed = "@" not in str(built.get("From", "") or "")
    if not method and not unnamed:
        return
    try:
        with _open_msg(data) as ole:
            read = _msg_item(ole)
    except Exception:
        return
    if read is None:
        return
    item, tags, _addresses = read
    if unnamed and item.organizer is not None:
        del built["From"]
        built["From"] = _address(*item.organizer)
    text = _made_invitation(item, tags, method) if method else None
    if text is not None:
        _attach_invitation(built, text, method)


def _made_invitation(item: Any, tags: dict[str, int], method: str) -> bytes | None:
    """A meeting request's or cancellation's invitation, or None when its properties do
    not make one (never an error: the email is kept without it, never lost)."""
    from amends.comms.outlook_calendar import NotAnEvent, invitation

    try:
        return invitation(item, tags, method)
    except NotAnEvent:
        return None
    except Exception:  # damaged properties
        logger.debug("A meeting request's invitation could not be made", exc_info=True)
        return None


def _attach_invitation(built: Any, text: bytes, method: str) -> None:
    """The invitation as the text/calendar part Outlook sends a meeting request with."""
    built.add_attachment(
        text, maintype="text", subtype="calendar", filename="invite.ics", params={"method": method}
    )


def _attach_embedded(built: Any, msg: Any, depth: int = 0) -> None:
    """Make each Outlook message attached to this one an attached message again.
    extract-msg (0.55) adds an attached message's own email straight into the body's
    parts — its headers become a part's, its words run on after the message's own — so
    each is wrapped here as the `message/rfc822` attachment it was (named as Outlook
    named it, `.eml` for `.msg`), with its own headers completed, at any depth to
    `_MAX_DEPTH`. Its parts follow the attachments' order: the body, then one for each
    attachment that has data."""
    related = built.get_payload()[0] if built.is_multipart() and built.get_payload() else None
    if related is None or not related.is_multipart() or depth >= _MAX_DEPTH:
        return
    parts = related.get_payload()
    at = 1  # parts[0] holds the bodies
    for attachment in _safe(lambda: list(msg.attachments)) or []:
        if not getattr(attachment, "dataType", None):
            continue
        if at >= len(parts):
            return
        inner = getattr(attachment, "data", None)
        if hasattr(getattr(attachment, "dataType", None), "asEmailMessage") and hasattr(
            inner, "getStream"
        ):
            embedded = parts[at]
            _complete_headers(embedded, inner)
            _attach_embedded(embedded, inner, depth + 1)
            name = _text(getattr(attachment, "name", "") or "") or "attached-message.msg"
            if name.lower().endswith(".msg"):
                name = name[:-4] + ".eml"
            wrapper = EmailMessage(policy=_BUILD)
            wrapper.set_content(embedded, disposition="attachment", filename=name)
            parts[at] = wrapper
        at += 1


def _stable_boundaries(message: Any, seed: bytes) -> None:
    """Replace the random MIME boundaries with ones derived from the source's bytes: the
    same file always gives the same email (and so is recognised when imported again)."""
    digest = hashlib.sha256(seed).hexdigest()[:24]
    for number, part in enumerate(message.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"=_amends_{digest}_{number}")


# --- An Outlook calendar item saved as a .msg file --------------------------------------
#
# Dragging an appointment out of Outlook's calendar saves it as a .msg file: the same
# properties as in a data file, in an OLE compound file ([MS-OXMSG]). They are read here
# into the shape `_properties` gives a data file's (strings as str, times as datetime in
# UTC, other values as their bytes), so `outlook_calendar` writes the event alike.

_MSG_PROPERTIES = "__properties_version1.0"
_MSG_NAMEID = "__nameid_version1.0"
_MSG_RECIPIENT = "__recip_version1.0_#"
_MSG_HEADER = 32  # the message's property stream: its header, then 16 bytes a property
_MSG_RECIPIENT_HEADER = 8
# Fixed-length types, kept in the property stream itself, with their length in bytes.
_MSG_FIXED = {
    0x0002: 2,
    0x0003: 4,
    0x0004: 4,
    0x0005: 8,
    0x0006: 8,
    0x0007: 8,
    0x000A: 4,
    0x000B: 1,
    0x0014: 8,
    0x0040: 8,
}
_MSG_VARIABLE = (0x001E, 0x001F, 0x0048, 0x0102)  # each in a stream of its own
_MSG_MAX_PROPERTIES = 16 * 1024  # entries read from a property stream
_MSG_MAX_RECIPIENTS = 5000
_FILETIME_EPOCH = datetime(1601, 1, 1)
_CODEPAGE = 0x3FFD  # PR_MESSAGE_CODEPAGE, for 8-bit strings
_BODY = 0x1000
_HTML = 0x1013


def msg_item_class(source: bytes | str | os.PathLike[str]) -> str | None:
    """The MAPI class of the Outlook item a .msg file holds ("IPM.Appointment",
    "IPM.Note"…; "" when it names none), or None when it is no readable .msg. Reads
    only the class: a cheap look at a file before choosing how to import it."""
    try:
        with _open_msg(source) as ole:
            return _msg_properties(ole, [], _MSG_HEADER, only=_CLASS).get(_CLASS, "")
    except Exception:
        return None


def is_msg_calendar_item(source: bytes | str | os.PathLike[str]) -> bool:
    """Whether a .msg file holds an Outlook calendar item (an appointment or a meeting
    in someone's calendar, not the invitation that came by mail)."""
    return message_kind(msg_item_class(source) or "") == _CALENDAR


def msg_calendar(data: bytes, label: str) -> tuple[bytes | None, str]:
    """An Outlook calendar item saved as a .msg file, as an iCalendar document with its
    event (a recurring one with its changed occurrences), or (None, why not). (None, "")
    when the file holds mail, which the mail import reads. Never raises."""
    from amends.comms.outlook_calendar import documents

    try:
        with _open_msg(data) as ole:
            read = _msg_item(ole, calendar_only=True)
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return None, "a damaged Outlook calendar item (.msg) that cannot be read" + (
            f": {detail}" if detail else ""
        )
    if read is None:
        return None, ""
    item, tags, _addresses = read
    for document, rejected, _covered in documents("", iter([(label, item, "")]), tags):
        if document is not None:
            return document, ""
        if rejected:
            return None, rejected[0][1]
    return None, "an Outlook calendar item (.msg) with no event in it"


def _msg_item(
    ole: Any, *, calendar_only: bool = False
) -> tuple[Any, dict[str, int], _Addresses] | None:
    """The Outlook item in an open .msg file, as `outlook_calendar` takes one, with its
    file's named-property tags and the Internet addresses it pairs with Exchange ones.
    With `calendar_only`, None for an item that is no calendar item."""
    from amends.comms.importing import text_from_html
    from amends.comms.outlook_calendar import Item, tags_of_map

    props = _msg_properties(ole, [], _MSG_HEADER)
    if calendar_only and message_kind(_text(props.get(_CLASS))) != _CALENDAR:
        return None
    tags = tags_of_map(
        _msg_stream(ole, [_MSG_NAMEID, "__substg1.0_00020102"]) or b"",
        _msg_stream(ole, [_MSG_NAMEID, "__substg1.0_00030102"]) or b"",
    )
    recipients = [
        _msg_properties(ole, [name], _MSG_RECIPIENT_HEADER)
        for name in _msg_storages(ole, _MSG_RECIPIENT)[:_MSG_MAX_RECIPIENTS]
    ]
    # The organizer is often named by an Exchange address alone: the item's other
    # properties (who made it) and its recipients may pair it with an Internet one.
    addresses = _Addresses()
    addresses.learn(props)
    for person in recipients:
        addresses.pair(_text(person.get(_EMAIL_ADDRESS)), _text(person.get(_SMTP_ADDRESS)))
    body = _text(props.get(_BODY))
    if not body.strip() and isinstance(props.get(_HTML), bytes):
        body = text_from_html(_decode(props[_HTML], _codec(props)))
    name, email = _sender(props, addresses)
    attendees = [
        (
            _integer(person.get(_RECIPIENT_TYPE)) or 1,
            _text(person.get(_DISPLAY_NAME)).strip(),
            addresses.internet(_text(person.get(_SMTP_ADDRESS)), _text(person.get(_EMAIL_ADDRESS))),
        )
        for person in recipients
    ]
    item = Item(
        props=props,
        subject=_text(props.get(_SUBJECT)),
        body=body,
        organizer=(name.strip(), email) if email else None,
        attendees=[person for person in attendees if person[2]],
    )
    return item, tags, addresses


def _open_msg(source: bytes | str | os.PathLike[str]) -> Any:
    import olefile

    if isinstance(source, bytes):  # as a stream: short bytes would be taken for a path
        return olefile.OleFileIO(io.BytesIO(source))
    return olefile.OleFileIO(os.fspath(source))


def _msg_stream(ole: Any, path: list[str]) -> bytes | None:
    if not ole.exists("/".join(path)):
        return None
    return bytes(ole.openstream(path).read())


def _msg_storages(ole: Any, prefix: str) -> list[str]:
    """The names of the top-level storages starting with `prefix`, in order."""
    return sorted(
        {
            entry[0]
            for entry in ole.listdir(streams=False, storages=True)
            if entry[0].startswith(prefix)
        }
    )


def _msg_properties(
    ole: Any, storage: list[str], header: int, only: int | None = None
) -> dict[int, Any]:
    """The properties of the message (`storage` []) or of one of its recipients, by
    tag. Values of the types an appointment uses; others (multiple values, objects) are
    left out. With `only`, that property alone."""
    stream = _msg_stream(ole, [*storage, _MSG_PROPERTIES]) or b""
    props: dict[int, Any] = {}
    narrow: list[tuple[int, bytes]] = []
    end = min(len(stream), header + 16 * _MSG_MAX_PROPERTIES)
    for offset in range(header, end - 15, 16):
        (tag,) = struct.unpack_from("<I", stream, offset)
        kind, number = tag & 0xFFFF, tag >> 16
        if only is not None and number != only:
            continue
        if kind in _MSG_FIXED:
            value = stream[offset + 8 : offset + 8 + _MSG_FIXED[kind]]
            if kind == 0x0040:
                props[number] = _filetime(value)
            else:
                props[number] = value
        elif kind in _MSG_VARIABLE:
            data = _msg_stream(ole, [*storage, f"__substg1.0_{tag:08X}"])
            if data is None:
                continue
            if kind == 0x001F:
                props[number] = data.decode("utf-16-le", "replace").rstrip("\x00")
            elif kind == 0x001E:
                narrow.append((number, data))
            else:
                props[number] = data
    # 8-bit strings are in the message's code page (else in its Internet one).
    page = _integer(props.get(_CODEPAGE)) or _integer(props.get(_INTERNET_CPID)) or 0
    codec = _codec({_INTERNET_CPID: page.to_bytes(4, "little")} if page else {})
    for number, data in narrow:
        props.setdefault(number, _decode(data, codec))
    return {k: v for k, v in props.items() if v is not None}


def _filetime(value: bytes) -> datetime | None:
    """A FILETIME (100-nanosecond steps since 1601, UTC) as a datetime in UTC, without
    its zone (as libpff gives one); None when it is out of range."""
    ticks = int.from_bytes(value, "little")
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


# --- A .pst or .ost data file ----------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """What the reading process sends back for one message or folder."""

    label: str
    data: bytes | None = None
    rejected: str = ""
    junk: int | None = None
    # A calendar folder's items, as an iCalendar document, and those that could not be
    # written in it (label, why); `items` is how many of the folder's items this covers.
    calendar: bytes | None = None
    problems: tuple[tuple[str, str], ...] = ()
    items: int = 1
    unopened: bool = False  # the file could not be opened at all (`rejected` says why)


def pst_items(
    path: str | os.PathLike[str], label: str, max_bytes: int
) -> tuple[int, Iterator[_Found]]:
    """(how many items the data file holds, a stream of them) for the Outlook data file
    at `path`. Both are read by a process of their own (the stream's starts when it is
    first read). Raises ValueError, saying why, when the file cannot be opened at all."""
    reader, receive = _start(os.fspath(path), label, max_bytes, "count")
    try:
        total = _opening(reader, receive)
    finally:
        receive.close()
        reader.join(5)
    return total, _stream(os.fspath(path), label, max_bytes, total, "mail")


def pst_calendars(path: str | os.PathLike[str], label: str, max_bytes: int) -> Iterator[_Found]:
    """The calendar folders of the Outlook data file at `path`, each as iCalendar
    documents (`_Found.calendar`, named after the data file's own id and the folder),
    read by a process of its own. A file that cannot be opened (`unopened`), or a reader
    that dies, gives one item with the reason (`rejected`)."""
    return _stream(os.fspath(path), label, max_bytes, None, "calendars")


def _start(path: str, label: str, max_bytes: int, mode: str) -> tuple[Any, Any]:
    context: Any = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    receive, send = context.Pipe(duplex=False)
    reader = context.Process(
        target=_read_data_file,
        args=(path, label, max_bytes, send, mode),
        name="amends-outlook",
        daemon=True,
    )
    reader.start()
    send.close()
    return reader, receive


def _opening(reader: Any, receive: Any) -> int:
    """The item count the reading process sends first; ValueError if it could not open
    the file (or died trying)."""
    try:
        first = _receive(receive)
    except (EOFError, OSError):
        reader.kill()  # stopped, looping or dead: it has nothing to tidy
        reader.join(5)
        raise ValueError("a damaged Outlook data file: it cannot be read") from None
    if first[0] == "error":
        raise ValueError(first[1])
    return int(first[1])


def _receive(receive: Any) -> Any:
    """What the reading process sends next; EOFError if it died, or sent nothing for
    `READER_SILENCE` seconds (a damaged file can make libpff loop)."""
    if not receive.poll(READER_SILENCE):
        raise EOFError("the reader is silent")
    return receive.recv()


def _stream(
    path: str, label: str, max_bytes: int, total: int | None, mode: str
) -> Iterator[_Found]:
    reader, receive = _start(path, label, max_bytes, mode)
    seen = 0
    try:
        try:
            counted = _opening(reader, receive)
            total = counted if total is None else total
        except ValueError as exc:
            yield _Found(label, rejected=str(exc), unopened=True)
            return
        while True:
            try:
                batch = _receive(receive)
            except (EOFError, OSError):
                reader.kill()
                reader.join(5)
                yield _Found(
                    label,
                    rejected=(
                        f"a damaged Outlook data file: reading it stopped after {seen:,} of"
                        f" {total:,} items"
                    ),
                )
                return
            if batch is None:
                return
            seen += sum(found.items for found in batch)
            yield from batch
    finally:
        receive.close()
        if reader.is_alive():
            reader.kill()
        reader.join(5)


def _read_data_file(path: str, label: str, max_bytes: int, send: Any, mode: str) -> None:
    """In the reading process: open the data file, say how many items it holds, then
    send its messages rebuilt as emails (`mode` "mail"), or its calendar folders as
    iCalendar documents ("calendars"), in batches, and None at the end. "count" stops
    after the count."""
    try:
        import pypff
    except ImportError:  # pragma: no cover - a dependency of Amends
        send.send(("error", "this installation cannot read Outlook data files (no libpff)"))
        return
    data_file = pypff.file()
    try:
        data_file.open(path)
        folders = _all_folders(data_file.get_root_folder())
    except Exception as exc:
        send.send(("error", f"a damaged Outlook data file (.pst, .ost): {_libpff_why(exc)}"))
        return
    calendars = [folder for folder in folders if folder.holds == _CALENDAR and folder.count]
    if mode == "calendars":
        send.send(("total", sum(folder.count for folder in calendars)))
    else:
        send.send(("total", sum(_items_sent(folder) for folder in folders)))
    if mode == "count":
        return
    addresses = _Addresses()
    addresses.learn_from(folders)
    if mode == "calendars":
        _send_calendars(data_file, calendars, label, addresses, send)
        return
    batch: list[_Found] = []
    size = 0
    tags = _NamedTags(data_file)
    for folder in folders:
        for found in _folder_items(folder, label, max_bytes, addresses, tags):
            batch.append(found)
            size += len(found.data or b"")
            if len(batch) >= _BATCH or size >= _BATCH_BYTES:
                send.send(batch)
                batch, size = [], 0
    if batch:
        send.send(batch)
    send.send(None)
    with contextlib.suppress(Exception):
        data_file.close()


def _send_calendars(
    data_file: Any, calendars: list[_Folder], label: str, addresses: _Addresses, send: Any
) -> None:
    from amends.comms.outlook_calendar import documents, named_tags

    tags = named_tags(data_file)
    # Each calendar is named after the data file's own id (its store's record key), so
    # a later copy of the same file, uploaded under any name, is known as the same
    # calendar, and meetings it no longer holds were taken off it; two files are two.
    store = _safe(lambda: _properties(data_file.get_message_store())) or {}
    record_key = store.get(_RECORD_KEY)
    if isinstance(record_key, bytes) and record_key:
        owner = f"Outlook data file {record_key.hex()}"
    else:
        owner = label.replace("\\", "/").rsplit("/", 1)[-1]
    for folder in calendars:
        where = f"{label}/{'/'.join(folder.names)}" if folder.names else label
        name = "/".join((owner, *folder.names))
        items = _calendar_items(folder, where, addresses)
        for document, problems, covered in documents(name, items, tags):
            send.send([_Found(where, calendar=document, problems=tuple(problems), items=covered)])
    send.send(None)
    with contextlib.suppress(Exception):
        data_file.close()


def _calendar_items(folder: _Folder, where: str, addresses: _Addresses) -> Iterator[Any]:
    """(label, `outlook_calendar.Item` or None, why not) for each item of a calendar
    folder."""

    def read(message: Any, props: dict[int, Any], kind: str) -> tuple[Any, str]:
        if kind != _CALENDAR:
            what = f"an Outlook {kind}" if kind else "an email"
            return None, f"not a calendar item: {what} in a calendar, left out"
        return _pst_item(message, props, addresses), ""

    return _each_message(folder, where, read)


def _pst_item(message: Any, props: dict[int, Any], addresses: _Addresses) -> Any:
    """A data file's calendar item or meeting request, as `outlook_calendar` takes one."""
    from amends.comms.importing import text_from_html
    from amends.comms.outlook_calendar import Item

    codec = _codec(props)
    body = _decode(_safe(lambda: message.plain_text_body), codec)
    if not body.strip():
        html = _decode(_safe(lambda: message.html_body), codec)
        body = text_from_html(html) if html else ""
    name, email = _sender(props, addresses)
    return Item(
        props=props,
        subject=_text(_safe(lambda: message.subject)),
        body=body,
        organizer=(name.strip(), email) if email else None,
        attendees=[person for person in _recipient_list(message, addresses) if person[2]],
    )


def _each_message(
    folder: _Folder, where: str, read: Callable[[Any, dict[int, Any], str], tuple[Any, str]]
) -> Iterator[tuple[str, Any, str]]:
    """(label, what `read` makes of it or None, why not) for each message of the folder.
    `read` gets the message, its properties and what it is in words ("" for mail); a
    message that cannot be read is listed with the reason."""
    for number in range(folder.count):
        label = f"{where}#{number + 1}"
        try:
            message = folder.folder.get_sub_message(number)
            props = _properties(message)
            made, why = read(message, props, message_kind(_text(props.get(_CLASS))))
        except Exception as exc:
            made, why = None, f"cannot be read from the Outlook data file ({_why(exc)})"
        yield label, made, why


def _libpff_why(exc: BaseException) -> str:
    """libpff's reason, from the chain of "function: what" it gives (the first is only
    "unable to open file")."""
    steps = [step.split(": ", 1)[-1].strip() for step in str(exc).split(". ") if step.strip()]
    found = steps[1] if len(steps) > 1 else (steps[0] if steps else "")
    return f"it cannot be opened ({found[:150]})" if found else "it cannot be opened"


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@dataclass(frozen=True)
class _Folder:
    folder: Any
    names: tuple[str, ...]  # from the top, as Outlook shows them
    count: int  # messages (of any kind) in it
    holds: str  # "" for mail, else what its items are (`folder_kind`)

    @property
    def junk(self) -> bool:
        from amends.comms.importing import is_junk_folder

        return bool(self.names) and is_junk_folder(self.names[-1])


def folder_kind(container_class: str) -> str:
    """ "" for a folder of mail (IPF.Note, IPF.Imap, or no class: older files), else
    what its items are, in words."""
    klass = container_class.strip().casefold()
    if not klass or klass == "ipf" or klass.startswith(("ipf.note", "ipf.imap")):
        return ""
    return _in_words(klass, _FOLDER_KINDS)


def _items_sent(folder: _Folder) -> int:
    """How many items `_folder_items` sends for the folder: none for a calendar (read by
    `pst_calendars`), one line for a junk folder or a folder of other things than mail,
    else one for each message."""
    if not folder.count or folder.holds == _CALENDAR:
        return 0
    return 1 if folder.junk or folder.holds else folder.count


def _all_folders(root: Any) -> list[_Folder]:
    """The data file's folders (at most `_MAX_FOLDERS`: a damaged file's tree may loop)."""
    found = []
    for folder in _folders(root, (), 0):
        found.append(folder)
        if len(found) >= _MAX_FOLDERS:
            break
    return found


def _folders(folder: Any, names: tuple[str, ...], depth: int) -> Iterator[_Folder]:
    """Every folder, depth first, but the ones Outlook keeps for itself."""
    try:
        count = int(folder.number_of_sub_messages)
    except Exception:
        count = 0
    holds = folder_kind(_text(_properties(folder).get(_CONTAINER_CLASS)))
    yield _Folder(folder, names, count, holds)
    if depth >= _MAX_FOLDER_DEPTH:
        return
    try:
        subfolders = list(folder.sub_folders)
    except Exception:
        return
    for sub in subfolders:
        try:
            name = str(sub.name or "")
        except Exception:
            name = ""
        if name.casefold() in _OUTLOOK_OWN_FOLDERS:
            continue
        shown = names if name.casefold() in _STRUCTURE_FOLDERS or not name else (*names, name)
        yield from _folders(sub, shown, depth + 1)


def _plural(count: int, what: str) -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"


class _NamedTags:
    """A data file's named-property tags, read when first asked for (only a meeting
    request needs them among its mail)."""

    def __init__(self, data_file: Any) -> None:
        self.data_file = data_file
        self.read: dict[str, int] | None = None

    def get(self) -> dict[str, int]:
        if self.read is None:
            from amends.comms.outlook_calendar import named_tags

            self.read = named_tags(self.data_file)
        return self.read


def _meeting_invitation(
    message: Any, props: dict[int, Any], addresses: _Addresses, tags: _NamedTags
) -> tuple[bytes, str] | None:
    """A meeting request's or cancellation's invitation (and its iTIP method) as the
    text/calendar part Outlook sent it with, made from the item's own properties as for
    one saved as .msg (`_from_properties`); None for other mail, or when it cannot be."""
    klass = _text(props.get(_CLASS)).casefold()
    method = next((m for prefix, m in _INVITATIONS if klass.startswith(prefix)), "")
    if not method:
        return None
    try:
        item = _pst_item(message, props, addresses)
    except Exception:  # damaged properties: the email is kept without it, never lost
        return None
    text = _made_invitation(item, tags.get(), method)
    return None if text is None else (text, method)


def _folder_items(
    folder: _Folder, label: str, max_bytes: int, addresses: _Addresses, tags: _NamedTags
) -> Iterator[_Found]:
    where = f"{label}/{'/'.join(folder.names)}" if folder.names else label
    if not folder.count:
        return
    if folder.junk:
        yield _Found(where, junk=folder.count)
        return
    if folder.holds == _CALENDAR:
        return  # its meetings are read by `pst_calendars`
    if folder.holds:
        yield _Found(
            where,
            rejected=(
                f"{_plural(folder.count, folder.holds)} left out: Amends imports the mail and"
                " the calendars in an Outlook data file"
            ),
        )
        return

    def read(message: Any, props: dict[int, Any], kind: str) -> tuple[bytes | None, str]:
        addresses.learn(props)
        if kind:
            return None, f"not an email: an Outlook {kind}, left out"
        invite = _meeting_invitation(message, props, addresses, tags)
        return _rebuild(message, props, max_bytes, 0, addresses, invite)

    for item_label, data, why in _each_message(folder, where, read):
        yield _Found(item_label, data=data, rejected=why)


# MAPI property tags (without their type) that the rebuilt email uses.
_CLASS = 0x001A
_SUBJECT = 0x0037
_SUBMIT_TIME = 0x0039
_SENT_REPRESENTING_NAME = 0x0042
_SENT_REPRESENTING_EMAIL = 0x0065
_HEADERS = 0x007D
_SENDER_NAME = 0x0C1A
_SENDER_EMAIL = 0x0C1F
_DELIVERY_TIME = 0x0E06
_INTERNET_REFERENCES = 0x1039
_MESSAGE_ID = 0x1035
_IN_REPLY_TO = 0x1042
_INTERNET_CPID = 0x3FDE
_SENDER_SMTP = 0x5D01
_SENT_REPRESENTING_SMTP = 0x5D02
_RECEIVED_BY_EMAIL = 0x0076
_RECEIVED_REPRESENTING_EMAIL = 0x0078
_RECEIVED_BY_SMTP = 0x5D07
_RECEIVED_REPRESENTING_SMTP = 0x5D08
_CREATION_TIME = 0x3007
_CREATOR_EMAIL = 0x4023
_LAST_MODIFIER_EMAIL = 0x4025
_CREATOR_SMTP = 0x5D0A
_LAST_MODIFIER_SMTP = 0x5D0B
_CONTAINER_CLASS = 0x3613  # a folder's
_RECORD_KEY = 0x0FF9  # the message store's
# A recipient's
_DISPLAY_NAME = 0x3001
_EMAIL_ADDRESS = 0x3003
_RECIPIENT_TYPE = 0x0C15
_SMTP_ADDRESS = 0x39FE
# An attachment's
_ATTACH_FILENAME = 0x3704
_ATTACH_LONG_FILENAME = 0x3707
_ATTACH_METHOD = 0x3705
_ATTACH_MIME = 0x370E
_ATTACH_CONTENT_ID = 0x3712
_DISPLAY_NAME_ATTACH = 0x3001

_STRING_TYPES = (0x001E, 0x001F)


def _properties(item: Any, record_set: int = 0) -> dict[int, Any]:
    """The item's properties by tag: strings as str, times as datetime (UTC), other
    values as their bytes."""
    props: dict[int, Any] = {}
    try:
        entries = item.get_record_set(record_set).entries
    except Exception:
        return props
    for entry in entries:
        tag, value = _safe(lambda entry=entry: _entry(entry)) or (0, None)
        if value is not None:
            props[tag] = value
    return props


def _entry(entry: Any) -> tuple[int, Any]:
    tag, kind = int(entry.entry_type), int(entry.value_type)
    if kind in _STRING_TYPES:
        return tag, entry.data_as_string
    if kind == 0x0040:  # PT_SYSTIME
        return tag, entry.data_as_datetime
    return tag, entry.data


def _text(value: Any) -> str:
    if isinstance(value, str):  # lone surrogates (broken UTF-16) become "?"
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return ""


def _integer(value: Any) -> int | None:
    if isinstance(value, bytes) and 1 <= len(value) <= 8:
        return int.from_bytes(value, "little")
    return None


def _codec(props: dict[int, Any]) -> str:
    """The Python codec for the message's Windows code page (its HTML is stored in it)."""
    page = _integer(props.get(_INTERNET_CPID)) or 0
    name = {65001: "utf-8", 20127: "ascii", 28591: "latin-1", 50220: "iso2022_jp"}.get(page)
    if name is None and 28592 <= page <= 28605:
        name = f"iso8859_{page - 28590}"
    for candidate in (name, f"cp{page}" if page else None):
        if candidate:
            with contextlib.suppress(LookupError):
                return codecs.lookup(candidate).name
    return "cp1252"


def _decode(data: bytes | None, codec: str) -> str:
    if not data:
        return ""
    data = data.rstrip(b"\x00")
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _address(name: str, email: str) -> str:
    """A header's address, or the name alone when Outlook kept no Internet address (an
    Exchange one such as /O=ORG/OU=…/CN=…)."""
    name, email = name.strip(), email.strip()
    if not _plain_address(email):
        email = ""
    if not email:
        return name.replace("\r", " ").replace("\n", " ")
    return formataddr((name if name != email else "", email), charset="utf-8")


# (Exchange address, Internet address) property pairs a message may carry: who received
# it (its mailbox's owner), for whom, who sent it, for whom.
_ADDRESS_PAIRS = (
    (_RECEIVED_BY_EMAIL, _RECEIVED_BY_SMTP),
    (_RECEIVED_REPRESENTING_EMAIL, _RECEIVED_REPRESENTING_SMTP),
    (_SENDER_EMAIL, _SENDER_SMTP),
    (_SENT_REPRESENTING_EMAIL, _SENT_REPRESENTING_SMTP),
    (_CREATOR_EMAIL, _CREATOR_SMTP),
    (_LAST_MODIFIER_EMAIL, _LAST_MODIFIER_SMTP),
)
_LEARN_PER_FOLDER = 50
_LEARN_AT_MOST = 2000


class _Addresses:
    """The Internet addresses of Exchange ones (/O=ORG/OU=…/CN=…), as the data file's
    own messages pair them. Mail Outlook sent from an Exchange or Outlook.com mailbox
    often names its sender by the Exchange address alone; the mail that mailbox received
    names its owner by both (PR_RECEIVED_BY_EMAIL_ADDRESS, PR_RECEIVED_BY_SMTP_ADDRESS),
    so what the owner sent gets their address back."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def learn(self, props: dict[int, Any]) -> None:
        for exchange, internet in _ADDRESS_PAIRS:
            self.pair(_text(props.get(exchange)), _text(props.get(internet)))

    def pair(self, exchange: str, internet: str) -> None:
        exchange, internet = exchange.strip(), internet.strip()
        if exchange.startswith("/") and _plain_address(internet) and len(self.known) < 10_000:
            self.known.setdefault(exchange.casefold(), internet)

    def internet(self, *candidates: str) -> str:
        """The first of `candidates` that is an Internet address, or that an Exchange
        one stands for; "" when none is."""
        for candidate in candidates:
            candidate = candidate.strip()
            if _plain_address(candidate):
                return candidate
            found = self.known.get(candidate.casefold()) if candidate.startswith("/") else None
            if found:
                return found
        return ""

    def learn_from(self, folders: list[_Folder]) -> None:
        """Learn from the first messages of each mail folder (2,000 at most), before any
        is rebuilt."""
        budget = _LEARN_AT_MOST
        for folder in folders:
            if folder.holds or folder.junk or budget <= 0:
                continue
            first = min(folder.count, _LEARN_PER_FOLDER, budget)
            budget -= first
            for number in range(first):
                message = _safe(lambda number=number, f=folder: f.folder.get_sub_message(number))
                if message is not None:
                    self.learn(_properties(message))


def _plain_address(value: str) -> bool:
    return "@" in value and not any(c in value for c in " <>\r\n")


def _recipients(message: Any, addresses: _Addresses) -> dict[int, list[str]]:
    """Recipients by type (1 To, 2 Cc, 3 Bcc), as header addresses."""
    found: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for kind, name, email in _recipient_list(message, addresses):
        shown = _address(name, email)
        if shown and kind in found:
            found[kind].append(shown)
    return found


def _recipient_list(message: Any, addresses: _Addresses) -> list[tuple[int, str, str]]:
    """(type, name, Internet address or "") for each recipient (of a meeting: 1
    required, 2 optional, 3 a resource such as a room)."""
    try:
        table = message.recipients
        count = int(table.number_of_record_sets) if table is not None else 0
    except Exception:
        return []
    found = []
    for number in range(min(count, 5000)):
        props = _properties(table, number)
        kind = _integer(props.get(_RECIPIENT_TYPE)) or 1
        email = addresses.internet(
            _text(props.get(_SMTP_ADDRESS)), _text(props.get(_EMAIL_ADDRESS))
        )
        found.append((kind, _text(props.get(_DISPLAY_NAME)).strip(), email))
    return found


def _header_fields(headers: str) -> list[str]:
    """The transport headers' fields (each with its folded lines), but the ones about the
    body, which is rebuilt."""
    fields: list[str] = []
    for line in headers.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] += "\n" + line
        elif line.strip():
            fields.append(line)
    kept = []
    for field in fields:
        found = _HEADER_FIELD.match(field)
        if found and found.group(1).casefold() not in _BODY_HEADERS:
            kept.append(field)
    return kept


def _rebuild(
    message: Any,
    props: dict[int, Any],
    max_bytes: int,
    depth: int,
    addresses: _Addresses,
    invite: tuple[bytes, str] | None = None,
) -> tuple[bytes | None, str]:
    """A data file's message as an email's bytes, or (None, why not); a meeting
    request's `invite` (its invitation and iTIP method) last among its parts."""
    sizes = 0
    attachments = []
    try:
        count = int(message.number_of_attachments)
    except Exception:
        count = 0
    for number in range(min(count, 1000)):
        attachment = _safe(lambda number=number: message.get_attachment(number))
        size = _safe(lambda attachment=attachment: int(attachment.size or 0))
        if attachment is not None and size is not None:
            sizes += size
            attachments.append(attachment)
    if sizes > max_bytes:
        return None, f"larger than {max_bytes / 1024 / 1024:g} MB (its attachments)"
    codec = _codec(props)
    body = EmailMessage(policy=_BUILD)
    plain = _decode(_safe(lambda: message.plain_text_body), codec)
    html = _decode(_safe(lambda: message.html_body), codec)
    if not plain and not html:
        rtf = _safe(lambda: message.rtf_body)
        plain = _rtf_text(rtf) if rtf else ""
    if plain or not html:
        body.set_content(plain, charset="utf-8")
        if html:
            body.add_alternative(html, subtype="html", charset="utf-8")
    else:
        body.set_content(html, subtype="html", charset="utf-8")
    for attachment in attachments:
        _attach(body, attachment, max_bytes, depth, addresses)
    if invite is not None and not any(
        part.get_content_type() == "text/calendar" for part in body.walk()
    ):  # (one the sender attached, as Google does, is the invitation itself)
        _attach_invitation(body, *invite)
    seed = "\x00".join(
        [str(props.get(tag, "")) for tag in (_MESSAGE_ID, _SUBJECT, _SUBMIT_TIME, _CREATION_TIME)]
        + [plain, html, str(sizes)]
    )
    _stable_boundaries(body, seed.encode("utf-8", "replace"))
    headers = _header_fields(_text(_safe(lambda: message.transport_headers)))
    if not headers:
        headers = _made_headers(message, props, addresses)
    # The rebuilt body's own header fields (MIME-Version, Content-Type…) follow.
    data = "".join(f"{field}\n" for field in headers).encode("utf-8", "replace")
    data += body.as_bytes(policy=_BUILD)
    if len(data) > max_bytes:
        return None, f"larger than {max_bytes / 1024 / 1024:g} MB"
    return data, ""


def _safe(read: Any) -> Any:
    try:
        return read()
    except Exception:
        return None


def _made_headers(message: Any, props: dict[int, Any], addresses: _Addresses) -> list[str]:
    """Headers from the message's properties, for one Outlook kept none of (what it
    sent, drafts)."""
    headers = []
    sender = _address(*_sender(props, addresses))
    if sender:
        headers.append(_field("From", sender))
    recipients = _recipients(message, addresses)
    for kind, name in ((1, "To"), (2, "Cc"), (3, "Bcc")):
        if recipients[kind]:
            headers.append(_field(name, ", ".join(recipients[kind])))
    when = props.get(_SUBMIT_TIME) or props.get(_DELIVERY_TIME)
    if isinstance(when, datetime):
        headers.append(f"Date: {format_datetime(when.replace(tzinfo=UTC))}")
    subject = _safe(lambda: message.subject)
    if isinstance(subject, str) and subject:
        headers.append(_field("Subject", subject))
    for tag, name in (
        (_MESSAGE_ID, "Message-ID"),
        (_IN_REPLY_TO, "In-Reply-To"),
        (_INTERNET_REFERENCES, "References"),
    ):
        value = _text(props.get(tag)).strip()
        if value:
            headers.append(_field(name, value))
    return headers


def _sender(props: dict[int, Any], addresses: _Addresses) -> tuple[str, str]:
    """(name, Internet address or "") of who sent the message (for whom). Outlook.com
    and Exchange name a mailbox with no display name by its address: when nothing else
    gives one, that name is the address."""
    name = _text(props.get(_SENT_REPRESENTING_NAME)) or _text(props.get(_SENDER_NAME))
    return (
        name,
        addresses.internet(
            *(_text(props.get(tag)) for tag in (_SENT_REPRESENTING_SMTP, _SENDER_SMTP)),
            *(_text(props.get(tag)) for tag in (_SENT_REPRESENTING_EMAIL, _SENDER_EMAIL)),
            name,
        ),
    )


def _field(name: str, value: str) -> str:
    """One header field, folded and encoded as the standard library does."""
    value = value.replace("\r", " ").replace("\n", " ")
    holder = EmailMessage(policy=_BUILD)
    try:
        holder[name] = value
        return holder.as_string().rstrip("\n")
    except Exception:  # a value the header's parser refuses: kept as text
        return f"{name}: {Header(value, 'utf-8').encode()}"


def _rtf_text(rtf: bytes) -> str:
    """The HTML or text an RTF body carries (Outlook wraps HTML in RTF), or "" ."""
    try:
        from RTFDE.deencapsulate import DeEncapsulator

        found = DeEncapsulator(rtf)
        found.deencapsulate()
        if found.content_type == "html":
            from amends.comms.importing import text_from_html

            content = found.html
            return text_from_html(content if isinstance(content, str) else content.decode())
        text = found.text
        return text if isinstance(text, str) else text.decode("utf-8", "replace")
    except Exception:
        return ""


def _attach(
    body: EmailMessage, attachment: Any, max_bytes: int, depth: int, addresses: _Addresses
) -> None:
    props = _properties(attachment)
    name = (
        _text(props.get(_ATTACH_LONG_FILENAME))
        or _text(props.get(_ATTACH_FILENAME))
        or _text(props.get(_DISPLAY_NAME_ATTACH))
        or "attachment"
    )
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", name)[:200]
    if _integer(props.get(_ATTACH_METHOD)) == _EMBEDDED:
        inner = _embedded(attachment, max_bytes, depth, addresses)
        if inner is not None:
            attached = message_from_bytes(inner, policy=_BUILD)
            body.add_attachment(attached, filename=f"{name}.eml")
        return
    try:
        size = int(attachment.size or 0)
        data = attachment.read_buffer(size) if size else b""
    except Exception:
        return
    mime = _text(props.get(_ATTACH_MIME)).strip().lower()
    if not re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", mime) or mime.startswith(
        ("multipart/", "message/")
    ):
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    maintype, subtype = mime.split("/", 1)
    cid = _text(props.get(_ATTACH_CONTENT_ID)).strip().strip("<>")
    extra: dict[str, Any] = {"cid": f"<{cid}>"} if re.fullmatch(r"[!-;=?-~]{1,200}", cid) else {}
    body.add_attachment(data, maintype=maintype, subtype=subtype, filename=name, **extra)


def _embedded(attachment: Any, max_bytes: int, depth: int, addresses: _Addresses) -> bytes | None:
    """An attached Outlook message, rebuilt as an email too (to a few levels)."""
    if depth + 1 >= _MAX_DEPTH:
        return None
    try:
        inner = attachment.get_sub_item(0) if attachment.number_of_sub_items else None
    except Exception:
        return None
    if inner is None:
        return None
    data, _ = _rebuild(inner, _properties(inner), max_bytes, depth + 1, addresses)
    return data
