"""Live mailboxes: read new mail from an IMAP server (over SSL) into Amends.

`poll_mailbox()` is what the `comms.poll_mailbox` job runs. It logs in, selects the
folder read-only (nothing on the server is changed, not even the \\Seen flag), and asks
for the messages whose UID is above the account's `last_uid` — all of them again when
the folder's UIDVALIDITY changed (the importer's Message-ID / content-hash dedupe makes
that harmless). Messages are fetched in batches and handed, bytes untouched, to the
importer (`importing.parse_message`, `actions.store_parsed_message`); each batch commits
together with the new `last_uid`, so an interrupted poll resumes where it stopped.

A poll never raises for what the server or the network does: a refused password, an
unknown host, a certificate that cannot be verified or a timeout is written on the
account (`last_error`, `consecutive_failures`) and the next poll is put off with a
growing delay.

The password is kept encrypted (Fernet) with a key derived from `SECRET_KEY` by HKDF
(SHA-256), or from the setting AMENDS_MAILBOX_KEY when it is set.
"""

from __future__ import annotations

import base64
import imaplib
import ipaddress
import logging
import os
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import LoginError
from imapclient.imapclient import SENT

from amends.clients.models import is_public_mail_domain
from amends.comms.actions import Matcher, max_message_bytes, store_parsed_message
from amends.comms.importing import ParsedMessage, Rejected, parse_message
from amends.comms.models import MailboxAccount

logger = logging.getLogger("amends.comms")

CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0
BATCH_SIZE = 25
# A batch holds at most this many bytes of mail (a larger message goes alone).
BATCH_BYTES = 32 * 1024 * 1024
SIZE_CHUNK = 1000  # sizes asked for this many UIDs at a time
MAX_REJECTED_KEPT = 50
MAX_ERROR_CHARS = 1000
# After a failed poll the next one waits interval * 2**(failures - 1), at most this long.
MAX_BACKOFF = timedelta(hours=6)
POLL_JOB_KIND = "comms.poll_mailbox"


class MailboxError(Exception):
    """The server or the network said no. `kind` is auth, dns, tls, timeout, network,
    server, secret or blocked (an internal address); the message says what to do, in
    plain words."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


# --- The password, encrypted -------------------------------------------------------------


def _fernet() -> Fernet:
    configured = str(getattr(settings, "AMENDS_MAILBOX_KEY", "") or "")
    configured = configured or os.environ.get("AMENDS_MAILBOX_KEY", "")
    material = (configured or settings.SECRET_KEY).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"amends mailbox password"
    ).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(password: str) -> str:
    """The password as stored: a Fernet token (authenticated encryption)."""
    return _fernet().encrypt(password.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The stored password, or MailboxError when the key changed since it was saved."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, UnicodeError):
        raise MailboxError(
            "secret",
            "The saved password cannot be read: the server's secret key (AMENDS_SECRET_KEY "
            "or AMENDS_MAILBOX_KEY) changed since it was saved. Enter the password again.",
        ) from None


# --- Connecting --------------------------------------------------------------------------


def ca_file() -> str:
    """The setting AMENDS_IMAP_CA_FILE: extra certificates to trust (a private CA or a
    self-signed server), or empty for the system's."""
    configured = str(getattr(settings, "AMENDS_IMAP_CA_FILE", "") or "")
    return configured or os.environ.get("AMENDS_IMAP_CA_FILE", "")


def ssl_context(*, verify: bool = True) -> ssl.SSLContext:
    """TLS for IMAP: the certificate and host name are checked unless `verify` is off."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = ca_file()
    try:
        return ssl.create_default_context(cafile=cafile or None)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxError(
            "tls", f"AMENDS_IMAP_CA_FILE ({cafile}) cannot be read as certificates: {exc}"
        ) from None


@dataclass
class ServerSettings:
    host: str
    port: int
    username: str
    password: str
    folder: str = "INBOX"
    verify_tls: bool = True

    @classmethod
    def of(cls, account: MailboxAccount) -> ServerSettings:
        return cls(
            host=account.host,
            port=account.port,
            username=account.username,
            password=decrypt_secret(account.secret),
            folder=account.folder,
            verify_tls=account.verify_tls,
        )


def _explain(exc: BaseException, server: ServerSettings) -> MailboxError:
    where = f"{server.host}:{server.port}"
    if isinstance(exc, MailboxError):
        return exc
    if isinstance(exc, LoginError):
        return MailboxError(
            "auth", f"{where} refused the user name or password ({_text(exc) or 'no reason'})."
        )
    if isinstance(exc, socket.gaierror):
        return MailboxError("dns", f"The server name {server.host} cannot be found ({exc}).")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailboxError(
            "tls",
            f"The certificate of {where} cannot be trusted ({exc.verify_message or exc}). "
            "If the server uses a private or self-signed certificate, an operator can "
            "add it with the setting AMENDS_IMAP_CA_FILE.",
        )
    if isinstance(exc, ssl.SSLError):
        return MailboxError(
            "tls", f"A secure (SSL/TLS) connection to {where} failed ({exc}). Is it an IMAPS port?"
        )
    if isinstance(exc, TimeoutError):
        return MailboxError("timeout", f"{where} did not answer in time.")
    if isinstance(exc, imaplib.IMAP4.error):
        return MailboxError("server", f"{where} answered with an error: {_text(exc)}")
    if isinstance(exc, OSError):
        return MailboxError("network", f"Cannot reach {where}: {exc.strerror or exc}.")
    return MailboxError("server", f"{where}: {type(exc).__name__}: {_text(exc)}")


def _text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text[:500]


def private_hosts_allowed() -> bool:
    """The setting AMENDS_IMAP_ALLOW_PRIVATE: may mailboxes live on loopback, private or
    link-local addresses? Off by default, so a user cannot make the server probe its own
    network through "Test connection"."""
    configured = getattr(settings, "AMENDS_IMAP_ALLOW_PRIVATE", None)
    if configured is None:
        configured = os.environ.get("AMENDS_IMAP_ALLOW_PRIVATE", "") in ("1", "true", "yes")
    return bool(configured)


def check_address(server: ServerSettings) -> None:
    """Refuse a server that resolves to an internal address unless the operator allows it."""
    if private_hosts_allowed():
        return
    try:
        found = socket.getaddrinfo(server.host, server.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _explain(exc, server) from None
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise MailboxError(
                "blocked",
                f"{server.host} is an internal address ({address}); mailboxes must be on "
                "the internet unless an operator sets AMENDS_IMAP_ALLOW_PRIVATE=1.",
            )


def connect(server: ServerSettings) -> IMAPClient:
    """An IMAPClient logged in over SSL, with timeouts; MailboxError if it cannot be."""
    check_address(server)
    try:
        client = IMAPClient(
            server.host,
            port=server.port,
            ssl=True,
            ssl_context=ssl_context(verify=server.verify_tls),
            timeout=SocketTimeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        )
    except Exception as exc:
        raise _explain(exc, server) from None
    _cap_literals(client, max_message_bytes() + LITERAL_SLACK)
    try:
        client.login(server.username, server.password)
    except Exception as exc:
        _close(client)
        raise _explain(exc, server) from None
    return client


# A literal may be a message (at most max_message_bytes, which we check with RFC822.SIZE
# before fetching it) or a small string; this much more is allowed for the latter.
LITERAL_SLACK = 64 * 1024


def _cap_literals(client: IMAPClient, cap: int) -> None:
    """imaplib reads every literal the server announces ("{12345}") whole into memory,
    whatever its size. A server that sent a bigger message than the size it announced,
    or a huge literal anywhere, could make this process read gigabytes: refuse any
    literal over `cap` before reading it (the poll then fails, recorded on the account,
    with nothing imported from that batch)."""
    imap = client._imap
    read = imap.read

    def capped_read(size: int) -> bytes:
        if size > cap:
            raise MailboxError(
                "server",
                f"The server sent an item of {size:,} bytes, more than the {cap:,} "
                "a message may have here: it was not read.",
            )
        return read(size)

    imap.read = capped_read


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            logger.debug("Could not close the IMAP connection cleanly.")


def _select(client: IMAPClient, folder: str) -> tuple[int, int]:
    """Select the folder read-only: (UIDVALIDITY, message count)."""
    try:
        info = client.select_folder(folder, readonly=True)
    except imaplib.IMAP4.error as exc:
        raise MailboxError(
            "server", f"The folder “{folder}” cannot be opened: {_text(exc)}"
        ) from None
    return int(info.get(b"UIDVALIDITY", 0)), int(info.get(b"EXISTS", 0))


def find_sent_folder(client: IMAPClient) -> str:
    """The folder the server marks as holding sent mail (RFC 6154 `\\Sent`), else one of
    the usual names ("Sent", "Sent Items", "[Gmail]/Sent Mail"…); empty if none."""
    try:
        found = client.find_special_folder(SENT)
    except imaplib.IMAP4.error:
        return ""
    if isinstance(found, bytes):
        found = found.decode("utf-8", "replace")
    return str(found or "")


def _messages(count: int) -> str:
    return f"{count:,} message{'s' if count != 1 else ''}"


def check_connection(
    server: ServerSettings, *, read_sent: bool = False, sent_folder: str = ""
) -> str:
    """Really log in and open the folder (and the sent folder, when it is to be read);
    says what was found, or raises MailboxError."""
    client = connect(server)
    try:
        _uidvalidity, count = _select(client, server.folder)
        said = f"Connected: {_messages(count)} in {server.folder}."
        if read_sent:
            sent = sent_folder or find_sent_folder(client)
            if not sent:
                said += " No sent folder found: name yours to read your replies."
            elif sent == server.folder:
                said += " The sent folder is the same folder: it is read once."
            else:
                _uidvalidity, count = _select(client, sent)
                said += (
                    f" Sent mail: {_messages(count)} in {sent} (only those to a client are kept)."
                )
    except Exception as exc:
        raise _explain(exc, server) from None
    finally:
        _close(client)
    return said


# --- Polling -----------------------------------------------------------------------------


@dataclass
class PollResult:
    """What one poll did; `error` is set when it stopped early (already recorded)."""

    seen: int = 0
    imported: int = 0
    duplicates: int = 0
    unmatched: int = 0
    not_for_a_client: int = 0  # sent mail to nobody a client knows: not kept
    rejected: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def message(self) -> str:
        text = (
            f"Read {self.seen}: {self.imported} imported, {self.duplicates} already there, "
            f"{self.unmatched} to triage, {len(self.rejected)} rejected"
        )
        if self.not_for_a_client:
            text += f", {self.not_for_a_client} sent to nobody a client knows (not kept)"
        text += "."
        return f"{text} Stopped: {self.error}" if self.error else text


@dataclass(frozen=True)
class _Folder:
    """One folder an account reads, and the account's fields that say how far: the
    folder itself (`folder`), or its sent mail (`sent_folder`)."""

    name_field: str
    validity_field: str
    last_field: str
    sent: bool = False


_MAIN = _Folder("folder", "uidvalidity", "last_uid")
_SENT = _Folder("sent_folder", "sent_uidvalidity", "sent_last_uid", sent=True)


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _source(account: MailboxAccount, folder: _Folder, uid: int) -> str:
    """Where a message came from, as an IMAP URL (RFC 5092)."""
    user = quote(account.username, safe="")
    port = "" if account.port == 993 else f":{account.port}"
    name = quote(getattr(account, folder.name_field), safe="/")
    validity = getattr(account, folder.validity_field)
    return f"imap://{user}@{account.host}{port}/{name};UIDVALIDITY={validity}/;UID={uid}"


def _to_a_client(parsed: ParsedMessage, matcher: Matcher, account: MailboxAccount) -> bool:
    """Is a sent message to someone a client knows: one of its contacts, or an address
    at one of its domains (of the account's client, when it has one)? The rest of the
    owner's sent mail — to friends, suppliers, other firms — is none of Amends' business."""
    others = [
        a
        for a in [*parsed.to, *parsed.cc, *parsed.bcc, parsed.from_address]
        if a and not matcher.is_ours(a)
    ]
    if account.client is not None:
        domains = {d for d in account.client.domains if not is_public_mail_domain(d)}
        return any(a in matcher.contacts or a.rsplit("@", 1)[-1] in domains for a in others)
    return any(a in matcher.contacts or a.rsplit("@", 1)[-1] in matcher.domains for a in others)


def _store(
    account: MailboxAccount, folder: _Folder, data: bytes, matcher: Matcher, uid: int
) -> str:
    """Import one message: 'imported', 'unmatched', 'duplicate', 'not_for_a_client' (sent
    mail to nobody a client knows) or a rejection reason."""
    parsed = parse_message(data, max_bytes=max_message_bytes())
    if isinstance(parsed, Rejected):
        return parsed.reason
    if folder.sent and not _to_a_client(parsed, matcher, account):
        return "not_for_a_client"
    try:
        with transaction.atomic():
            message = store_parsed_message(
                account.owner, parsed, matcher=matcher, source=_source(account, folder, uid)
            )
    except IntegrityError:
        return "duplicate"  # stored meanwhile by another import
    except Exception as exc:  # a bad message never stops the poll
        return f"could not be stored: {type(exc).__name__}: {_text(exc)}"
    if message is None:
        return "duplicate"
    return "unmatched" if message.client_id is None else "imported"


def _check_owner_may_import(account: MailboxAccount) -> None:
    owner = account.owner
    if not owner.is_active:
        raise MailboxError("auth", "The owner of this mailbox can no longer sign in.")
    if owner.is_admin:
        return
    from amends.accounts.queries import is_on_team

    if account.client_id is None or not is_on_team(owner, account.client_id):
        raise MailboxError(
            "auth",
            "The owner of this mailbox is no longer on the team of its client; "
            "an admin or a team member must connect it again.",
        )


def _plan(
    client: IMAPClient, uids: list[int], batch_size: int, limit: int
) -> Iterator[list[tuple[int, int | None]]]:
    """The new UIDs with their sizes (None: gone from the server), in batches of at most
    `batch_size` messages and BATCH_BYTES (one larger message goes alone)."""
    batch: list[tuple[int, int | None]] = []
    weight = 0
    for chunk in _batches(uids, SIZE_CHUNK):
        sizes = client.fetch(chunk, ["RFC822.SIZE"])
        for uid in chunk:
            size = sizes.get(uid, {}).get(b"RFC822.SIZE")
            size = int(size) if size is not None else None
            counted = size if size is not None and size <= limit else 0
            if batch and (len(batch) >= batch_size or weight + counted > BATCH_BYTES):
                yield batch
                batch, weight = [], 0
            batch.append((uid, size))
            weight += counted
    if batch:
        yield batch


def _fetch_new(
    client: IMAPClient,
    account: MailboxAccount,
    folder: _Folder,
    result: PollResult,
    progress: Callable[[PollResult, int], None] | None,
    batch_size: int,
) -> bool:
    """Import what is new in the selected folder, batch by batch. False when the account
    was changed meanwhile (the poll stops: the new settings stand)."""
    last = getattr(account, folder.last_field)
    # "n:*" always answers the highest UID, even when it is below n.
    uids = sorted(int(u) for u in client.search(["UID", f"{last + 1}:*"]) if int(u) > last)
    limit = max_message_bytes()
    matcher = Matcher(account.client)
    for batch in _plan(client, uids, batch_size, limit):
        wanted = [uid for uid, size in batch if size is not None and size <= limit]
        bodies = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
        counts = {"imported": 0, "unmatched": 0, "not_for_a_client": 0}
        rejected: list[dict[str, Any]] = []
        with transaction.atomic():
            for uid, size in batch:
                result.seen += 1
                data = bodies.get(uid, {}).get(b"BODY[]")
                if size is None or (uid in wanted and data is None):
                    reason = "deleted on the server before it could be read"
                elif size > limit:
                    reason = f"larger than {limit / 1024 / 1024:g} MB ({size:,} bytes)"
                else:
                    reason = _store(account, folder, bytes(data), matcher, uid)
                if reason == "duplicate":
                    result.duplicates += 1
                elif reason in counts:
                    counts[reason] += 1
                else:
                    entry = {"uid": uid, "reason": reason[:300]}
                    if folder.sent:
                        entry["folder"] = getattr(account, folder.name_field)
                    rejected.append(entry)
            imported = counts["imported"] + counts["unmatched"]
            kept = (list(account.rejected) + rejected)[-MAX_REJECTED_KEPT:]
            # Only while the account still points at this folder: if someone changed its
            # settings meanwhile, their reset of `last_uid` must stand.
            moved = MailboxAccount.objects.filter(
                pk=account.pk,
                host=account.host,
                port=account.port,
                username=account.username,
                **{
                    folder.validity_field: getattr(account, folder.validity_field),
                    folder.name_field: getattr(account, folder.name_field),
                },
            ).update(
                **{folder.last_field: batch[-1][0]},
                imported_count=F("imported_count") + imported,
                rejected=kept,
            )
            setattr(account, folder.last_field, batch[-1][0])
            account.rejected = kept
        result.imported += imported
        result.unmatched += counts["unmatched"]
        result.not_for_a_client += counts["not_for_a_client"]
        result.rejected += rejected
        logger.info(
            "Mailbox %s: read %s up to UID %s.",
            account.pk,
            getattr(account, folder.name_field),
            batch[-1][0],
        )
        if progress is not None:
            progress(result, len(uids))
        if not moved:
            logger.info("Mailbox %s changed during its poll; stopping.", account.pk)
            return False
    return True


def _read_folder(
    client: IMAPClient,
    account: MailboxAccount,
    folder: _Folder,
    result: PollResult,
    progress: Callable[[PollResult, int], None] | None,
    batch_size: int,
) -> bool:
    """Select the folder and import what is new in it (all of it again when the server
    rebuilt it: what is already here is recognised and skipped)."""
    uidvalidity, _count = _select(client, getattr(account, folder.name_field))
    if getattr(account, folder.validity_field) != uidvalidity:
        # The folder was rebuilt: its UIDs mean something else now.
        MailboxAccount.objects.filter(pk=account.pk).update(
            **{folder.validity_field: uidvalidity, folder.last_field: 0}
        )
        setattr(account, folder.validity_field, uidvalidity)
        setattr(account, folder.last_field, 0)
    return _fetch_new(client, account, folder, result, progress, batch_size)


def _sent_folder(client: IMAPClient, account: MailboxAccount) -> str:
    """The sent folder to read: the one named, or the one the server marks as Sent
    (then remembered on the account, so the list shows it and a rename is noticed). Empty
    when there is none, or when it is the main folder (read once)."""
    if account.sent_folder:
        return "" if account.sent_folder == account.folder else account.sent_folder
    found = find_sent_folder(client)
    if not found or found == account.folder:
        return ""
    MailboxAccount.objects.filter(pk=account.pk, sent_folder="").update(
        sent_folder=found[:200], sent_uidvalidity=None, sent_last_uid=0
    )
    account.sent_folder, account.sent_uidvalidity, account.sent_last_uid = found[:200], None, 0
    return account.sent_folder


def poll_mailbox(
    account: MailboxAccount,
    *,
    progress: Callable[[PollResult, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> PollResult:
    """Import what is new in the account's folder, then in its sent folder (`read_sent`:
    only the messages to a client), and record how the poll went on the account. Raises
    only for errors of Amends itself (after recording them)."""
    result = PollResult()
    started = timezone.now()
    try:
        _check_owner_may_import(account)
        server = ServerSettings.of(account)
        client = connect(server)
        try:
            carry_on = _read_folder(client, account, _MAIN, result, progress, batch_size)
            if carry_on and account.read_sent and _sent_folder(client, account):
                _read_folder(client, account, _SENT, result, progress, batch_size)
        finally:
            _close(client)
    except Exception as exc:
        error = _explain(exc, account_server(account))
        result.error = str(error)
        _record_failure(account, str(error), started)
        if not isinstance(exc, MailboxError | imaplib.IMAP4.error | OSError):
            raise
        return result
    _record_success(account, started)
    return result


def account_server(account: MailboxAccount) -> ServerSettings:
    """The account's server, without its password (for messages)."""
    return ServerSettings(account.host, account.port, account.username, "", account.folder)


def _record_success(account: MailboxAccount, at: datetime) -> None:
    changes = {
        "last_polled_at": at,
        "next_poll_at": at + timedelta(seconds=account.poll_interval),
        "last_error": "",
        "consecutive_failures": 0,
    }
    MailboxAccount.objects.filter(pk=account.pk).update(**changes)
    for name, value in changes.items():
        setattr(account, name, value)


def failure_delay(account: MailboxAccount, failures: int) -> timedelta:
    """How long to wait after `failures` polls in a row failed."""
    seconds = account.poll_interval * 2 ** min(max(failures - 1, 0), 16)
    return min(MAX_BACKOFF, timedelta(seconds=seconds))


def _record_failure(account: MailboxAccount, error: str, at: datetime) -> None:
    failures = account.consecutive_failures + 1
    changes = {
        "last_polled_at": at,
        "next_poll_at": at + failure_delay(account, failures),
        "last_error": error[:MAX_ERROR_CHARS],
        "consecutive_failures": failures,
    }
    MailboxAccount.objects.filter(pk=account.pk).update(**changes)
    for name, value in changes.items():
        setattr(account, name, value)
    logger.warning("Mailbox %s poll failed (%s in a row): %s", account.pk, failures, error)
