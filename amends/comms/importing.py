"""Reading email from files: parse bytes into a `ParsedMessage`, and walk the sources
(.eml, mbox, Maildir, and folders of any of them as exports leave them).
fast_mail_parser reads well-formed messages; the standard library's `email` reads the
rest (see `parse_message`), and `mailbox` the mbox files; no database here (the writes
are in `comms.actions`).

Nothing in this module raises on hostile bytes: `parse_message` returns either a
best-effort `ParsedMessage` (with `problems` noted) or a `Rejected` with a reason.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import csv
import email.policy
import email.utils
import hashlib
import mailbox
import os
import quopri
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import errors
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from functools import cached_property
from html.parser import HTMLParser
from itertools import chain
from pathlib import Path
from typing import Any

from amends.comms import automatic
from amends.comms.outlook import MSG_MAGIC, PST_MAGIC, PST_SUFFIXES

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_TEXT_CHARS = 1_000_000
MAX_PARTS = 1000
MAX_ID_CHARS = 500
_CORE_HEADERS = ("from", "to", "cc", "date", "subject", "message-id", "received", "sender")
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|wg|vs|antw|ref|tr|rv)(?:\s*\[\d+\]|\s*\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_MBOXRD_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
# The compat32 policy: headers stay the strings written (decoded here only for the few
# we use), which parses several times faster than the default policy's header objects.
_POLICY = email.policy.compat32
# A plain charset parameter (the standard library reads any other).
_CHARSET_PARAM = re.compile(r';\s*charset\s*=\s*"?([^";\s]+)"?', re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_C1 = re.compile("[\x80-\x9f]")
_C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", "ignore") or chr(code) for code in range(0x80, 0xA0)
}


@dataclass(frozen=True)
class Rejected:
    """A file or mbox entry that is not a message we can keep, and why."""

    reason: str


class Elsewhere(Rejected):
    """A file the mail import leaves to another: an Outlook calendar item saved as a
    .msg file, which the calendar import reads (`outlook.msg_calendar`)."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass
class ParsedMessage:
    """What Amends understands of one email; `raw` is the exact original bytes."""

    raw: bytes
    sha256: str
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_address: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)  # in our own sent copies
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The first meeting invitation in the message (a text/calendar part), as text; it is
    # still listed with the attachments (see `meeting_actions.meetings_from_invitations`).
    invitation: str = ""
    # Filled by a parsing worker (see `parse_in_worker`) for a message not from us.
    tone: float | None = None
    tone_scored: bool = False
    # Gmail's Spam label, as Google Takeout writes it (`X-Gmail-Labels`): an import
    # leaves the message out and counts it.
    spam: bool = False
    # Mail no person wrote (`automatic.classify`): "bounce" (a delivery failure, with
    # the addresses that failed) or "auto-reply"; "" for a person's mail.
    automatic: str = ""
    undelivered: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.raw)

    # Cached (a parsing worker computes them, and they travel with the message): read
    # only once the subject is final.
    @cached_property
    def normalised_subject(self) -> str:
        return normalise_subject(self.subject)

    @cached_property
    def is_reply_by_subject(self) -> bool:
        return is_reply_subject(self.subject)

    @cached_property
    def quote_span(self) -> tuple[int, int] | None:
        """Where the quoted history in `text` is (None: none), as the message page folds
        it: see `rendering.quote_span`."""
        from amends.comms.rendering import quote_span

        return quote_span(self.text)


def is_reply_subject(subject: str) -> bool:
    """The subject says reply or forward ("Re:", "AW:", "Fwd:"…)."""
    return bool(_REPLY_PREFIX.match(subject or ""))


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, spacing collapsed, case-folded."""
    stripped = _REPLY_PREFIX.sub("", subject or "")
    return " ".join(stripped.split()).casefold()[:300]


def clean_text(value: str) -> str:
    """Text safe for any database: no NULs, no lone surrogates (raw 8-bit header bytes
    arrive surrogate-escaped; they are decoded as UTF-8, else Windows-1252)."""
    if _SURROGATE.search(value):
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "replace")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("cp1252", "replace")
    if _C1.search(value):
        # C1 controls are never meant: they are Windows-1252 text labelled ISO-8859-1,
        # as Outlook writes it ("didn’t", "–").
        value = value.translate(_C1_AS_CP1252)
    return value.replace("\x00", "")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t]+(=\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, text = match.group(1), match.group(2).lower(), match.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        if encoding == "b":
            data = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            data = quopri.decodestring(text.replace("_", " ").encode("ascii"), header=True)
    except Exception:
        return match.group(0)
    try:
        return data.decode(_codec(charset), "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def decode_header_value(value: str) -> str:
    """A raw header value unfolded and with its RFC 2047 encoded words decoded (the
    whitespace between two adjacent encoded words dropped, as the RFC says)."""
    value = _FOLD.sub("", value)
    if "=?" not in value:
        return value
    value = _BETWEEN_WORDS.sub(r"\1\2", value)
    try:
        return _ENCODED_WORD.sub(_decode_word, value)
    except Exception:
        return value


def _raw_header(msg: Message, name: str) -> str:
    """A header's value as written (unfolded, no RFC 2047 decoding), or ''."""
    lname = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lname:
            return _FOLD.sub("", str(value)).strip()
    return ""


def _header(msg: Message, name: str, problems: list[str]) -> str:
    """A header's decoded value (RFC 2047 words decoded, unfolded), or ''."""
    try:
        return clean_text(decode_header_value(_raw_header(msg, name)))
    except Exception:  # hostile input: keep the raw value and note it
        problems.append(f"The {name} header is malformed; kept as written.")
        return clean_text(_raw_header(msg, name))


def _ids(value: str) -> list[str]:
    found = _ANGLE_ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]
    return [_bounded_id(i) for i in found]


def _bounded_id(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_ID_CHARS or not value.isascii():
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return value


_ADDRESS_AS_NAME = re.compile(r'(^|,)\s*([^",<>()]*@[^",<>()]*?)\s*<([^<>\s]+@[^<>\s]+)>')


def _addresses(value: str, problems: list[str], name: str) -> list[tuple[str, str]]:
    """(name, address) pairs of a raw address header (names RFC 2047-decoded)."""
    if not value:
        return []
    # "dana@acme.example <dana.c@acme.example>": a name that is an address, unquoted (not
    # allowed, but common): quoted, so the address is the one in angle brackets.
    value = _ADDRESS_AS_NAME.sub(r'\1"\2" <\3>', value)
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:
        pairs = []
    good = [
        (clean_text(decode_header_value(n))[:300], clean_text(a).strip().lower()[:320])
        for n, a in pairs
        if "@" in a and " " not in a.strip()
    ]
    if not good and (spelled := _SPELLED_OUT.match(value)):
        # Mailman's archives (pipermail) write "alice at example.com (Alice)" so that
        # harvesters miss it; read it back, and say so.
        local, domain, who = spelled.group(1), spelled.group(2), spelled.group(3) or ""
        good = [(clean_text(decode_header_value(who))[:300], f"{local}@{domain}".lower()[:320])]
        problems.append(
            f"The {name} address is spelled out as in a mailing list's archive "
            f"({local[:60]} at {domain[:60]}): read as {good[0][1]}."
        )
    if not good:
        problems.append(f"The {name} header has no valid address: {value[:120]!r}.")
    return good


# "alice at example.com (Alice Example)", as Mailman's pipermail archives write a sender.
_SPELLED_OUT = re.compile(
    r"^\s*([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}) at ((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63})"
    r"\s*(?:\(([^()]{0,200})\))?\s*$"
)


def _address_header(msg: Message, name: str) -> str:
    """Every `name` header's raw value, comma-joined (addresses are parsed raw: decoding
    RFC 2047 first could turn a name's comma into a separator)."""
    lname = name.lower()
    values = [_FOLD.sub("", str(v)) for k, v in msg.raw_items() if k.lower() == lname]
    return clean_text(", ".join(v.strip() for v in values if v.strip()))


def _date(value: str, problems: list[str]) -> datetime | None:
    if not value:
        problems.append("No Date header; the import time is used.")
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except Exception:
        parsed = None
    if parsed is None:
        problems.append(f"The Date header is not a date ({value[:60]!r}); the import time is used.")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not (datetime(1971, 1, 1, tzinfo=UTC) <= parsed <= datetime.now(UTC) + timedelta(days=1)):
        problems.append(f"The Date header is implausible ({value[:60]!r}); import time used.")
        return None
    return parsed


# Charset labels mail programs write for a smaller charset than the one they actually
# use, read as the larger one, as browsers do (the WHATWG Encoding Standard's labels)
# and mail programs too: "gb2312" mail holds GBK characters, "ks_c_5601-1987" is
# Windows' Korean code page, "shift_jis" mail holds Windows' extra characters. (Text
# labelled ISO-8859-1 holding Windows-1252's quotes and dashes is read by `clean_text`.)
_SUPERSETS = {
    **dict.fromkeys(
        ("gb2312", "gb_2312", "gb_2312-80", "csgb2312", "euc-cn", "x-gbk", "gbk", "chinese"),
        "gb18030",
    ),
    **dict.fromkeys(("ks_c_5601-1987", "ks_c_5601", "euc-kr", "korean", "csksc56011987"), "cp949"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
    **dict.fromkeys(("big5", "big-5", "cn-big5", "x-x-big5"), "big5hkscs"),
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
}


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the bytes that are not UTF-8 read as Windows-1252 (its five
    unassigned bytes as Latin-1)."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in bad), error.end


codecs.register_error("amends-cp1252", _cp1252_bytes)


def _codec(declared: str) -> str:
    label = declared.strip().strip("\"'").lower()
    return _SUPERSETS.get(label, label)


def _date_otherwise(msg: Message, problems: list[str]) -> datetime | None:
    """For a message with no readable Date: when it was resent (Resent-Date), else when
    the first server received it (the date of its earliest Received header) — a message
    from 1999 is not shown as arriving today. The note `_date` made says which."""
    found = _date(_header(msg, "Resent-Date", []), [])
    used = "the date it was resent (Resent-Date) is used"
    if found is None:
        found, used = _received_date(msg), "the time it was first received is used"
    if found is not None and problems:
        problems[-1] = re.sub(r"(the )?import time (is )?used", used, problems[-1])
    return found


def date_from_envelope(parsed: ParsedMessage, envelope: str) -> None:
    """For an mbox message with no date of its own (no readable Date, Resent-Date or
    Received): when it was delivered, as its "From " line says ("From dana@acme.example
    Mon Nov  9 21:54:11 1999"; Gmail's "… Thu Jun 01 12:00:00 +0000 2023")."""
    if parsed.date is not None or not envelope.startswith("From "):
        return
    words = envelope.split()
    found = _date(" ".join(words[2:]), []) if len(words) > 3 else None
    if found is None:
        return
    parsed.date = found
    used = 'the time its mbox gives it (its "From " line) is used'
    parsed.problems = [re.sub(r"(the )?import time (is )?used", used, p) for p in parsed.problems]


def _received_date(msg: Message) -> datetime | None:
    """The time after the last ";" of the earliest (last written) Received header that
    has a plausible one."""
    try:
        values = [str(v) for k, v in msg.raw_items() if k.lower() == "received"][-50:]
    except Exception:
        return None
    for value in reversed(values):
        stamp = _FOLD.sub("", value).rpartition(";")[2].strip()
        found = _date(stamp, []) if stamp else None
        if found is not None:
            return found
    return None


def decode_bytes(payload: bytes, declared: str | None, problems: list[str], where: str) -> str:
    """Decode with the declared charset (or the larger one mail written as it holds:
    `_SUPERSETS`). If it is unknown or wrong, as UTF-8, its invalid bytes read as
    Windows-1252: right for a text in either (a superset of Latin-1 for text), and for
    UTF-8 text with a few stray bytes, where decoding it all as Windows-1252 would garble
    every accented letter. Each fallback is noted."""
    if declared:
        codec = _codec(declared)
        try:
            return payload.decode(codec)
        except LookupError:
            problems.append(f"{where}: unknown charset {declared[:40]!r}.")
        except Exception:
            problems.append(f"{where}: not valid {declared[:40]}.")
    try:
        text = payload.decode("utf-8")
        if declared:
            problems[-1] += " Decoded as UTF-8."
        return text
    except UnicodeDecodeError:
        pass
    if not declared:
        problems.append(f"{where}: no charset declared and not UTF-8.")
    text = payload.decode("utf-8", "amends-cp1252")
    problems[-1] += (
        " Decoded as Windows-1252."
        if not _has_utf8_sequence(payload)
        else " Decoded as UTF-8; the bytes that are not UTF-8 as Windows-1252."
    )
    return text


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _has_utf8_sequence(payload: bytes) -> bool:
    """Whether any multi-byte UTF-8 character starts here (a quick look, for the note)."""
    return _UTF8_SEQUENCE.search(payload) is not None


# <meta charset="…"> or <meta http-equiv="Content-Type" content="text/html; charset=…">
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,400}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.+-]{1,40})", re.I
)


def html_charset(payload: bytes) -> str | None:
    """The charset an HTML document declares in its first 2 kB (what a browser reads
    when the MIME header declares none), or None."""
    found = _META_CHARSET.search(payload[:2048])
    return found.group(1).decode("ascii").lower() if found else None


class _TextFromHtml(HTMLParser):
    """Plain text from an HTML body: tags dropped, scripts and styles ignored. A quoted
    message — a `<blockquote type="cite">` (Thunderbird, Apple Mail) or Gmail's
    `<blockquote class="gmail_quote">`, the blocks the message page folds as quoted —
    has its lines marked "> " (one mark for each level), as a mail program writes its plain
    text: so what the text's readers find (the quote folded away, tone read from the
    answer, search leaving the quote out) is the same for a message sent as HTML only."""

    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"br", "p", "div", "li", "tr", "blockquote", "pre", "hr", "table", "ul", "ol"} | {
        f"h{n}" for n in range(1, 7)
    }
    _CITE_CLASSES = {"gmail_quote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text) of finished lines
        self.line: list[str] = []
        self.depth: int | None = None  # the current line's, from its first words
        self.skipping = 0
        self.blockquotes: list[bool] = []  # open blockquotes: cited or not
        self.cited = 0
        self.pre = 0  # <pre> elements open: their line breaks are kept
        # The last top-level blockquote that is not marked as a quote (mail.ru's and
        # Yandex's are plain): (first line, line after it). Marked as quoted when an
        # attribution is just above it and nothing follows it, as the page folds it.
        self.plain_quote: tuple[int, int] | None = None

    def _end_line(self) -> None:
        text = "".join(self.line)
        if text.strip():
            self.lines.append((self.depth or 0, text))
        self.line, self.depth = [], None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self.skipping += 1
            return
        if tag in self._BREAK:
            self._end_line()
        if tag in ("pre", "textarea"):
            self.pre += 1
        if tag == "blockquote":
            values = {name: (value or "") for name, value in attrs}
            cite = values.get("type", "").casefold() == "cite" or not self._CITE_CLASSES.isdisjoint(
                values.get("class", "").split()
            )
            if not self.blockquotes and not cite:
                self.plain_quote = (len(self.lines), len(self.lines))
            self.blockquotes.append(cite)
            self.cited += cite

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAK and not self.skipping:
            self._end_line()  # a block ends its line, as it starts one
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in ("pre", "textarea") and self.pre:
            self.pre -= 1
            self._end_line()
        elif tag == "blockquote" and self.blockquotes:
            self._end_line()
            self.cited -= self.blockquotes.pop()
            if not self.blockquotes and self.plain_quote is not None:
                self.plain_quote = (self.plain_quote[0], len(self.lines))

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:  # line breaks in the source are spaces, as a browser shows them
            data = data.replace("\r", " ").replace("\n", " ")
        for i, piece in enumerate(data.split("\n")):
            if i:
                self._end_line()
            if piece.strip() and self.depth is None:
                self.depth = self.cited
            self.line.append(piece)

    def text(self) -> str:
        self._end_line()
        if self.plain_quote is not None:
            from amends.comms.rendering import is_attribution

            start, end = self.plain_quote
            after = any(line.strip() for _, line in self.lines[end:])
            above = self.lines[start - 1][1] if start > 0 else ""
            if start < end and not after and is_attribution(" ".join(above.split())):
                self.lines[start:end] = [(d + 1, line) for d, line in self.lines[start:end]]
        out = []
        for depth, line in self.lines:
            for part in line.splitlines():  # \r, and the other breaks splitlines knows
                words = " ".join(part.split())
                if words:
                    out.append("> " * depth + words)
        return "\n".join(out)


def text_from_html(html: str) -> str:
    """Readable plain text of an HTML document (never rendered, never trusted)."""
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return ""
    return parser.text().strip()


def _body_bytes(part: Message) -> bytes:
    """A part's body, serialised again, without its own header fields."""
    try:
        written = part.as_bytes(policy=_POLICY)
    except Exception:
        return b""
    split = re.search(rb"\r?\n\r?\n", written)
    return written[split.end() :] if split else b""


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
        name = decode_header_value(name) if isinstance(name, str) else ""
    except Exception:
        name = None
    return clean_text(name or "")[:255]


class _Part:
    """One MIME part as the body walk sees it. Two kinds: a standard-library `Message`
    (`_StdPart`) and a fast_mail_parser tree node (`_FastPart`), so both parsers are read
    by the same rules (`_walk_body`)."""

    def content_type(self) -> str:
        raise NotImplementedError

    def disposition(self) -> str:
        raise NotImplementedError

    def filename(self) -> str:
        raise NotImplementedError

    def children(self) -> list[_Part] | None:
        """The sub-parts of a multipart container (None for a leaf)."""
        raise NotImplementedError

    def payload(self) -> bytes:
        """The transfer-decoded bytes of a leaf."""
        raise NotImplementedError

    def charset(self) -> str | None:
        raise NotImplementedError

    def message_size(self) -> int:
        """The size of an attached message/rfc822."""
        raise NotImplementedError


class _StdPart(_Part):
    def __init__(self, part: Message) -> None:
        self.part = part

    def content_type(self) -> str:
        try:
            return self.part.get_content_type()
        except Exception:
            return "application/octet-stream"

    def disposition(self) -> str:
        try:
            return (self.part.get_content_disposition() or "").lower()
        except Exception:
            return ""

    def filename(self) -> str:
        return _filename(self.part)

    def children(self) -> list[_Part] | None:
        if not self.part.is_multipart() or self.part.get_content_maintype() == "message":
            # The standard library splits a delivery report (message/delivery-status,
            # message/rfc822-headers) into header blocks: it is one attached part, as
            # the fast parser reads it.
            return None
        payload = self.part.get_payload()
        if not isinstance(payload, list):
            return []
        return [_StdPart(c) for c in payload if isinstance(c, Message)]

    def payload(self) -> bytes:
        if self.part.is_multipart():  # a message/* part: its body as it was written
            return _body_bytes(self.part)
        return _payload(self.part)

    def charset(self) -> str | None:
        try:
            return self.part.get_content_charset()
        except Exception:
            return None

    def message_size(self) -> int:
        return len(self.part.as_bytes())


class _NeedsCareful(Exception):
    """The fast parser cannot read this message as the careful one would."""


class _FastPart(_Part):
    """A node of `fast_mail_parser.parse_email_tree`: headers already unfolded and
    decoded, leaves already transfer-decoded (bytes)."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self._params: Message | None = None

    def _values(self, name: str) -> list[str]:
        """A header's values, whatever the case its name is written in."""
        headers = self.node.headers
        found = headers.get(name)
        if found is None:
            lower = name.lower()
            found = next((v for k, v in headers.items() if k.lower() == lower), None)
        return list(found or [])

    def _content_type_header(self) -> Message:
        # The standard library reads the parameters (charset, RFC 2231 and all) of the
        # one header that needs them.
        if self._params is None:
            self._params = Message()
            values = self._values("Content-Type")
            if values:
                self._params["Content-Type"] = values[0]
        return self._params

    def content_type(self) -> str:
        return str(self.node.content_type or "").lower() or "text/plain"

    def disposition(self) -> str:
        return str(self.node.disposition or "").lower()

    def filename(self) -> str:
        return clean_text(self.node.filename or "")[:255]

    def children(self) -> list[_Part] | None:
        if self.node.content is not None or self.node.is_message:
            return None
        return [_FastPart(c) for c in self.node.children]

    def payload(self) -> bytes:
        content = bytes(self.node.content or b"")
        encoding = self._values("Content-Transfer-Encoding") or [""]
        name = str(encoding[0]).strip().lower()
        if name.startswith(("x-uu", "uu")):
            raise _NeedsCareful  # uuencoded: only the standard library decodes it
        if name == "quoted-printable":
            # Its line breaks as the standard library decodes them ("\n"), so both
            # readings give an attachment the same bytes and size.
            content = content.replace(b"\r\n", b"\n")
        return content

    def charset(self) -> str | None:
        values = self._values("Content-Type")
        value = values[0] if values else ""
        if not any(c in value for c in "*\\('"):  # no RFC 2231 value, escape or comment
            found = _CHARSET_PARAM.search(value)
            return found.group(1).lower() if found else None
        try:
            return self._content_type_header().get_content_charset()
        except Exception:
            return None

    def message_size(self) -> int:
        return len(self.node.content or b"")


_NO_PARTS = (
    "The boundary between this message's parts never occurs, so its parts (text,"
    " attachments) could not be found. The raw message is kept."
)
_REPAIRED = (
    "The boundary between this message's parts is not the one its header declares;"
    " its parts were read with the one the body uses."
)
_DECLARED_BOUNDARY = re.compile(rb'boundary[ \t]*=[ \t]*("[^"\r\n]*"|[^;\s]+)', re.IGNORECASE)
# A delimiter line ("--" and a boundary) with a part's first header field just below it.
_DELIMITER = re.compile(rb"^--([^\r\n\"]{1,70}?)[ \t]*\r?\n[\x21-\x39\x3b-\x7e]+[ \t]*:", re.M)


def _repaired_boundary(data: bytes) -> bytes | None:
    """The message with its top-level boundary parameter replaced by the boundary its
    body actually uses (a broken mass mailer writes one in the header and another
    between the parts), or None when there is no other to find."""
    split = re.search(rb"\r?\n\r?\n", data)
    if split is None:
        return None
    head, body = data[: split.start()], data[split.start() :]
    declared = _DECLARED_BOUNDARY.search(head)
    used = _DELIMITER.search(body, 0, 1024 * 1024)
    if declared is None or used is None or used.group(1) == declared.group(1).strip(b'"'):
        return None
    fixed = b'boundary="' + used.group(1) + b'"'
    return head[: declared.start()] + fixed + head[declared.end() :] + body


def parse_repairing(data: bytes) -> tuple[Message, bool]:
    """The standard library's reading of a message (compat32: headers stay strings).
    When its top-level boundary never occurs and the body uses another, it is read with
    that one (then True): the importer and the message page see the same parts."""
    msg = BytesParser(policy=_POLICY).parsebytes(data)
    if any(isinstance(d, errors.StartBoundaryNotFoundDefect) for d in msg.defects):
        repaired = _repaired_boundary(data)
        try:
            again = BytesParser(policy=_POLICY).parsebytes(repaired) if repaired else None
        except Exception:
            again = None
        if again is not None and again.is_multipart():
            return again, True
    return msg, False


def _walk_body(root: _Part, parsed: ParsedMessage) -> None:
    """Find the text body and list attachments, without descending into attached emails."""
    plain: list[str] = []
    html: list[str] = []
    stack: list[_Part] = [root]
    seen = 0
    while stack:
        part = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            parsed.problems.append(f"More than {MAX_PARTS} MIME parts; the rest were not read.")
            break
        ctype = part.content_type()
        disposition = part.disposition()
        filename = part.filename()
        children = part.children() if ctype != "message/rfc822" else None
        if children:
            stack.extend(reversed(children))
            continue
        if children is not None or ctype.startswith("multipart/"):
            # A multipart without parts: an empty one says nothing, but one with words
            # and no part is one whose boundary never occurs. (The fast parser gives
            # no words: the careful path decides.)
            if children is not None or part.payload().strip():
                parsed.problems.append(_NO_PARTS)
            continue
        if ctype == "message/rfc822" or disposition == "attachment" or filename:
            size = len(part.payload()) if ctype != "message/rfc822" else part.message_size()
            parsed.attachments.append(
                Attachment(filename or "attached-message.eml", ctype[:100], size)
            )
            if ctype in INVITATION_TYPES and not parsed.invitation:  # Apple's invite.ics
                parsed.invitation = _invitation(part.payload(), part.charset())
            continue
        if ctype not in ("text/plain", "text/html"):
            payload = part.payload()
            parsed.attachments.append(Attachment(filename, ctype[:100], len(payload)))
            if ctype in INVITATION_TYPES and not parsed.invitation:
                parsed.invitation = _invitation(payload, part.charset())
            continue
        payload, charset = part.payload(), part.charset()
        if charset is None and ctype == "text/html":
            charset = html_charset(payload)
        text = decode_bytes(payload, charset, parsed.problems, ctype)
        (plain if ctype == "text/plain" else html).append(text)
    # A blank text part beside the HTML one (some programs send an empty one) says
    # nothing: the words are the HTML's.
    if any(text.strip() for text in plain):
        body = "\n\n".join(plain)
    elif html:
        body = text_from_html("\n".join(html))
    else:
        body = ""
    body = clean_text(body).replace("\r\n", "\n").replace("\r", "\n")
    if len(body) > MAX_TEXT_CHARS:
        parsed.problems.append("The text is very long; only the start is shown (raw kept).")
        body = body[:MAX_TEXT_CHARS]
    parsed.text = body


INVITATION_TYPES = ("text/calendar", "application/ics")
MAX_INVITATION_BYTES = 1024 * 1024


def _invitation(payload: bytes, charset: str | None) -> str:
    """A text/calendar part's text, if it is an iCalendar object of a reasonable size."""
    if len(payload) > MAX_INVITATION_BYTES or b"BEGIN:VCALENDAR" not in payload[:4096].upper():
        return ""
    return decode_bytes(payload, charset or "utf-8", [], "text/calendar")


def _looks_like_headers(data: bytes) -> bool:
    first = data.lstrip(b"\r\n")[:1000].split(b"\n", 1)[0]
    return bool(_HEADER_LINE.match(first))


# Files that hold mail in a form Amends does not read, known by their first bytes, with
# what to do instead: people export mail in them, so "no headers" would not help.
NOT_MAIL_FORMATS: tuple[tuple[bytes, str, str], ...] = (
    (
        b"PK\x03\x04",
        "a zip archive",
        "import the .zip itself (amends import FILE.zip, or upload it on the Import page)",
    ),
    (
        b"\x1f\x8b",
        "a gzip file (.gz, .tgz)",
        "import it itself (amends import FILE.gz, or upload it on the Import page)",
    ),
    (
        b"\xfd7zXZ\x00",
        "an xz file (.xz, .txz)",
        "import it itself (amends import FILE.xz, or upload it on the Import page)",
    ),
    (
        b"BZh",
        "a bzip2 file (.bz2)",
        "import it itself (amends import FILE.bz2, or upload it on the Import page)",
    ),
)
# Archives and compressed files by their names: in a folder, listed as not read (an
# upload's are unpacked first: `uploads.unpack_inner`) rather than left out unseen.
_ARCHIVE_NAMES = (".zip", ".tar", ".tgz", ".tbz2", ".txz", ".gz", ".gzip", ".bz2", ".xz")
_OLM = (
    "not an email: an Outlook for Mac archive (.olm), which Amends does not read: drag the"
    " mail folder from Outlook to the desktop to save it as an .mbox, or connect the"
    " mailbox over IMAP"
)
# Outlook's own files: messages (.msg) and data files (.pst, .ost) are read by
# `comms.outlook`; an .olm is listed as not read rather than left out.
OUTLOOK_SUFFIXES = (".pst", ".ost", ".msg", ".olm")
_OUTLOOK_MAIL = (".pst", ".ost", ".msg")


def not_mail_reason(head: bytes, name: str = "") -> str:
    """Why a file named `name` starting with `head` is not mail Amends reads, and what to
    do instead; "" when it is none of the known formats."""
    if name.lower().endswith(".olm"):
        return _OLM
    for magic, what, instead in NOT_MAIL_FORMATS:
        if head.startswith(magic):
            return f"not an email: {what}; {instead}"
    if head.startswith(PST_MAGIC):
        return "not an email: an Outlook data file (.pst, .ost); import the file itself"
    if head.startswith(MSG_MAGIC):
        return "not an email: an Outlook message (.msg) or another Office file"
    return ""


def _unreadable_format(head: bytes, name: str) -> str:
    """`not_mail_reason` for a file whose first kilobyte is `head`, unless it is a
    message or an mbox after all (whatever its name)."""
    if head.startswith(b"From ") or _looks_like_headers(head):
        return ""
    return not_mail_reason(head, name)


def parse_message(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage | Rejected:
    """Parse one email's bytes. Never raises: best effort, or a `Rejected` with a reason.

    A well-formed message is read by fast_mail_parser (Rust; ~20× the standard library);
    anything it had to repair, or that needs a problem noted (no Date, no valid From, an
    attached message…), is read again, carefully, by the standard library's parser."""
    if len(data) > max_bytes:
        return Rejected(f"larger than {max_bytes / 1024 / 1024:g} MB ({len(data):,} bytes)")
    if not data.strip():
        return Rejected("empty")
    if not _looks_like_headers(data):
        return Rejected(not_mail_reason(data[:8]) or "not an email: no headers")
    spam = marked_spam(data)
    parsed = ParsedMessage(raw=data, sha256=hashlib.sha256(data).hexdigest(), spam=spam)
    try:
        fast = _parse_fast(data, parsed)
    except Exception:  # anything unexpected: the careful path decides
        fast = False
    if not fast:
        parsed = ParsedMessage(raw=data, sha256=parsed.sha256, spam=spam)
        careful = _parse_careful(data, parsed)
        if isinstance(careful, Rejected):
            return careful
        parsed = careful
    return _told_apart(parsed)


def _told_apart(parsed: ParsedMessage) -> ParsedMessage:
    """Whether a person wrote the message, or a mail server (a bounce) or a robot (an
    automatic reply) did (`comms.automatic`), read alike whichever parser read it. A
    bounce that includes the headers of the email it returns joins that email's thread."""
    found = automatic.classify(parsed.raw, parsed.from_address, parsed.subject)
    parsed.automatic, parsed.undelivered = found.kind, found.undelivered
    if found.returned and not parsed.in_reply_to and not parsed.references:
        parsed.in_reply_to = found.returned
    return parsed


# Google Takeout's "All mail Including Spam and Trash.mbox" names each message's labels
# in this header (folded lines allowed); "Spam" is Gmail's own label for junk.
_GMAIL_LABELS = re.compile(rb"(?im)^x-gmail-labels:[ \t]*(.*(?:\r?\n[ \t].*)*)")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
MAX_LABEL_HEADER_SCAN = 64 * 1024


def marked_spam(data: bytes) -> bool:
    """Whether the message's own headers carry Gmail's Spam label (`X-Gmail-Labels:
    Spam,Opened`, as a Google Takeout mbox writes them). A label that only contains the
    word ("Spam filters") does not count, nor does a header quoted in the body."""
    head = data[:MAX_LABEL_HEADER_SCAN]
    end = _HEADER_END.search(head)
    if end is not None:
        head = head[: end.start()]
    found = _GMAIL_LABELS.search(head)
    if found is None:
        return False
    value = re.sub(r"\r?\n[ \t]", " ", found.group(1).decode("utf-8", "replace"))
    try:
        labels = next(csv.reader([value.replace("\r", "")], skipinitialspace=True), [])
    except csv.Error:
        return False
    return any(label.strip().casefold() == "spam" for label in labels)


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    """The only value of a header (`headers` keyed in lower case), '' when absent, None
    when it appears more than once (the careful path decides which one counts)."""
    values = headers.get(name) or []
    if len(values) > 1:
        return None
    return values[0] if values else ""


def _fast_addresses(found: list[Any]) -> list[str] | None:
    """Addresses as `_addresses` keeps them, or None when one would be dropped (the
    careful path notes it)."""
    out = []
    for a in found:
        address = clean_text(a.address or "").strip().lower()[:320]
        if address.count("@") != 1 or " " in address:
            return None  # none, or one the careful path may find invalid
        out.append(address)
    return out


def _parse_fast(data: bytes, parsed: ParsedMessage) -> bool:
    """Fill `parsed` from fast_mail_parser when the message needs no repair; False when
    the careful path must read it."""
    import fast_mail_parser

    try:
        mail = fast_mail_parser.parse_email(data)
    except fast_mail_parser.ParseError:
        return False
    if mail.warnings:
        return False
    headers = {k.lower(): v for k, v in mail.headers.items()}
    if not headers.keys() & set(_CORE_HEADERS) or len(headers) != len(mail.headers):
        return False  # no core header, or one name in two spellings
    message_id, in_reply_to = _first(headers, "message-id"), _first(headers, "in-reply-to")
    references, date = _first(headers, "references"), _first(headers, "date")
    if None in (message_id, in_reply_to, references, date) or not date:
        return False
    for name in ("from", "to", "cc", "bcc"):
        if len(headers.get(name) or []) > 1:
            return False
    if "(" in str((headers.get("from") or [""])[0]):
        return False  # "addr (Name)": the careful path reads the comment as the name
    when = mail.date_parsed
    if when is None or not (
        datetime(1971, 1, 1, tzinfo=UTC) <= when <= datetime.now(UTC) + timedelta(days=1)
    ):
        return False
    sender = mail.from_
    from_address = _fast_addresses([sender] if sender is not None else [])
    to, cc, bcc = _fast_addresses(mail.to), _fast_addresses(mail.cc), _fast_addresses(mail.bcc)
    if not from_address or to is None or cc is None or bcc is None:
        return False
    ids = _ids(clean_text(message_id or ""))
    parsed.message_id = ids[0] if ids else ""
    reply_ids = _ids(clean_text(in_reply_to or ""))
    parsed.in_reply_to = reply_ids[0] if reply_ids else ""
    parsed.references = _ids(clean_text(references or ""))[-100:]
    parsed.from_name = clean_text(sender.display_name or "")[:300] if sender else ""
    parsed.from_address = from_address[0]
    parsed.to, parsed.cc, parsed.bcc = to[:500], cc[:500], bcc[:500]
    parsed.subject = " ".join(clean_text(mail.subject or "").split())[:1000]
    parsed.date = when
    root = fast_mail_parser.parse_email_tree(data)
    try:
        _walk_body(_FastPart(root), parsed)
    except _NeedsCareful:
        return False
    if parsed.problems or any(a.content_type.startswith("message/") for a in parsed.attachments):
        return False  # an attached message or delivery report: the careful path sizes it
    for attachment in parsed.attachments:
        attachment.filename = clean_text(attachment.filename)
        attachment.content_type = clean_text(attachment.content_type)
    return True


def _parse_careful(data: bytes, parsed: ParsedMessage) -> ParsedMessage | Rejected:
    """The standard library's reading, noting every problem (see `parse_message`)."""
    msg: Message
    repaired = False
    try:
        msg, repaired = parse_repairing(data)
    except Exception:  # e.g. RecursionError on absurd nesting
        parsed.problems.append("The body could not be parsed; headers only.")
        try:
            msg = BytesHeaderParser(policy=_POLICY).parsebytes(data)
        except Exception:
            return Rejected("not an email: the headers cannot be parsed")
    try:
        names = {k.lower() for k in msg}
    except Exception:
        names = set()
    if not names & set(_CORE_HEADERS):
        return Rejected("not an email: no From, To, Date, Subject or Message-ID header")
    problems = parsed.problems
    ids = _ids(_header(msg, "Message-ID", problems))
    parsed.message_id = ids[0] if ids else ""
    reply_ids = _ids(_header(msg, "In-Reply-To", problems))
    parsed.in_reply_to = reply_ids[0] if reply_ids else ""
    parsed.references = _ids(_header(msg, "References", problems))[-100:]
    senders = _addresses(_address_header(msg, "From"), problems, "From")
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    parsed.to = [a for _, a in _addresses(_address_header(msg, "To"), [], "To")][:500]
    parsed.cc = [a for _, a in _addresses(_address_header(msg, "Cc"), [], "Cc")][:500]
    parsed.bcc = [a for _, a in _addresses(_address_header(msg, "Bcc"), [], "Bcc")][:500]
    parsed.subject = " ".join(_header(msg, "Subject", problems).split())[:1000]
    parsed.date = _date(_header(msg, "Date", problems), problems) or _date_otherwise(msg, problems)
    if repaired:
        problems.append(_REPAIRED)
    try:
        _walk_body(_StdPart(msg), parsed)
    except Exception as exc:  # best effort: keep the headers, note the failure
        problems.append(f"The body could not be read ({type(exc).__name__}).")
    for attachment in parsed.attachments:
        attachment.filename = clean_text(attachment.filename)
        attachment.content_type = clean_text(attachment.content_type)
    parsed.problems = [clean_text(p)[:300] for p in problems][:50]
    return parsed


# --- Sources -----------------------------------------------------------------------------


class SourceError(Exception):
    """The path to import cannot be read at all (missing, unreadable, wrong kind)."""


@dataclass(frozen=True)
class SourceItem:
    """One message's bytes from a source, or why it could not be read; `label` says where.

    A file of a Maildir or folder is not read yet: it has a `path` (and its `size` when
    listed, to bound what is read ahead), and `read_item` reads it in whichever process
    parses it."""

    label: str
    data: bytes | None = None
    rejected: str = ""
    path: str = ""
    size: int = 0
    # A junk mail folder left out whole (`is_junk_folder`): how many messages it holds.
    junk: int | None = None
    # An mbox message's "From " line (its envelope), which gives when it was delivered.
    envelope: str = ""
    # An Outlook calendar item (.msg): not mail; the calendar import reads it.
    calendar_item: bool = False


def read_item(item: SourceItem, max_bytes: int) -> SourceItem:
    """The item with its bytes, or why they could not be read."""
    if not item.path:
        return item
    return _read_bounded(item.path, max_bytes, item.label)


def unread(item: SourceItem) -> Rejected:
    """Why an item with no bytes is not a message."""
    return Elsewhere(item.rejected) if item.calendar_item else Rejected(item.rejected)


@dataclass
class Source:
    kind: str  # "eml", "folder", "mbox", "maildir" (a folder may hold all of them)
    path: Path
    total: int | None
    items: Iterator[SourceItem]


def _read_bounded(path: str | Path, max_bytes: int, label: str | None = None) -> SourceItem:
    if label is None:
        label = clean_text(os.fsdecode(path))
    lower = os.fspath(path).lower()
    emlx = lower.endswith(".emlx")
    limit = max_bytes + (_EMLX_SLACK if emlx else 0)
    try:
        with open(path, "rb") as fh:  # a str path: no Path object for each file
            # Read what the file holds, never more than the limit. (read(limit + 1)
            # alone allocates the whole limit, 25 MB, for every file: 3× the time.)
            size = os.fstat(fh.fileno()).st_size
            if lower.endswith(OUTLOOK_SUFFIXES):
                head = fh.read(1000)
                reason = _outlook_file_reason(head, lower)
                if reason:  # a data file (often gigabytes) is read whole elsewhere
                    return SourceItem(label, rejected=reason)
                fh.seek(0)
            data = fh.read(min(size, limit) + 1)
            if len(data) > size:  # it grew meanwhile: the rest, still bounded
                data += fh.read(limit + 1 - len(data))
    except OSError as exc:
        return SourceItem(label, rejected=f"cannot be read: {exc.strerror or exc}")
    if emlx and len(data) <= limit:
        message, problem = unwrap_emlx(data)
        if message is None:
            return SourceItem(label, rejected=problem)
        data = message
    elif data.startswith(MSG_MAGIC) and len(data) <= max_bytes:
        return _outlook_message(data, label)
    if len(data) > max_bytes:
        return SourceItem(label, rejected=f"larger than {max_bytes / 1024 / 1024:g} MB")
    return SourceItem(label, data=data)


def _outlook_file_reason(head: bytes, name: str) -> str:
    """Why a file with an Outlook name, starting with `head`, is not read as one message
    here: "" for an Outlook message (.msg, converted once read), or a file that holds an
    email or an mbox whatever its name."""
    if _holds_mail(head):
        return ""
    if head.startswith(PST_MAGIC):
        return "an Outlook data file (.pst, .ost): import the file on its own"
    if name.endswith(".olm"):
        return _OLM
    return f"a damaged Outlook file: it does not start as a {name.rsplit('.', 1)[-1]} file does"


def _holds_mail(head: bytes) -> bool:
    """Whether a file starting with `head` holds mail one way or another (an email, an
    mbox, an Outlook message), whatever its name says."""
    return head.startswith((MSG_MAGIC, b"From ")) or _looks_like_headers(head)


def _outlook_message(data: bytes, label: str) -> SourceItem:
    """An Outlook .msg file's message, rebuilt as an email (see `comms.outlook`)."""
    from amends.comms.outlook import CALENDAR_ITEM, msg_to_email

    message, problem = msg_to_email(data)
    if message is None:
        return SourceItem(label, rejected=problem, calendar_item=problem == CALENDAR_ITEM)
    return SourceItem(label, data=message)


# Room for an .emlx file's length line and Apple Mail's property list after the message.
_EMLX_SLACK = 256 * 1024
_EMLX_LENGTH = re.compile(rb"\A[ \t]*(\d{1,12})[ \t]*\r?\n")


def unwrap_emlx(data: bytes) -> tuple[bytes | None, str]:
    """The message inside Apple Mail's .emlx file: a line with the message's length in
    bytes, the message, then a property list of Apple Mail's own (flags, dates), which is
    not part of the message and is dropped. (None, the reason) when it is not one."""
    found = _EMLX_LENGTH.match(data)
    if found is None:
        return None, "not an Apple Mail .emlx file: it does not start with the message's length"
    start, length = found.end(), int(found.group(1))
    if length == 0 or start + length > len(data):
        return None, "a damaged .emlx file: shorter than the length it gives"
    return data[start : start + length], ""


def _is_eml(path: Path) -> bool:
    return path.suffix.lower() in (".eml", ".emlx")


def _is_maildir(folder: Path) -> bool:
    """A Maildir: `cur` or `new` inside (a zip drops whichever was empty)."""
    return not folder.is_symlink() and any(
        (folder / sub).is_dir() and not (folder / sub).is_symlink() for sub in ("cur", "new")
    )


# Junk mail folders as mail programs name them (Thunderbird and Apple Mail "Junk",
# Dovecot ".Junk" or ".Spam", Outlook "Junk Email"/"Junk E-mail", Yahoo "Bulk Mail"),
# and as Outlook and Thunderbird name them in a few other languages. Found inside a
# folder being imported, they are left out whole and counted: their mail is not the
# client's record and would only crowd triage. Named on its own, one is read.
JUNK_FOLDER_NAMES = frozenset(
    {
        "junk",
        "spam",
        "junk e-mail",
        "junk email",
        "junk mail",
        "bulk mail",
        "junk-e-mail",  # German Outlook
        "courrier indésirable",  # French Outlook
        "indésirables",  # French Thunderbird, Apple Mail
        "correo no deseado",  # Spanish
        "posta indesiderata",  # Italian
        "ongewenste e-mail",  # Dutch
        "lixo eletrônico",  # Portuguese (Brazil)
        "skräppost",  # Swedish
        "uønsket mail",  # Danish Outlook
        "uønsket e-mail",
        "søppelpost",  # Norwegian
        "roskaposti",  # Finnish
        "wiadomości-śmieci",  # Polish Outlook
        "nevyžádaná pošta",  # Czech
        "levélszemét",  # Hungarian
        "gereksiz e-posta",  # Turkish Outlook
        "ανεπιθύμητη αλληλογραφία",  # Greek
        "нежелательная почта",  # Russian Outlook
        "спам",  # Russian (Yandex, Mail.ru)
        "迷惑メール",  # Japanese
        "垃圾邮件",  # Chinese (simplified)
        "垃圾郵件",  # Chinese (traditional)
        "정크 메일",  # Korean Outlook
        "스팸",  # Korean
        "垃圾电子邮件",  # Chinese (simplified) Outlook
        "垃圾電子郵件",  # Chinese (traditional) Outlook
        "correo electrónico no deseado",  # Spanish Outlook (older)
        "lixo eletrónico",  # Portuguese (Portugal) Outlook
        "spamverdacht",  # German (GMX, WEB.DE)
        "небажана пошта",  # Ukrainian Outlook
        "нежелана поща",  # Bulgarian Outlook
        "neželjena pošta",  # Croatian, Serbian (Latin)
        "neželjena e-pošta",
        "nevyžiadaná pošta",  # Slovak
        "neželena pošta",  # Slovenian
        "e-mail nedorit",  # Romanian Outlook
        "correu brossa",  # Catalan
        "rämpspost",  # Estonian
        "nevēlamais e-pasts",  # Latvian
        "ruslpóstur",  # Icelandic
        "דואר זבל",  # Hebrew
        "البريد الإلكتروني غير الهام",  # Arabic Outlook
        "อีเมลขยะ",  # Thai Outlook
        "email sampah",  # Indonesian Outlook
        "e-mel remeh",  # Malay Outlook
        "thư rác",  # Vietnamese (Gmail)
        "email rác",  # Vietnamese Outlook
        "जंक ई-मेल",  # Hindi Outlook
    }
)


def is_junk_folder(name: str) -> bool:
    """Whether a folder or mbox file of this name is a junk mail folder: `Junk`,
    `Junk.mbox` (Apple Mail), `.Junk` or `.INBOX.Spam` (Maildir++), `Junk Email`.
    Accents match however they are stored: decomposed (macOS file names) or in IMAP's
    modified UTF-7 (`.Courrier ind&AOk-sirable`, as Dovecot and Courier name Maildir++
    folders)."""
    name = unicodedata.normalize("NFC", name)
    for suffix in (".mbox", ".mbx", ".sbd"):
        if name.casefold().endswith(suffix):
            name = name[: -len(suffix)]
    last = name.rsplit(".", 1)[-1].strip()
    return last.casefold() in JUNK_FOLDER_NAMES or _imap_utf7(last) in JUNK_FOLDER_NAMES


def _imap_utf7(name: str) -> str:
    """A folder name as IMAP's modified UTF-7 spells it (`ind&AOk-sirable`), decoded and
    case-folded; the name as it is when it is not one."""
    if "&" not in name or not name.isascii():
        return name.casefold()
    from imapclient import imap_utf7

    try:  # base64 is case-sensitive: the name as stored, not case-folded
        return unicodedata.normalize("NFC", imap_utf7.decode(name.encode())).casefold()
    except (ValueError, UnicodeError):
        return name.casefold()


def _maildir_subfolders(root: Path) -> list[Path]:
    """The Maildir++ subfolders of a Maildir (`.Sent`, `.Archive.2025`…, as Dovecot and
    Courier keep them), junk ones included, in name order."""
    with contextlib.suppress(OSError):
        return sorted(
            Path(entry.path)
            for entry in os.scandir(root)
            if entry.name.startswith(".")
            and entry.name not in (".", "..")
            and entry.is_dir(follow_symlinks=False)
            and _is_maildir(Path(entry.path))
        )
    return []


def _maildir_folders(root: Path) -> list[Path]:
    """A Maildir and its Maildir++ subfolders but the junk ones, the root first."""
    return [root, *(f for f in _maildir_subfolders(root) if not is_junk_folder(f.name))]


def _junk_items(root: Path) -> list[SourceItem]:
    """One item for each junk subfolder of a Maildir, saying how many messages it holds."""
    items = []
    for folder in _maildir_subfolders(root):
        if is_junk_folder(folder.name):
            count = sum(1 for _ in _maildir_files(folder))
            items.append(SourceItem(clean_text(os.fsdecode(folder)), junk=count))
    return items


def _maildir_files(folder: Path) -> Iterator[tuple[str, int]]:
    for sub in ("cur", "new"):
        where = folder / sub
        if where.is_dir() and not where.is_symlink():
            for entry in sorted(os.scandir(where), key=lambda e: e.name):
                if not entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
                    yield entry.path, _size_of(entry.path)


def _maildir_entries(root: Path) -> Iterator[tuple[str, int]]:
    """The message files of a Maildir and its Maildir++ subfolders but the junk ones (cur,
    then new of each), with their sizes."""
    for folder in _maildir_folders(root):
        yield from _maildir_files(folder)


def _size_of(path: str | Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0  # read_item says why


def _unread(path: str | Path, size: int) -> SourceItem:
    return SourceItem(clean_text(os.fsdecode(path)), path=os.fspath(path), size=size)


def unescape_mbox(data: bytes) -> bytes:
    """Undo mbox "From " quoting (mboxrd: one '>' removed from '>From ', '>>From '…),
    so the stored bytes are the message as it was sent."""
    return _MBOXRD_FROM.sub(rb"\1", data)


def _mbox_items(path: Path, max_bytes: int) -> tuple[int, Iterator[SourceItem]]:
    box = mailbox.mbox(path, create=False)
    keys = list(box.iterkeys())  # scans for "From " lines; holds offsets, not messages

    def items() -> Iterator[SourceItem]:
        try:
            for number, key in enumerate(keys, start=1):
                label = f"{clean_text(os.fsdecode(path))}#{number}"
                try:
                    with box.get_file(key, from_=True) as fh:  # the "From " line first
                        envelope = fh.readline(1000)
                        data = fh.read(max_bytes + 1)
                except Exception as exc:
                    yield SourceItem(label, rejected=f"cannot be read: {exc}")
                    continue
                if not envelope.startswith(b"From "):  # not one after all: part of it
                    data, envelope = envelope + data, b""
                if len(data) > max_bytes:
                    yield SourceItem(label, rejected=f"larger than {max_bytes / 1024 / 1024:g} MB")
                    continue
                shown = clean_text(envelope.decode("utf-8", "replace")).strip()
                yield SourceItem(label, data=unescape_mbox(data), envelope=shown)
        finally:
            box.close()

    return len(keys), items()


MAX_MBOX_FILES = 500
MAX_DATA_FILES = 100


# Header fields nearly every message has; a file with two of them in its first lines,
# before any blank line, is one message.
_CORE_HEADER = re.compile(
    rb"^(from|date|subject|message-id|received|return-path|to|mime-version)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)


# …and one only mail has: a sender's address, a server's stamp, a message's id.
_MAIL_HEADER = re.compile(
    rb"^(?:from[ \t]*:[^\n]*@|received[ \t]*:|message-id[ \t]*:|return-path[ \t]*:)",
    re.IGNORECASE | re.MULTILINE,
)


def _unnamed_message(path: Path) -> bool:
    """A file with no extension (or `.txt`) that holds one message, as MH folders (Claws
    Mail, Sylpheed, nmh: `1`, `2`, `3`…) and some tools' exports name them — or an
    Outlook message saved without its `.msg`. Read (by its first 4 kB) rather than left
    out."""
    if path.suffix.lower() not in ("", ".txt") or path.name.startswith("."):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith(MSG_MAGIC):
        return True
    if head.startswith(b"From ") or not _looks_like_headers(head):
        return False  # an mbox is read as one elsewhere
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    fields = {m.group(1).lower() for m in _CORE_HEADER.finditer(block)}
    return len(fields) >= 2 and _MAIL_HEADER.search(block) is not None


def _looks_like_mbox(path: Path) -> bool:
    """A file that starts with an mbox "From " line, whatever its name: Google Takeout's
    `All mail….mbox`, the `mbox` inside an Apple Mail `Inbox.mbox` export, Thunderbird's
    folder files (`Inbox`, `Sent`, `Clients.2025`: no extension of their own)."""
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _export_entries(root: str | os.PathLike[str]) -> Iterator[tuple[str, Path]]:
    """What an export folder holds, in name order: ("maildir", folder) for each Maildir
    (read whole, with its subfolders) and ("file", path) for every other file. Hidden
    files and folders are skipped and symbolic links never followed."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if _is_maildir(here):
            dirnames[:] = []  # its cur/new/tmp and subfolders are read with it
            yield "maildir", here
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in [d for d in dirnames if is_junk_folder(d)]:
            dirnames.remove(name)
            if not (here / name).is_symlink():
                yield "junk", here / name
        for name in sorted(filenames):
            path = here / name
            if not name.startswith(".") and not path.is_symlink():
                yield "file", path


def _folder_source(root: Path, max_bytes: int) -> Source:
    """A folder of mail as exports leave it, at any depth, in name order: `.eml` files
    (and Apple Mail's `.emlx`, and messages in files with no extension:
    `_unnamed_message`), mbox files (see `_looks_like_mbox`), Maildirs (with
    their Maildir++ subfolders) and Outlook's files (.msg, .pst, .ost). Anything else —
    Thunderbird's `.msf` indexes, an Apple export's `Info.plist` and
    `table_of_contents`, notes — is not mail and is left out,
    as are junk mail folders (`is_junk_folder`: one item each, counting their messages);
    symbolic links are never followed."""
    parts: list[tuple[int, Iterator[SourceItem]]] = []
    files: list[str] = []  # single-message files not yet added to `parts`

    def flush_files() -> None:
        if files:
            listed = list(files)
            parts.append((len(listed), (_unread(f, _size_of(f)) for f in listed)))
            files.clear()

    boxes = data_files = 0
    for kind, path in _export_entries(root):
        if kind == "maildir":
            flush_files()
            entries = list(_maildir_entries(path))
            parts.append((len(entries), (_unread(*e) for e in entries)))
            junk = _junk_items(path)
            parts.append((len(junk), iter(junk)))
        elif kind == "junk":
            flush_files()
            parts.append((1, iter([_junk_item(path, max_bytes)])))
        elif _is_eml(path):
            files.append(os.fspath(path))
        elif path.suffix.lower() in PST_SUFFIXES:
            flush_files()
            data_files += 1
            if data_files > MAX_DATA_FILES:
                raise SourceError(
                    f"{os.fsdecode(root)}: more than {MAX_DATA_FILES} Outlook data files;"
                    " import them a few at a time."
                )
            parts.append(_data_file_items(path, max_bytes))
        elif path.suffix.lower() in OUTLOOK_SUFFIXES:
            files.append(os.fspath(path))  # a message (.msg) is converted once read
        elif _unnamed_message(path):
            files.append(os.fspath(path))
        elif path.name.lower().endswith(_ARCHIVE_NAMES):
            flush_files()
            parts.append((1, iter([_archive_item(path)])))
        elif _looks_like_mbox(path):
            boxes += 1
            if boxes > MAX_MBOX_FILES:
                raise SourceError(
                    f"{os.fsdecode(root)}: more than {MAX_MBOX_FILES} mbox files;"
                    " import its folders one at a time."
                )
            flush_files()
            if is_junk_folder(path.name):  # Thunderbird's "Junk" mbox
                parts.append((1, iter([_junk_item(path, max_bytes)])))
                continue
            try:
                parts.append(_mbox_items(path, max_bytes))
            except Exception as exc:
                label = clean_text(os.fsdecode(path))
                rejected = SourceItem(label, rejected=f"not a readable mbox ({exc})")
                parts.append((1, iter([rejected])))
    flush_files()
    total = sum(count for count, _ in parts)
    return Source("folder", root, total, chain.from_iterable(items for _, items in parts))


def _archive_item(path: Path) -> SourceItem:
    """An archive or compressed file inside a folder: not read, with what to do."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1000)
    except OSError as exc:
        return SourceItem(clean_text(os.fsdecode(path)), rejected=f"cannot be read: {exc}")
    reason = not_mail_reason(head, path.name) or (
        "an archive that could not be unpacked (damaged, or inside too many others);"
        " import it on its own"
    )
    return SourceItem(clean_text(os.fsdecode(path)), rejected=reason)


def _junk_item(path: Path, max_bytes: int) -> SourceItem:
    """A junk folder or mbox found in an export, left out, with how many messages it
    holds (0 when it cannot be read: it is left out all the same)."""
    try:
        count = open_source(path, max_bytes=max_bytes).total or 0
    except (SourceError, OSError, ValueError):
        count = 0
    return SourceItem(clean_text(os.fsdecode(path)), junk=count)


_CONTENTS_SCAN_LIMIT = 200_000  # files looked at before answering with what was seen


def folder_contents(root: str | os.PathLike[str]) -> tuple[bool, bool]:
    """(holds mail, holds calendars) for a folder, as an export leaves it: a Google
    Takeout has both (`Mail/….mbox`, `Calendar/….ics`), a Google Calendar export only
    calendars. Mail is what `open_source` reads (.eml, .emlx, mbox files, Maildirs);
    calendars are .ics files. An Outlook data file (.pst, .ost) may hold both, and so
    does a folder with one, or the file itself. A .msg file holds an email or a calendar
    item (an appointment saved from Outlook's calendar). Symbolic links are not
    followed."""
    from amends.comms.outlook import is_msg_calendar_item

    if Path(root).is_file():
        if Path(root).suffix.lower() == ".msg" and is_msg_calendar_item(root):
            return False, True
        data_file = Path(root).suffix.lower() in PST_SUFFIXES
        return True, data_file
    mail = calendars = False
    for seen, (kind, path) in enumerate(_export_entries(root), start=1):
        if kind == "junk":
            continue
        if kind == "maildir":
            mail = True
        elif path.suffix.lower() == ".ics":  # what `meeting_actions.calendar_files` reads
            calendars = True
        elif path.suffix.lower() in PST_SUFFIXES:  # an Outlook data file: both
            mail = calendars = True
        elif path.suffix.lower() == ".msg" and is_msg_calendar_item(path):
            calendars = True
        elif not mail and (
            _is_eml(path)
            or path.suffix.lower() in _OUTLOOK_MAIL
            or _looks_like_mbox(path)
            or _unnamed_message(path)
        ):
            mail = True
        if (mail and calendars) or seen >= _CONTENTS_SCAN_LIMIT:
            break
    return mail, calendars


def may_hold_calendars(path: Path) -> bool:
    """Whether `path` may hold calendars, beside mail or instead of it (then
    `folder_contents` says which): a folder, an Outlook data file, or a .msg file."""
    if path.is_dir():
        return not path.is_symlink()
    return path.is_file() and path.suffix.lower() in (*PST_SUFFIXES, ".msg")


def open_source(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Recognise what `path` is (Maildir, a folder of mail, mbox, one .eml, an Outlook
    .msg, .pst or .ost) and return its messages as a stream. Raises `SourceError` if the
    path cannot be read at all."""
    root = Path(path)
    if not root.exists():
        raise SourceError(f"{os.fsdecode(root)}: no such file or folder.")
    if not os.access(root, os.R_OK):
        raise SourceError(f"{os.fsdecode(root)}: not readable.")
    if root.is_dir():
        if _is_maildir(root):
            # Names as plain strings (a Path each would weigh several times more); each
            # file is read by the process that parses it.
            entries = list(_maildir_entries(root))
            junk = _junk_items(root)
            listed = chain((_unread(*e) for e in entries), junk)
            return Source("maildir", root, len(entries) + len(junk), listed)
        return _folder_source(root, max_bytes)
    if not root.is_file():
        raise SourceError(f"{os.fsdecode(root)}: not a regular file or folder.")
    try:
        with root.open("rb") as fh:
            head = fh.read(1000)
    except OSError as exc:
        raise SourceError(f"{os.fsdecode(root)}: {exc.strerror or exc}.") from None
    if head.startswith(PST_MAGIC) or (
        root.name.lower().endswith(PST_SUFFIXES) and not _holds_mail(head)
    ):
        return _data_file_source(root, max_bytes)
    reason = "" if head.startswith(MSG_MAGIC) else _unreadable_format(head, root.name)
    if reason:  # however large
        label = clean_text(os.fsdecode(root))
        return Source("eml", root, 1, iter([SourceItem(label, rejected=reason)]))
    if head.startswith(b"From "):
        try:
            total, items = _mbox_items(root, max_bytes)
        except Exception as exc:
            raise SourceError(f"{os.fsdecode(root)}: not a readable mbox ({exc}).") from None
        return Source("mbox", root, total, items)
    return Source("eml", root, 1, iter([_read_bounded(root, max_bytes)]))


def _data_file_items(path: Path, max_bytes: int) -> tuple[int, Iterator[SourceItem]]:
    """An Outlook data file's (.pst, .ost) messages, rebuilt as emails (`comms.outlook`),
    with one item for each junk folder and each folder of other things (a calendar)."""
    from amends.comms.outlook import pst_items

    label = clean_text(os.fsdecode(path))
    try:
        total, found = pst_items(path, label, max_bytes)
    except ValueError as exc:
        return 1, iter([SourceItem(label, rejected=str(exc))])
    items = (SourceItem(f.label, data=f.data, rejected=f.rejected, junk=f.junk) for f in found)
    return total, items


def _data_file_source(path: Path, max_bytes: int) -> Source:
    total, items = _data_file_items(path, max_bytes)
    return Source("outlook", path, total, items)


# --- Parsing in worker processes ---------------------------------------------------------

WORKER_NICENESS = 10
_ours_users: frozenset[str] = frozenset()
_ours_domains: frozenset[str] = frozenset()
_client_senders: frozenset[str] | None = None


def init_worker(
    users: frozenset[str], domains: frozenset[str], client_senders: frozenset[str] | None = None
) -> None:
    """Set up a parsing worker: the firm's addresses and domains (to know which messages
    are inbound, whose tone is scored), and the contacts' addresses and clients' domains
    an inbound message must come from to be tied to a client (None: any, the import is
    for one client). The tone of mail that no client will own is not scored: it waits in
    triage, and is scored if someone assigns it."""
    global _ours_users, _ours_domains, _client_senders
    _ours_users, _ours_domains, _client_senders = users, domains, client_senders
    # The writing process is the slower side of an import: when both want a core, it
    # goes first, and the parsers take what is left (and leave a web server its share).
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def parse_in_worker(
    chunk: list[tuple[bytes | None, str, int]],
) -> list[ParsedMessage | Rejected]:
    """Parse (data, path, max_bytes) in a worker process: the bytes given, or the file at
    `path` read here. Score the tone of each message to us from a client (a slow pure
    function: better here than in the writing process, which scores any the worker did
    not, should the match differ). The raw bytes are sent back only when read
    here: otherwise the caller holds them."""
    from amends.comms import tone

    out: list[ParsedMessage | Rejected] = []
    for data, path, max_bytes in chunk:
        read_here = data is None
        if data is None:
            item = _read_bounded(path, max_bytes, label="")
            if item.data is None:
                out.append(unread(item))
                continue
            data = item.data
        parsed = parse_message(data, max_bytes=max_bytes)
        if isinstance(parsed, ParsedMessage):
            sender = parsed.from_address
            domain = sender.rsplit("@", 1)[-1]
            ours = bool(sender) and (sender in _ours_users or domain in _ours_domains)
            for_a_client = _client_senders is None or (
                sender in _client_senders or domain in _client_senders
            )
            if not ours and for_a_client and not parsed.automatic:
                try:
                    parsed.tone = tone.score(parsed.text, parsed.quote_span)
                    parsed.tone_scored = True
                except Exception:  # scored again (and reported) by the caller
                    parsed.tone_scored = False
            parsed.normalised_subject, parsed.is_reply_by_subject, parsed.quote_span  # noqa: B018 (cached here)
            if not read_here:
                parsed.raw = b""
        out.append(parsed)
    return out
