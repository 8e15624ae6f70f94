"""Mail no person wrote (R1, R33): a mail server's report that an email could not be
delivered (a bounce), and an automatic reply (out of office, a ticket's receipt).
Neither waits for a reply, nor has a tone of its own: the import records both with the
direction "automatic" (`actions.Matcher.match`), so no reply clock starts and no tone
trend sours on "Delivery has failed". A bounce belongs to the client whose address
failed, and says which addresses those were.

Bounces are recognised by flufl.bounce (Mailman's detectors, for the reports of some
thirty kinds of mail server), asked only when a message looks like one: a delivery
report (`multipart/report; report-type=delivery-status`), mail from a mail daemon or a
postmaster, or a subject mail servers give their reports. Automatic replies are told by
their headers: `Auto-Submitted` (RFC 3834), and the older `X-Autoreply`,
`X-Autorespond` and `Precedence: auto_reply`. Only the message's own header block is
read for these, never a header quoted in its body. No database here.
"""

from __future__ import annotations

import contextlib
import logging
import re
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from typing import Any, NamedTuple

BOUNCE = "bounce"
AUTO_REPLY = "auto-reply"
MAX_UNDELIVERED = 50  # addresses kept from one report
_HEAD_SCAN = 64 * 1024

# Read from the header block in lower case, after a cheap look for their names.
_REPORT = re.compile(
    rb"(?m)^content-type:[ \t]*multipart/report\b(?:[^\n]|\n[ \t])*?"
    rb"report-type[ \t]*=[ \t]*\"?delivery-status"
)
_AUTOMATIC = re.compile(
    rb"(?m)^(?:auto-submitted:[ \t]*(?!no\b)[a-z]"
    rb"|x-autoreply:[ \t]*(?:yes|true|1)\b"
    rb"|x-autorespond:[ \t]*\S"
    rb"|precedence:[ \t]*auto[_-]reply\b)"
)
# Who sends delivery reports: the start of their address's local part (lower case).
_DAEMONS = (
    "mailer-daemon",
    "mailerdaemon",
    "mail-daemon",
    "maildaemon",
    "postmaster",
    "mail.delivery.system",
    "mail-delivery-subsystem",
    "mdaemon",
    "ndr",
    "microsoftexchange",
)
_DAEMON = re.compile(
    r"(?:mailer-?daemon|mail-?daemon|postmaster|mail\.delivery\.system"
    r"|mail-delivery-subsystem|mdaemon|ndr|microsoftexchange[0-9a-f]{32})\b"
)
# Words of the subjects mail servers give their reports (lower case), in the languages
# seen most; looked for as they are, a few microseconds a message.
_SUBJECT_WORDS = (
    "undeliver",
    "non-deliver",
    "nondeliver",
    "non deliver",
    "delivery status",
    "delivery fail",
    "delivery has failed",
    "delivery notification",
    "delivery problem",
    "delivery report",
    "failure notice",
    "returned mail",
    "mail delivery",
    "could not be delivered",
    "delivery to the following",
    "rejected mail",
    "mail error",
    "returned to sender",
    "unzustellbar",
    "nicht zustellbar",
    "non remis",
    "non distribuable",
    "no se puede entregar",
    "no entregado",
    "non recapitabile",
    "onbestelbaar",
    "niedostarczon",
    "не доставлено",
    "недоставлен",
    "未送達",
    "退信",
    "投递失败",
)

logging.getLogger("flufl.bounce").setLevel(logging.WARNING)  # it logs every detector


class Found(NamedTuple):
    """What `classify` makes of a message."""

    kind: str  # BOUNCE, AUTO_REPLY, or "" for mail a person wrote
    undelivered: list[str]  # a bounce's failed addresses
    returned: str = ""  # a bounce's Message-ID of the email it returns (no <>)


def classify(raw: bytes, from_address: str, subject: str) -> Found:
    """What a message is: a bounce (with the addresses that failed, and the Message-ID
    of the email it returns, when its report includes that email's headers), an
    automatic reply, or mail a person wrote ("")."""
    head = b"\n" + raw[: _header_end(raw)].lower()
    report = b"report-type" in head and _REPORT.search(head) is not None
    local = from_address.rsplit("@", 1)[0].lower()
    daemon = not local or (local.startswith(_DAEMONS) and _DAEMON.match(local) is not None)
    lowered = (subject or "").lower()
    titled = any(word in lowered for word in _SUBJECT_WORDS)
    if report or daemon or titled:
        message = _message(raw)
        failed = _failed(message) if message is not None else []
        if failed or report or (daemon and titled):
            return Found(BOUNCE, failed, _returned(message) if message is not None else "")
    # Their names hold "auto", but Precedence: the regular expression only when one may.
    if (b"auto" in head or b"\nprecedence:" in head) and _AUTOMATIC.search(head) is not None:
        return Found(AUTO_REPLY, [])
    return Found("", [])


def _header_end(raw: bytes) -> int:
    """Where the message's header block ends (its first empty line), within the first
    `_HEAD_SCAN` bytes; looked for by the line ends the message uses."""
    first = raw.find(b"\n", 0, 4096)
    crlf = first > 0 and raw[first - 1 : first] == b"\r"
    end = raw.find(b"\r\n\r\n" if crlf else b"\n\n", 0, _HEAD_SCAN)
    return end if end >= 0 else min(len(raw), _HEAD_SCAN)


def _message(raw: bytes) -> Message | None:
    try:
        return message_from_bytes(raw, policy=email_policy.compat32)
    except Exception:  # the standard library's parser rarely gives up; never stop for it
        return None


def _failed(message: Message) -> list[str]:
    """The addresses a delivery report says could not be reached (temporarily or for
    good), as flufl.bounce finds them; [] when it finds none."""
    from flufl.bounce import all_failures

    found: set[bytes] = set()
    with contextlib.suppress(Exception):  # a detector tripping on a hostile message
        temporary, permanent = all_failures(message)
        found = {*temporary, *permanent}
    addresses = set()
    for value in found:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        text = text.strip().strip("<>").strip().casefold()
        if "@" in text and not any(c.isspace() or c in '<>",' for c in text) and len(text) <= 320:
            addresses.add(text)
    return sorted(addresses)[:MAX_UNDELIVERED]


_RETURNED_TYPES = ("text/rfc822-headers", "message/rfc822-headers", "message/rfc822")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
_MAX_PARTS = 100


def _returned(message: Message) -> str:
    """The Message-ID of the email a delivery report returns, from the headers (or the
    whole email) it includes; "" when it includes none."""
    with contextlib.suppress(Exception):
        for number, part in enumerate(message.walk()):
            if number >= _MAX_PARTS:
                break
            if part.get_content_type() not in _RETURNED_TYPES:
                continue
            inner: Any
            if part.is_multipart():  # message/rfc822: the email, parsed
                inner = part.get_payload(0)
            else:
                payload = part.get_payload(decode=True)
                inner = message_from_bytes(payload if isinstance(payload, bytes) else b"")
            found = _MESSAGE_ID.search(str(inner.get("Message-ID", "") or ""))
            if found:
                return found.group(1)
    return ""
