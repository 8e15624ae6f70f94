"""Building and sending one email through SMTP: pure helpers for `outbox.actions`.

Settings (environment, see docs/operations.md): AMENDS_SMTP_HOST (empty: sending is
refused), AMENDS_SMTP_PORT (0: 25, 587 or 465 by security), AMENDS_SMTP_USER,
AMENDS_SMTP_PASSWORD, AMENDS_SMTP_SECURITY (none, starttls, ssl), AMENDS_SMTP_TIMEOUT,
AMENDS_MAIL_FROM_DOMAIN (the right-hand side of Message-IDs), AMENDS_MAIL_FROM (the
sender when the point of contact has no address, and the envelope sender).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from amends.core.errors import ValidationError

MAX_RECIPIENTS = 50
MAX_SUBJECT = 300
MAX_TEXT = 200_000
MAX_HTML = 500_000
MAX_ATTACHMENTS = 20
MAX_FILENAME = 200
MAX_REFERENCES = 20
SECURITIES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_CONTENT_TYPE = re.compile(
    rf"^({_TOKEN})/({_TOKEN})((?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"[^\"\r\n]*\"))*)\s*$"
)


def has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value


def clean_header(field: str, value: str, *, max_chars: int, required: bool = False) -> str:
    """A single-line header value, or a clear error (CR/LF can never reach a header)."""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    if has_line_break(value):
        raise ValidationError({field: "Must be a single line (no line breaks)."})
    if _CONTROL.search(value):
        raise ValidationError({field: "Must not contain control characters."})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > max_chars:
        raise ValidationError({field: f"At most {max_chars} characters."})
    return value


def clean_address(field: str, value: str) -> str:
    value = clean_header(field, value, max_chars=320, required=True)
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValidationError({field: f"“{value[:100]}” is not an email address."}) from None
    if not value.isascii():
        raise ValidationError({field: f"“{value[:100]}”: only plain ASCII addresses."})
    return value


def clean_addresses(field: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    found: list[str] = []
    for value in values:
        address = clean_address(field, value)
        if address.lower() not in {a.lower() for a in found}:
            found.append(address)
    return found


def clean_content_type(field: str, value: str) -> tuple[str, str, dict[str, str]]:
    value = clean_header(field, value or "application/octet-stream", max_chars=200)
    match = _CONTENT_TYPE.match(value)
    if not match:
        raise ValidationError({field: f"“{value[:100]}” is not a content type."})
    params: dict[str, str] = {}
    for item in match.group(3).split(";"):
        if "=" in item:
            key, _, val = item.strip().partition("=")
            params[key.lower()] = val.strip('"')
    return match.group(1).lower(), match.group(2).lower(), params


@dataclass
class Built:
    raw: bytes
    message_id: str  # without angle brackets
    envelope_from: str
    recipients: list[str]


def message_id_domain(sender: str) -> str:
    configured = str(getattr(settings, "AMENDS_MAIL_FROM_DOMAIN", "") or "").strip()
    if configured and not has_line_break(configured):
        return configured
    return sender.rsplit("@", 1)[-1] if "@" in sender else "amends.invalid"


def build_message(
    *,
    sender_name: str,
    sender: str,
    to: list[str],
    cc: list[str],
    subject: str,
    text: str,
    html: str | None,
    attachments: Sequence[tuple[str, str, bytes]],
    parent_id: str = "",
    parent_references: Sequence[str] = (),
    at: datetime,
    max_bytes: int,
) -> Built:
    """The message's exact bytes (CRLF line endings, as sent and as kept)."""
    msg = MimeMessage(policy=SMTP)
    try:
        who = Address(display_name=sender_name, addr_spec=sender)
        msg["From"] = who
        msg["Reply-To"] = who
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
    except (ValueError, TypeError, IndexError) as exc:
        raise ValidationError(f"An address cannot be used: {exc}") from None
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    message_id = make_msgid(domain=message_id_domain(sender))
    msg["Message-ID"] = message_id
    if parent_id and parent_id.isascii() and not parent_id.startswith("sha256:"):
        refs = [r for r in parent_references if r and r.isascii() and not r.startswith("sha256:")]
        refs = [r for r in dict.fromkeys([*refs, parent_id])][-MAX_REFERENCES:]
        msg["In-Reply-To"] = f"<{parent_id}>"
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for index, (filename, content_type, data) in enumerate(attachments):
        field = f"attachments[{index}]"
        name = clean_header(field, filename, max_chars=MAX_FILENAME, required=True)
        maintype, subtype, params = clean_content_type(field, content_type)
        if not isinstance(data, bytes | bytearray):
            raise ValidationError({field: "The content must be bytes."})
        msg.add_attachment(
            bytes(data), maintype=maintype, subtype=subtype, filename=name, params=params
        )
    raw = msg.as_bytes(policy=SMTP)
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    if len(raw) > max_bytes:
        raise ValidationError(
            f"The message is too large to send: {len(raw):,} bytes, at most {max_bytes:,}."
        )
    envelope = str(getattr(settings, "AMENDS_MAIL_FROM", "") or "").strip() or sender
    return Built(raw, message_id.strip("<>"), envelope, [*to, *cc])


def smtp_settings() -> tuple[str, int, str, float]:
    host = str(getattr(settings, "AMENDS_SMTP_HOST", "") or "").strip()
    if not host:
        raise ValidationError(
            "Sending email is not set up: the server has no SMTP host "
            "(setting AMENDS_SMTP_HOST). Nothing was sent."
        )
    security = str(getattr(settings, "AMENDS_SMTP_SECURITY", "starttls") or "starttls").lower()
    if security not in SECURITIES:
        raise ValidationError(
            f"AMENDS_SMTP_SECURITY must be none, starttls or ssl, not “{security[:20]}”."
        )
    port = int(getattr(settings, "AMENDS_SMTP_PORT", 0) or 0) or DEFAULT_PORTS[security]
    timeout = float(getattr(settings, "AMENDS_SMTP_TIMEOUT", 30) or 30)
    return host, port, security, timeout


def connect() -> smtplib.SMTP:
    """An open, authenticated SMTP session per the settings."""
    host, port, security, timeout = smtp_settings()
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        user = str(getattr(settings, "AMENDS_SMTP_USER", "") or "")
        if user:
            smtp.login(user, str(getattr(settings, "AMENDS_SMTP_PASSWORD", "") or ""))
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:
        smtp.close()


def _reply(resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return " ".join(text.split())[:300]


def deliver(built: Built) -> None:
    """Hand the message to the SMTP server: every recipient accepted, or nothing sent.
    Any failure is a ValidationError saying what went wrong."""
    try:
        smtp = connect()
    except ValidationError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise ValidationError(
            "The SMTP server refused the login (AMENDS_SMTP_USER / PASSWORD). Nothing was sent."
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ValidationError(
            f"Cannot reach the SMTP server ({type(exc).__name__}: {str(exc)[:200]}). "
            "Nothing was sent; try again later."
        ) from None
    try:
        code, resp = smtp.mail(built.envelope_from)
        if code != 250:
            smtp.rset()
            raise ValidationError(f"The SMTP server refused the sender: {code} {_reply(resp)}.")
        for rcpt in built.recipients:
            code, resp = smtp.rcpt(rcpt)
            if code not in (250, 251):
                smtp.rset()
                refused = f"The SMTP server refused {rcpt}: {code} {_reply(resp)}."
                raise ValidationError({"to": f"{refused} Nothing was sent."})
        code, resp = smtp.data(built.raw)
        if code != 250:
            raise ValidationError(f"The SMTP server refused the message: {code} {_reply(resp)}.")
    except ValidationError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise ValidationError(
            f"Sending failed ({type(exc).__name__}: {str(exc)[:200]}). Nothing was sent."
        ) from None
    finally:
        _close(smtp)
