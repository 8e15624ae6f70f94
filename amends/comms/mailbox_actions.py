"""Every write about connected mailboxes: connect, change, remove, and ask for a poll.

(The poll itself, which moves `last_uid` forward as it imports, is `mailboxes.poll_mailbox`.)
Who may do what: anyone may connect their own mailbox, tied to a client whose team they
are on; only admins may leave the client empty (messages are then matched to clients by
address, as the importer does) or turn certificate checks off.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import is_on_team
from amends.clients.models import Client
from amends.comms.mailboxes import POLL_JOB_KIND, encrypt_secret
from amends.comms.models import MailboxAccount
from amends.core.errors import NotFound, ValidationError
from amends.core.models import update_versioned
from amends.watch.actions import enqueue_job
from amends.watch.models import Job

MAX_PASSWORD_CHARS = 1000
MAX_POLL_SECONDS = 24 * 60 * 60
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Changing any of these points the account at another folder: its UIDs start over
# (the sent folder's too, except for `folder`).
_WHERE_FIELDS = {"host", "port", "username", "folder"}
_SENT_WHERE_FIELDS = {"host", "port", "username", "sent_folder"}
EDITABLE = {
    "label",
    "host",
    "port",
    "username",
    "password",
    "folder",
    "read_sent",
    "sent_folder",
    "client",
    "verify_tls",
    "enabled",
    "poll_interval",
}


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def clean_fields(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check and normalise the fields given; ValidationError naming each bad one."""
    errors: dict[str, str] = {}
    out = dict(fields)
    for name in ("label", "host", "username", "folder", "sent_folder"):
        if name in out:
            value = str(out[name] or "").strip()
            if _CONTROL.search(value):
                errors[name] = "Control characters are not allowed."
            out[name] = value
    if "host" in out:
        host = out["host"].lower()
        if not host:
            errors["host"] = "Give the IMAP server's name, e.g. imap.example.com."
        elif "://" in host or "/" in host or not _valid_host(host):
            errors["host"] = "Give a server name or address only, e.g. imap.example.com."
        out["host"] = host
    if "port" in out:
        try:
            port = int(out["port"])
        except (TypeError, ValueError):
            port = 0
        if not 1 <= port <= 65535:
            errors["port"] = "A port is a number from 1 to 65535 (IMAP over SSL: 993)."
        out["port"] = port
    if "username" in out and not out["username"]:
        errors["username"] = "Give the user name you sign in to the mailbox with."
    elif "username" in out and len(out["username"]) > 320:
        errors["username"] = "At most 320 characters."
    if "label" in out and len(out["label"]) > 100:
        errors["label"] = "At most 100 characters."
    if "folder" in out:
        if not out["folder"]:
            out["folder"] = "INBOX"
        if len(out["folder"]) > 200:
            errors["folder"] = "At most 200 characters."
    if "sent_folder" in out and len(out["sent_folder"]) > 200:
        errors["sent_folder"] = "At most 200 characters."
    if "read_sent" in out:
        out["read_sent"] = bool(out["read_sent"])
    if "password" in out:
        password = str(out["password"] or "")
        if "\x00" in password or len(password) > MAX_PASSWORD_CHARS:
            errors["password"] = f"A password is at most {MAX_PASSWORD_CHARS} characters."
        elif creating and not password:
            errors["password"] = "Give the mailbox's password (or an app password)."
        out["password"] = password
    if "poll_interval" in out:
        try:
            interval = int(out["poll_interval"])
        except (TypeError, ValueError):
            interval = 0
        if not MailboxAccount.MIN_POLL_SECONDS <= interval <= MAX_POLL_SECONDS:
            errors["poll_interval"] = (
                "Poll every 60 seconds at the most often, once a day at least."
            )
        out["poll_interval"] = interval
    if errors:
        raise ValidationError(errors)
    return out


def _check_client(actor: User, client: Client | None, owner: User | None = None) -> None:
    """`actor` may tie the mailbox to `client`, and so may its owner (polls import as the
    owner, with the owner's rights)."""
    owner = owner or actor
    if client is None:
        if not actor.is_admin or not owner.is_admin:
            raise ValidationError(
                {"client": "Choose one of your clients: only admins may import for every client."}
            )
        return
    if not is_on_team(actor, client.pk):
        raise NotFound("client")
    if not is_on_team(owner, client.pk):
        raise ValidationError(
            {"client": f"The mailbox's owner, {owner}, is not on this client's team."}
        )


def _check_tls(actor: User, verify_tls: bool) -> None:
    if not verify_tls and not actor.is_admin:
        raise ValidationError(
            {"verify_tls": "Only an admin may turn off the check of the server's certificate."}
        )


@transaction.atomic
def connect_mailbox(
    actor: User,
    *,
    host: str,
    username: str,
    password: str,
    port: int = 993,
    folder: str = "INBOX",
    read_sent: bool = True,
    sent_folder: str = "",
    client: Client | None = None,
    label: str = "",
    poll_interval: int = MailboxAccount.DEFAULT_POLL_SECONDS,
    verify_tls: bool = True,
    enabled: bool = True,
) -> MailboxAccount:
    """Connect `actor`'s mailbox; the first poll is due at once. The caller fetched
    `client` through `get_client_for`."""
    fields = clean_fields(
        {
            "host": host,
            "port": port,
            "username": username,
            "password": password,
            "folder": folder,
            "read_sent": read_sent,
            "sent_folder": sent_folder,
            "label": label,
            "poll_interval": poll_interval,
        },
        creating=True,
    )
    _check_client(actor, client)
    _check_tls(actor, verify_tls)
    password = fields.pop("password")
    account = MailboxAccount(
        owner=actor,
        client=client,
        secret=encrypt_secret(password),
        verify_tls=verify_tls,
        enabled=enabled,
        next_poll_at=timezone.now(),
        **fields,
    )
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def update_mailbox(
    actor: User, account: MailboxAccount, *, version: int | None, **fields: Any
) -> MailboxAccount:
    """Change a mailbox. An empty or absent password keeps the saved one. Pointing it at
    another server, user or folder (or sent folder) starts reading that folder from the
    beginning. An empty sent folder is looked for again at the next poll."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    fields = clean_fields(fields, creating=False)
    if "client" in fields and fields["client"] != account.client:
        _check_client(actor, fields["client"], owner=account.owner)
    if "verify_tls" in fields and not fields["verify_tls"] and account.verify_tls:
        _check_tls(actor, False)
    password = fields.pop("password", "")
    changes = {k: v for k, v in fields.items() if getattr(account, k) != v}
    if password:
        changes["secret"] = encrypt_secret(password)
    if changes.keys() & _WHERE_FIELDS:
        changes.update(uidvalidity=None, last_uid=0)
    if changes.keys() & _SENT_WHERE_FIELDS:
        changes.update(sent_uidvalidity=None, sent_last_uid=0)
    if changes.keys() - {"label", "enabled"} or (changes.get("enabled") and not account.enabled):
        # New settings (or switched back on): try them at once, and forget old failures.
        changes.update(next_poll_at=timezone.now(), consecutive_failures=0, last_error="")
    update_versioned(account, version, **changes)
    return account


@transaction.atomic
def remove_mailbox(actor: User, account: MailboxAccount) -> None:
    """Forget a mailbox and its password. What was imported from it stays."""
    Job.objects.filter(
        kind=POLL_JOB_KIND, status=Job.Status.QUEUED, payload__mailbox=account.pk
    ).delete()
    account.delete()


def active_poll(account: MailboxAccount) -> Job | None:
    """The poll job queued or running for this mailbox, if any."""
    return (
        Job.objects.filter(
            kind=POLL_JOB_KIND,
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
            payload__mailbox=account.pk,
        )
        .order_by("id")
        .first()
    )


@transaction.atomic
def enqueue_poll(
    actor: User | None,
    account: MailboxAccount,
    *,
    now: datetime | None = None,
    scheduled: bool = False,
) -> Job | None:
    """Queue a poll of `account` unless one is queued or running already (then: that one,
    or None when `scheduled`). Claimed with a conditional UPDATE of `next_poll_at`, so
    several workers scheduling at once enqueue it once. `actor` None is the scheduler."""
    now = now or timezone.now()
    if not account.enabled:
        raise ValidationError("This mailbox is disabled; enable it to poll it.")
    if (
        actor is not None
        and account.client_id is not None
        and not is_on_team(actor, account.client_id)
    ):
        raise ValidationError("You are no longer on the team of this mailbox's client.")
    existing = active_poll(account)
    if existing is not None:
        return None if scheduled else existing
    rows = MailboxAccount.objects.filter(pk=account.pk, enabled=True)
    if not scheduled:  # a click: whatever the schedule says now
        account.next_poll_at = rows.values_list("next_poll_at", flat=True).first()
    seen = rows.filter(
        Q(next_poll_at__isnull=True)
        if account.next_poll_at is None
        else Q(next_poll_at=account.next_poll_at)
    )
    # Until the poll says otherwise, the next one is an interval away.
    account.next_poll_at = now + timedelta(seconds=account.poll_interval)
    claimed = seen.update(next_poll_at=account.next_poll_at)
    if claimed != 1:
        return None if scheduled else active_poll(account)
    return enqueue_job(
        actor,
        kind=POLL_JOB_KIND,
        payload={"mailbox": account.pk},
        client=account.client,
        due_at=now,
        max_attempts=1,
    )
