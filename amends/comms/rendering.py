"""Reading an imported email: what to show of it (issue 3, "Understanding a message").

Given an `EmailMessage` (whose `raw.data` holds the exact bytes received), this module
works out, without touching the database:

- the HTML body, sanitised with nh3 against a strict allow-list: no scripts, styles,
  event handlers, forms, frames, `javascript:`/`data:` URLs; links open in a new tab
  with `rel="noopener noreferrer nofollow"`; remote images are never loaded (each becomes
  a "[image not loaded]" placeholder), inline `cid:` images are served from our own
  attachment URL;
- the plain text body;
- each split into the new part of the reply, the quoted history ("> " lines, "On …
  wrote:", Outlook's "-----Original Message-----" and "From: … Sent: …" headers, Gmail's
  `gmail_quote`, Apple Mail's `<blockquote type="cite">`) and the signature ("-- ");
- the attachments, and each one's bytes for download.

The work is bounded (HTML beyond `MAX_HTML_CHARS` is not rendered, the text is shown
instead) and nothing here raises on hostile bytes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from typing import Any

import nh3

from amends.comms.importing import (
    MAX_PARTS,
    clean_text,
    decode_bytes,
    decode_header_value,
    parse_repairing,
    text_from_html,
)

MAX_HTML_CHARS = 1_000_000
MAX_HTML_DEPTH = 2000  # the HTML parser slows down with depth: deeper is not rendered
MAX_LINE_CHECK = 1000  # a line longer than this is only matched on its start
MAX_SIGNATURE_LINES = 15
MAX_FILENAME = 150

# --- Parsing the raw bytes again (the importer keeps only the text) ---------------------


def _parse(data: bytes) -> Message | None:
    # compat32, as the importer's careful path: headers stay strings (decoded here only
    # where shown), which parses several times faster than the default policy's header
    # objects — a thread page parses every message in it.
    try:
        return parse_repairing(data)[0]
    except Exception:  # RecursionError on absurd nesting, and the like
        return None


def _filename(part: Message) -> str:
    """The part's filename, RFC 2047/2231 decoded ('' when none)."""
    try:
        name = part.get_filename()
    except Exception:
        return ""
    if not isinstance(name, str):
        return ""
    try:
        return decode_header_value(name)
    except Exception:
        return name


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        raw = part.get_payload()
    except Exception:
        return b""
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _ctype(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _is_attachment(part: Message, ctype: str) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    filename = _filename(part)
    return (
        ctype == "message/rfc822"
        or disposition == "attachment"
        or bool(filename)
        or ctype not in ("text/plain", "text/html")
    )


def _leaf_parts(msg: Message) -> Iterator[tuple[bool, Message]]:
    """(is_attachment, part) for each leaf, in the importer's order (so the n-th
    attachment here is the n-th in `EmailMessage.attachments`)."""
    stack: list[Message] = [msg]
    seen = 0
    while stack:
        part = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            return
        ctype = _ctype(part)
        if part.is_multipart() and ctype != "message/rfc822":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(c for c in reversed(children) if isinstance(c, Message))
            continue
        yield _is_attachment(part, ctype), part


def _attachment_parts(msg: Message) -> list[Message]:
    return [part for is_attachment, part in _leaf_parts(msg) if is_attachment]


def safe_filename(name: str, index: int) -> str:
    """A filename safe in a Content-Disposition header and on any disk."""
    name = clean_text(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch if ch.isprintable() and ch not in '"<>:|?*;' else "_" for ch in name)
    name = name.strip(" .")[:MAX_FILENAME]
    return name or f"attachment-{index + 1}"


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    data: bytes


def attachment_file(raw: bytes, index: int) -> AttachmentFile | None:
    """The bytes of the `index`-th attachment (as listed at import), or None."""
    msg = _parse(raw)
    if msg is None or index < 0:
        return None
    try:
        parts = _attachment_parts(msg)
    except Exception:
        return None
    if index >= len(parts):
        return None
    part = parts[index]
    filename = _filename(part)
    if _ctype(part) == "message/rfc822":
        try:
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = (
                first.as_bytes()
                if isinstance(first, Message)
                else part.as_bytes().split(b"\n\n", 1)[-1]
            )
        except Exception:
            data = b""
        filename = filename or "attached-message.eml"
    else:
        data = _payload(part)
    return AttachmentFile(safe_filename(filename, index), data)


# --- Splitting plain text --------------------------------------------------------------

_ON_WROTE = re.compile(
    r"^\s*(?:On\s.{1,300}\swrote|Am\s.{1,300}\sschrieb(?:\s.{1,300})?|Le\s.{1,300}\sa\s+écrit"
    r"|El\s.{1,300}\sescribió|Op\s.{1,300}\sschreef|Il\s.{1,300}\sha\s+scritto)\s*:\s*$",
    re.IGNORECASE,
)
_ON_START = re.compile(r"^\s*(?:On|Am|Le|El|Op|Il)\s", re.IGNORECASE)
_WROTE_END = re.compile(
    r"(?:wrote|schrieb|écrit|escribió|schreef|scritto|escreveu|skrev|kirjoitti|napisał[a]?"
    r"|napsal[a]?|написал[а]?|yazdı|写道|書きました)\s*:\s*$",
    re.IGNORECASE,
)
# An attribution in any language, just above a quote: a short line ending in ":" that
# names an address or a date or time ("02.04.2012 14:20 … <bob@example.com> написал:").
_ATTRIBUTION = re.compile(
    r"^(?=.{0,300}:\s*$)(?=.*(?:@|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\b\d{1,2}:\d{2}\b)).+$"
)
# Its first half, when a mail program wrapped it: a date or time and an address (or the
# "<" that opens one), no full stop at the end.
_ATTRIBUTION_START = re.compile(
    r"^(?=.{0,300}$)(?=.*(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\b\d{1,2}:\d{2}\b))"
    r"(?=.*(?:@|<\s*$)).*[^.!?\s]\s*$"
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine"
    r"|Mensaje original|Oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# The first fields of the header block Outlook (and Windows Mail, Outlook.com) puts
# above what it quotes, in the languages it is most used in.
_FROM_WORDS = (
    "From|Von|De|Van|Da|Fra|Från|Od|Feladó|Lähettäjä|Kimden|От|Від|Από"
    "|差出人|发件人|寄件者|보낸 사람"
)
_SENT_WORDS = (
    "Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden|Inviato|Data|Sendt|Skickat|Wysłano"
    "|Odesláno|Elküldve|Lähetetty|Gönderildi|Tarih|Отправлено|Дата|Надіслано|Στάλθηκε"
    "|送信日時|发送时间|傳送時間|보낸 날짜"
)


def is_attribution(line: str) -> bool:
    """Whether a line reads as the one above a quote ("On … wrote:", "26.06.2014, 14:41,
    Alexander <a@example.com>:"), in any language."""
    return bool(_ATTRIBUTION.match(line) or _WROTE_END.search(line[:MAX_LINE_CHECK]))


_HEADER_ABOVE = re.compile(
    rf"^\s*\*?(?:{_SENT_WORDS}|Subject|Betreff|Objet|Asunto|Assunto|Oggetto|Onderwerp|Emne"
    rf"|Ämne|Temat|Předmět|Tárgy|Aihe|Konu|Тема|Θέμα|件名|主题|主旨|제목)\s*[:：]\*?\s+\S",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(rf"^\s*\*?(?:{_FROM_WORDS})\s*[:：]\*?\s+\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    rf"^\s*\*?(?:{_SENT_WORDS}|To|An|À|Para|Aan|A|Til|Till|Do|Címzett|Vastaanottaja|Kime|Кому"
    rf"|Προς|宛先|收件人|받는 사람)\s*[:：]\*?\s",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest)\s+(?:regards|wishes)|regards|best|cheers|thanks"
    r"|thank you|many thanks|sincerely|yours sincerely|yours faithfully|all the best)[,.!]?\s*$",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^\s*(?:Sent from my \w[\w ]{0,30}|Get Outlook for \w+|Sent from Mail for Windows"
    r"|Sent from Outlook)\.?\s*$",
    re.IGNORECASE,
)


@dataclass
class Split:
    """A body cut in three: what is new in this message, what it quotes, the signature."""

    new: str = ""
    quoted: str = ""
    signature: str = ""


def _quote_start(lines: list[str]) -> int | None:
    """Where the quoted history starts (top-posting), or None."""
    n = len(lines)
    for i, full in enumerate(lines):
        line = full[:MAX_LINE_CHECK]
        if _ORIGINAL.match(line) or _ON_WROTE.match(line):
            return i
        if (
            _ON_START.match(line)
            and i + 1 < n
            and _WROTE_END.search(lines[i + 1][:300])
            and len(line) + len(lines[i + 1]) < 400
        ):
            return i
        if _HEADER_FROM.match(line):
            following = [x[:MAX_LINE_CHECK] for x in lines[i + 1 : i + 5]]
            if any(_HEADER_NEXT.match(x) for x in following):
                start = i
                # Outlook.com puts Date and Subject above From: the block starts there.
                while start > 0 and i - start < 4 and _HEADER_ABOVE.match(lines[start - 1][:200]):
                    start -= 1
                if start > 0 and _UNDERSCORES.match(lines[start - 1][:200]):
                    start -= 1
                return start
        if line.startswith(">"):
            # Bottom-quoted: only when nothing new follows the quote (interleaved replies
            # stay whole, so no answer is hidden).
            rest = lines[i:]
            if all(not x.strip() or x.startswith(">") for x in rest):
                start = i
                # The attribution just above ("On … wrote:", possibly after a blank line).
                j = i - 1
                while j >= 0 and not lines[j].strip() and i - j < 3:
                    j -= 1
                if j >= 0 and (
                    _WROTE_END.search(lines[j][:MAX_LINE_CHECK]) or _ATTRIBUTION.match(lines[j])
                ):
                    start = j
                    if j > 0 and _ATTRIBUTION_START.match(lines[j - 1]):
                        start = j - 1
                return start
            return None
    return None


def _signature_start(lines: list[str]) -> int | None:
    """Where the signature starts in the new part, or None. Conservative."""
    n = len(lines)
    for i in range(n - 1, max(-1, n - 1 - MAX_SIGNATURE_LINES * 3), -1):
        if lines[i] in ("-- ", "--") and n - i - 1 <= MAX_SIGNATURE_LINES * 2:
            return i
    # "Sent from my iPhone" as the last words.
    tail = [i for i in range(n) if lines[i].strip()]
    if tail and _MOBILE.match(lines[tail[-1]][:200]):
        return tail[-1]
    # "Kind regards,\nDana\nTitle\nPhone…": keep the sign-off and the name, fold the rest.
    for i in range(len(tail) - 1, max(-1, len(tail) - 10), -1):
        line = lines[tail[i]]
        if _SIGN_OFF.match(line[:100]):
            after = tail[i + 1 :]
            if 3 <= len(after) <= 9 and all(len(lines[k]) < 100 for k in after):
                return after[1]
            break
    return None


def quote_span(text: str) -> tuple[int, int] | None:
    """Where the quoted history of a plain-text body is (what `split_text` folds away as
    quoted), as (start, end) offsets into `text` (newlines "\n"), or None: no quote, or
    nothing new beside it. A reply written above its quote: from the quote to the end; one
    written below it: the quote at the top."""
    try:
        lines = text.split("\n")
        below = _bottom_quote(lines)
        if below is not None:
            start, end = (sum(len(line) + 1 for line in lines[:at]) for at in below)
            return start, min(end, len(text))
        q = _quote_start(lines)
        if not q:
            return None
        offset = sum(len(line) + 1 for line in lines[:q])
        return (offset, len(text)) if text[:offset].strip() else None
    except Exception:
        return None


def _bottom_quote(lines: list[str]) -> tuple[int, int] | None:
    """A reply written below what it quotes (bottom-posting): (start, end) of the quoted
    block at the top — its attribution ("On … wrote:"), then the ">" lines — when only
    new lines follow it. None otherwise: a reply written between quoted lines stays
    whole, so no answer is hidden."""
    n = len(lines)
    i = 0
    while i < n and not lines[i].strip():
        i += 1
    start = i
    if i < n and not lines[i].startswith(">"):
        line = lines[i][:MAX_LINE_CHECK]
        if _ON_WROTE.match(line):
            i += 1
        elif _ON_START.match(line) and i + 1 < n and _WROTE_END.search(lines[i + 1][:300]):
            i += 2
        elif _ATTRIBUTION.match(line):
            i += 1
        elif _ATTRIBUTION_START.match(line) and i + 1 < n and _ATTRIBUTION.match(lines[i + 1]):
            i += 2
        else:
            return None
        while i < n and not lines[i].strip():
            i += 1
    if i >= n or not lines[i].startswith(">"):
        return None
    end = i
    while i < n and (lines[i].startswith(">") or not lines[i].strip()):
        if lines[i].startswith(">"):
            end = i + 1
        i += 1
    rest = lines[end:]
    if not any(line.strip() for line in rest) or any(line.startswith(">") for line in rest):
        return None
    return start, end


def split_text(text: str) -> Split:
    """Split a plain-text body into the new part, the quoted history and the signature.
    A reply written below the message it quotes has its new part shown first too."""
    try:
        text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        below = _bottom_quote(lines)
        if below is not None:
            start, end = below
            fresh = _split_new(lines[end:])
            return Split(
                new=fresh.new,
                quoted="\n".join(lines[start:end]).strip("\n"),
                signature=fresh.signature,
            )
        q = _quote_start(lines)
        new_lines = lines if q is None else lines[:q]
        quoted = "" if q is None else "\n".join(lines[q:]).strip("\n")
        fresh = _split_new(new_lines)
        if not fresh.new.strip() and (quoted or fresh.signature):
            # Nothing new found: better show everything than hide the message.
            return Split(new=text.strip("\n"))
        return Split(new=fresh.new, quoted=quoted, signature=fresh.signature)
    except Exception:
        return Split(new=text or "")


def _split_new(new_lines: list[str]) -> Split:
    """The new part and its signature."""
    s = _signature_start(new_lines)
    signature = "" if s is None else "\n".join(new_lines[s:]).strip("\n")
    if s is not None:
        new_lines = new_lines[:s]
    return Split(new="\n".join(new_lines).strip("\n"), signature=signature)


# --- Sanitising and splitting HTML -----------------------------------------------------

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u",
    "ul",
}  # fmt: skip
_DROP_WITH_CONTENT = {
    "script", "style", "title", "noscript", "template", "textarea", "xmp", "noembed",
    "noframes", "iframe", "object", "embed", "select", "option", "head", "math", "svg",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "span": set(),
    "div": set(),
    "p": set(),
    "blockquote": set(),
}
_MARK_CLASSES = {
    "gmail_quote",
    "gmail_quote_container",
    "gmail_attr",
    "gmail_signature",
    "gmail_signature_prefix",
    "moz-cite-prefix",
    "moz-signature",
}
_QUOTE_CLASSES = {"gmail_quote", "gmail_quote_container", "moz-cite-prefix"}
_SIGNATURE_CLASSES = {"gmail_signature", "gmail_signature_prefix", "moz-signature"}
_QUOTE_IDS = {"divRplyFwdMsg", "appendonsend", "stopSpelling"}  # the last: Outlook.com's <hr>
_SIGNATURE_IDS = {"Signature", "signature"}
_BLOCKS = {"p", "div", "hr", "table", "tr", "td", "blockquote", "pre", "li", "ul", "ol"} | {
    f"h{n}" for n in range(1, 7)
}
_VOID = {"br", "hr", "img", "col"}
_HTML_HEADERS = re.compile(
    rf"^\s*(?:{_FROM_WORDS})\s*[:：]\s.{{1,400}}?(?<![^\W\d_])(?:{_SENT_WORDS})\s*[:：]",
    re.IGNORECASE | re.DOTALL,
)
_SAFE_HREF = re.compile(r"^(?:https?:|mailto:|tel:)", re.IGNORECASE)
PLACEHOLDER_CLASS = "remote-image"


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,40})")
_VOID_ANY = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


def too_deep(raw_html: str, limit: int = MAX_HTML_DEPTH) -> bool:
    """True when tags may nest deeper than `limit` (unclosed tags count as open)."""
    depth = 0
    for match in _TAG.finditer(raw_html):
        if match.group(1):
            depth = max(0, depth - 1)
        elif match.group(2).lower() not in _VOID_ANY:
            depth += 1
            if depth > limit:
                return True
    return False


def _first_pass(raw_html: str) -> str:
    """Sanitised HTML that still carries the markers of quotes and signatures."""
    return nh3.clean(
        raw_html,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        allowed_classes={t: _MARK_CLASSES for t in ("div", "span", "p", "pre", "blockquote")},
        tag_attribute_values={
            "div": {"id": _QUOTE_IDS | _SIGNATURE_IDS},
            "hr": {"id": _QUOTE_IDS},
            "blockquote": {"type": {"cite"}},
        },
        url_schemes={"http", "https", "mailto", "tel", "cid"},
        link_rel=None,
        strip_comments=True,
    )


def _final_pass(fragment: str, image_prefix: str) -> str:
    """The strict sanitiser: what reaches the page. Balances what the split cut."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            return value if _SAFE_HREF.match(value.strip()) else None
        if tag == "img" and attribute == "src":
            ok = image_prefix and value.startswith(image_prefix) and "//" not in value
            return value if ok else None
        return value

    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        allowed_classes={"span": {PLACEHOLDER_CLASS}},
        attribute_filter=keep,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    ).strip()


class _Marker(HTMLParser):
    """Re-serialise first-pass HTML, noting where the quote and signature begin, and
    replacing images: `cid:` ones by our attachment URL, all others by a placeholder."""

    def __init__(self, cid_urls: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.cid_urls = cid_urls
        self.out: list[str] = []
        self.pos = 0
        self.quote_at: int | None = None
        # Where the first quoted block (a cite blockquote) ends, and whether another
        # quote follows it: a reply written below its quote has one block, then only
        # new words.
        self.quote_end: int | None = None
        self.quoted_again = False
        self.cite_depth = 0
        self.signature_at: int | None = None
        self.block_at = 0
        self.block_text = ""
        self.remote_images = 0
        # A quote in a plain blockquote, as mail.ru and Yandex write one: the line just
        # above the last top-level blockquote ("26.06.2014, 14:41, Alexander <…>:"),
        # where it starts when it is an attribution, and whether words follow it.
        self.depth = 0  # blockquotes open
        self.line_at: int | None = None  # where the current line's words start
        self.line = ""
        self.last_line: tuple[int, str] | None = None
        self.attribution_at: int | None = None
        self.words_after_quote = False

    def _emit(self, value: str) -> None:
        self.out.append(value)
        self.pos += len(value)

    def _mark_quote(self, at: int) -> None:
        if self.quote_at is None:
            self.quote_at = at
        elif self.quote_end is not None and at >= self.quote_end:
            self.quoted_again = True

    def _end_line(self) -> None:
        if self.line.strip() and self.line_at is not None:
            self.last_line = (self.line_at, self.line.strip())
        self.line, self.line_at = "", None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS or tag == "br":
            self._end_line()
        if tag == "blockquote":
            if not self.depth:
                above = self.last_line
                attribution = above is not None and is_attribution(above[1])
                self.attribution_at = above[0] if above is not None and attribution else None
                self.words_after_quote = False
            self.depth += 1
        values = {k: v or "" for k, v in attrs}
        classes = set(values.get("class", "").split())
        cite = tag == "blockquote" and values.get("type") == "cite"
        if classes & _QUOTE_CLASSES or cite or values.get("id") in _QUOTE_IDS:
            self._mark_quote(self.pos)
        if tag == "blockquote" and (cite or self.cite_depth):
            self.cite_depth += 1
        after_quote = self.quote_end is not None and self.pos >= self.quote_end
        if (classes & _SIGNATURE_CLASSES or values.get("id") in _SIGNATURE_IDS) and (
            (self.quote_at is None or after_quote) and self.signature_at is None
        ):
            self.signature_at = self.pos
        if tag in _BLOCKS:
            self.block_at, self.block_text = self.pos, ""
        elif tag == "br" and len(self.block_text) < 600:
            self.block_text += "\n"
        if tag == "img":
            self._image(values)
            return
        rendered = "".join(
            f' {k}="{html.escape(v or "", quote=True)}"' for k, v in attrs if k.isidentifier()
        )
        self._emit(f"<{tag}{rendered}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _image(self, values: dict[str, str]) -> None:
        src = values.get("src", "").strip()
        alt = " ".join(values.get("alt", "").split())[:200]
        if src.lower().startswith("cid:"):
            url = self.cid_urls.get(src[4:].strip("<> ").lower())
            if url:
                self._emit(f'<img src="{html.escape(url)}" alt="{html.escape(alt)}">')
                return
        self.remote_images += bool(src)
        label = f"[image not loaded: {alt}]" if alt else "[image not loaded]"
        self._emit(f'<span class="{PLACEHOLDER_CLASS}">{html.escape(label)}</span>')

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._end_line()
        if tag == "blockquote" and self.depth:
            self.depth -= 1
        if tag not in _VOID:
            self._emit(f"</{tag}>")
        if tag == "blockquote" and self.cite_depth:
            self.cite_depth -= 1
            if not self.cite_depth and self.quote_end is None:
                self.quote_end = self.pos

    def handle_data(self, data: str) -> None:
        if not self.depth and data.strip():
            if self.line_at is None:
                self.line_at = self.pos
            self.words_after_quote = True
        if not self.depth and len(self.line) < 600:
            self.line += data
        if len(self.block_text) < 600:
            self.block_text += data
            text = self.block_text.lstrip()
            if self.quote_at is None and (
                _ORIGINAL.match(text.split("\n", 1)[0][:200]) or _HTML_HEADERS.match(text)
            ):
                self._mark_quote(self.block_at)
        self._emit(html.escape(data, quote=False))


_TRAILING_BLANKS = re.compile(
    r"(?:\s|<br>|<div>(?:\s|<br>)*</div>|<p>(?:\s|<br>)*</p>)+(?=(?:\s|</div>|</p>)*$)"
)


def _trim_end(fragment: str) -> str:
    """Drop the empty lines a mail client leaves at the end of what it wrote."""
    head, tail = fragment[:-500], fragment[-500:]
    return head + _TRAILING_BLANKS.sub("", tail)


@dataclass
class HtmlSplit:
    new: str = ""
    quoted: str = ""
    signature: str = ""
    remote_images: int = 0


def split_html(
    raw_html: str, *, cid_urls: dict[str, str] | None = None, image_prefix: str = ""
) -> HtmlSplit:
    """Sanitise an HTML body and split it into new part, quoted history and signature.
    Every piece is safe to insert into a page as is."""
    if len(raw_html) > MAX_HTML_CHARS or too_deep(raw_html):
        text = text_from_html(raw_html[:MAX_HTML_CHARS]) if len(raw_html) < 10**7 else ""
        return HtmlSplit(new=f"<pre>{html.escape(text, quote=False)}</pre>")
    first = _first_pass(raw_html)
    marker = _Marker(cid_urls or {})
    try:
        marker.feed(first)
        marker.close()
        body = "".join(marker.out)
    except Exception:
        return HtmlSplit(new=_final_pass(first, ""))
    end = len(body)
    below = _below_quote(body, marker, image_prefix)
    if below is not None:
        return below
    trailing = marker.attribution_at is not None and not marker.words_after_quote
    if marker.quote_at is None and trailing:  # an attribution, then a quote to the end
        marker.quote_at = marker.attribution_at
    q = marker.quote_at if marker.quote_at is not None else end
    s = marker.signature_at if marker.signature_at is not None and marker.signature_at < q else q
    result = HtmlSplit(
        new=_trim_end(_final_pass(body[:s], image_prefix)),
        signature=_final_pass(body[s:q], image_prefix),
        quoted=_final_pass(body[q:], image_prefix),
        remote_images=marker.remote_images,
    )
    if not text_from_html(result.new) and (result.quoted or result.signature):
        # Nothing new found: show it all rather than hide the message.
        return HtmlSplit(new=_final_pass(body, image_prefix), remote_images=marker.remote_images)
    return result


def _below_quote(body: str, marker: _Marker, image_prefix: str) -> HtmlSplit | None:
    """A reply written below what it quotes (Thunderbird's default): one quoted block at
    the top, then only new words. Its answer is shown first, as for plain text."""
    q, end = marker.quote_at, marker.quote_end
    if q is None or end is None or end <= q or marker.quoted_again:
        return None
    if text_from_html(body[:q]).strip() or not text_from_html(body[end:]).strip():
        return None
    s = marker.signature_at
    if s is None or s < end:
        s = len(body)
    return HtmlSplit(
        new=_trim_end(_final_pass(body[end:s], image_prefix)),
        signature=_final_pass(body[s:], image_prefix),
        quoted=_final_pass(body[q:end], image_prefix),
        remote_images=marker.remote_images,
    )


def sanitise_html(raw_html: str, *, image_prefix: str = "") -> str:
    """The whole HTML body, sanitised (no split)."""
    split = split_html(raw_html, image_prefix=image_prefix)
    return "".join(p for p in (split.new, split.signature, split.quoted) if p)


# --- The whole message -----------------------------------------------------------------


@dataclass
class AttachmentInfo:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class Rendered:
    """What the page (and the API) shows of one email."""

    text: Split
    html: HtmlSplit | None = None
    attachments: list[AttachmentInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def has_quoted(self) -> bool:
        return bool(self.html.quoted if self.html else self.text.quoted)

    @property
    def has_signature(self) -> bool:
        return bool(self.html.signature if self.html else self.text.signature)


def _bodies(msg: Message, problems: list[str]) -> tuple[str, dict[str, int]]:
    """The HTML body (joined) and the Content-IDs of attachments by index."""
    html_parts: list[str] = []
    cids: dict[str, int] = {}
    index = 0
    for is_attachment, part in _leaf_parts(msg):
        if is_attachment:
            try:
                cid = str(part.get("Content-ID") or "").strip().strip("<>").strip().lower()
            except Exception:
                cid = ""
            if cid and len(cid) < 500:
                cids.setdefault(cid, index)
            index += 1
            continue
        if _ctype(part) != "text/html":
            continue
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        html_parts.append(decode_bytes(_payload(part), charset, problems, "text/html"))
    return clean_text("\n".join(html_parts)), cids


def _attachment_info(index: int, stored: Any) -> AttachmentInfo:
    if not isinstance(stored, dict):
        return AttachmentInfo(index, "", "", 0)
    try:
        size = max(0, int(stored.get("size") or 0))
    except (TypeError, ValueError):
        size = 0
    return AttachmentInfo(
        index, str(stored.get("filename") or ""), str(stored.get("content_type") or ""), size
    )


def attachment_url(email_id: int, index: int) -> str:
    return f"/comms/email/{email_id}/attachment/{index}/"


# Rendering parses the raw message and sanitises its HTML: about a millisecond an email,
# most of a long thread page. What it gives depends only on the stored email, which is
# written once, so renders are kept in a small in-process cache (`CACHES["rendered"]`).
# The key names the content itself — the raw bytes' digest, a digest of the text and
# attachment list, the email's id (in its attachment links) and this version, raised
# whenever rendering changes — so an id reused after a deletion can never be served
# another message's render. Large renders are not kept, so the cache stays small.
RENDER_VERSION = 1
MAX_CACHED_CHARS = 32_000


def _cache_key(message: Any) -> str | None:
    """None for what cannot be named safely (unsaved, no raw message, broken storage)."""
    try:
        sha, pk = message.raw.sha256, message.pk
        if pk is None or not sha:
            return None
        stored = json.dumps(message.attachments, sort_keys=True, default=str)
        digest = hashlib.blake2b(digest_size=16)
        digest.update((message.text_body or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x00" + stored.encode("utf-8", "surrogatepass"))
    except Exception:
        return None
    return f"email:{RENDER_VERSION}:{pk}:{sha}:{digest.hexdigest()}"


def _deferred_raw(message: Any) -> int | None:
    """The id of the raw message whose bytes were left out of the query, if so."""
    try:
        return message.raw_id if "data" in message.raw.get_deferred_fields() else None
    except Exception:
        return None


def _size(rendered: Rendered) -> int:
    text, page = rendered.text, rendered.html
    size = len(text.new) + len(text.quoted) + len(text.signature)
    if page is not None:
        size += len(page.new) + len(page.quoted) + len(page.signature)
    return size


def render_email(message: Any) -> Rendered:
    """What to show of an `EmailMessage` (from the cache when it was shown lately):
    never raises, whatever its bytes."""
    return render_emails([message])[0]


def render_emails(messages: list[Any]) -> list[Rendered]:
    """`render_email` for many (a thread page): one cache round trip, and the raw bytes
    of those not kept read in one query (the list may come with `raw__data` deferred)."""
    from django.core.cache import caches

    from amends.comms.models import RawMessage

    cache = caches["rendered"]
    keys = [_cache_key(m) for m in messages]
    kept = cache.get_many([k for k in keys if k is not None])
    missing = [m for m, k in zip(messages, keys, strict=True) if kept.get(k) is None]
    deferred = {_deferred_raw(m) for m in missing} - {None}
    if deferred:
        data = dict(RawMessage.objects.filter(pk__in=deferred).values_list("pk", "data"))
        for m in missing:
            if _deferred_raw(m) in data:
                m.raw.data = data[m.raw_id]
    fresh: dict[str, Rendered] = {}
    out = []
    for message, key in zip(messages, keys, strict=True):
        rendered = kept.get(key) if key is not None else None
        if not isinstance(rendered, Rendered):
            rendered = _render_email(message)
            if key is not None and _size(rendered) <= MAX_CACHED_CHARS:
                fresh[key] = rendered
        out.append(rendered)
    if fresh:
        cache.set_many(fresh, timeout=None)
    return out


def _render_email(message: Any) -> Rendered:
    stored = message.attachments if isinstance(message.attachments, list) else []
    attachments = [_attachment_info(i, a) for i, a in enumerate(stored)]
    problems: list[str] = []
    rendered = Rendered(text=split_text(message.text_body or ""), attachments=attachments)
    try:
        raw = bytes(message.raw.data)
    except Exception:
        return rendered
    try:
        msg = _parse(raw)
        if msg is None:
            return rendered
        body, cids = _bodies(msg, [])
        if not body.strip():
            return rendered
        if len(body) > MAX_HTML_CHARS:
            problems.append("The HTML version is very long; the plain text is shown instead.")
        elif too_deep(body):
            problems.append(
                "The HTML version is nested too deeply to show; the plain text is shown instead."
            )
        else:
            prefix = f"/comms/email/{message.pk}/attachment/"
            cid_urls = {cid: attachment_url(message.pk, i) for cid, i in cids.items()}
            rendered.html = split_html(body, cid_urls=cid_urls, image_prefix=prefix)
            if not (rendered.html.new or rendered.html.quoted):
                rendered.html = None
    except Exception as exc:  # best effort: the text is always there
        problems.append(f"The HTML version could not be shown ({type(exc).__name__}).")
        rendered.html = None
    if rendered.html and rendered.html.remote_images:
        n = rendered.html.remote_images
        problems.append(
            f"{n} remote image{'s' if n != 1 else ''} not loaded (they could tell the "
            "sender the message was read)."
        )
    rendered.problems = problems
    return rendered


# --- Quotes: a sentence of the message ---------------------------------------------------


def _normalised(text: str) -> str:
    table = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0xA0: " "}
    return " ".join(text.translate(table).split()).casefold()


def message_plain_text(message: Any) -> str:
    """All the words of a message, for checking a quote: its text and its HTML's text."""
    parts = [message.text_body or ""]
    try:
        rendered = render_email(message)
        if rendered.html is not None:
            h = rendered.html
            parts.append(text_from_html(h.new + h.signature + h.quoted))
    except Exception:  # the text body alone is still checked
        return parts[0]
    return "\n".join(parts)


def quote_occurs(quote: str, text: str) -> bool:
    """True when `quote` appears in `text`, ignoring case, spacing and curly quotes
    (and a leading "> " of quoted lines)."""
    wanted = _normalised(quote)
    if not wanted:
        return False
    haystack = _normalised(text)
    if wanted in haystack:
        return True
    unquoted = "\n".join(line.lstrip("> ") for line in text.splitlines())
    return wanted in _normalised(unquoted)
