"""Communications with the client: emails, calls, meetings and notes (R22, R23)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from amends.core.models import Versioned


class Communication(Versioned):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"

    class Direction(models.TextChoices):
        IN = "in", "From the client"
        OUT = "out", "To the client"
        INTERNAL = "internal", "Internal"
        # Mail no person wrote: a delivery failure (bounce) or an automatic reply. It
        # waits for no reply and has no tone (comms.automatic).
        AUTO = "auto", "Sent automatically"

    # Indexed as the first column of the (client, direction, occurred_at) index.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="communications", db_index=False
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField(db_index=True)
    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who at the firm wrote, called or met.",
    )
    subject = models.CharField(max_length=300, blank=True)
    summary = models.TextField(max_length=20000, blank=True)
    recap_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recaps",
        help_text="The call or meeting this message is the written recap of (R22).",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when recorded by the system (an import from the command line).",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Meetings and calls imported from calendars and CSV files.
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=500, blank=True)
    attendees = models.JSONField(
        default=list,
        blank=True,
        help_text='Who took part: [{"name": ..., "email": ..., "contact": id or null}].',
    )
    external_id = models.CharField(
        max_length=500,
        blank=True,
        help_text="Identity in the source it was imported from (an iCalendar UID and "
        "occurrence, a CSV row key), so re-importing creates nothing new.",
    )
    external_revision = models.PositiveBigIntegerField(
        default=0,
        help_text="Which copy of the event it was last updated from: its iCalendar SEQUENCE,"
        " then when the copy was made (`meeting_actions.revision_of`). An older copy of the"
        " event (a stale export) never overwrites a newer one.",
    )
    source = models.CharField(max_length=1000, blank=True, help_text="Where it was imported from.")
    tone = models.FloatField(
        null=True,
        blank=True,
        help_text="Tone of a message from the client: -1 hostile … 0 neutral … +1 warm.",
    )
    undelivered = models.BooleanField(
        default=False,
        help_text="An email of ours that mail servers returned from every recipient outside"
        " the firm (comms.automatic): the client never read it, so it is no reply.",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "direction", "-occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_communication_per_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.describe(self.channel, self.direction, self.subject, self.summary)

    @classmethod
    def describe(cls, channel: str, direction: str, subject: str, summary: str) -> str:
        """How one is named on the timeline ("Email from the client: Launch date")."""
        channel_label = _CHANNEL_LABELS.get(channel, channel)
        direction_label = _DIRECTION_LABELS.get(direction, direction)
        return f"{channel_label} {str(direction_label).lower()}: {cls._title(subject, summary)}"

    @property
    def title(self) -> str:
        return self._title(self.subject, self.summary)

    @staticmethod
    def _title(subject: str, summary: str) -> str:
        return subject or (summary[:80] + ("…" if len(summary) > 80 else ""))

    @property
    def is_reply_to_client(self) -> bool:
        """A real reply: something we said to the client, not an internal note, and not
        an email mail servers returned."""
        return self.is_reply(self.channel, self.direction, self.undelivered)

    @classmethod
    def is_reply(cls, channel: str, direction: str, undelivered: bool = False) -> bool:
        return direction == cls.Direction.OUT and channel != cls.Channel.NOTE and not undelivered


class UpcomingMeeting(models.Model):
    """A meeting with the client still to come, read from an imported calendar (R22: a
    regular cadence of meetings). It is not a communication yet: once it has happened, the
    next import of the calendar records it on the timeline and this row goes. A later
    copy of the event moves or renames it; a cancelled one takes it away."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    description = models.TextField(max_length=20000, blank=True)
    location = models.CharField(max_length=500, blank=True)
    attendees = models.JSONField(
        default=list,
        blank=True,
        help_text='Who is invited: [{"name": ..., "email": ..., "contact": id or null}].',
    )
    direction = models.CharField(max_length=10, choices=Communication.Direction.choices)
    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who from the firm organises it (or, failing that, takes part).",
    )
    external_id = models.CharField(max_length=500, help_text="The iCalendar UID and occurrence.")
    external_revision = models.PositiveBigIntegerField(default=0)  # `revision_of`
    source = models.CharField(max_length=1000, blank=True, help_text="Where it was imported from.")
    calendar = models.CharField(
        max_length=64,
        blank=True,
        help_text="The whole calendar it was last read from (who imported it and the"
        " calendar's name, hashed; empty for an invitation): a later copy of that calendar"
        " without it means it was taken off.",
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["client", "starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"], name="one_upcoming_meeting_per_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"Meeting {self.starts_at:%Y-%m-%d %H:%M}: {self.title}"

    @property
    def title(self) -> str:
        return self.subject or "(no title)"


class CancelledMeeting(models.Model):
    """A meeting occurrence we know to be cancelled, at the SEQUENCE of its cancellation
    (an iTIP `CANCEL` in email, or `STATUS:CANCELLED` in a calendar). A copy of the event
    that is not newer — an invitation read after its cancellation because the archive
    holds them in another order, or last month's calendar export imported again — does
    not bring it back; a newer one (the organiser reinstating it) does, and this row
    goes. Scoped to the client the cancellation was imported for, or to every client
    when it was matched by its attendees (`client` empty)."""

    external_id = models.CharField(max_length=500, help_text="The iCalendar UID and occurrence.")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    revision = models.PositiveBigIntegerField(default=0)  # `meeting_actions.revision_of`
    cancelled_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["external_id"])]

    def __str__(self) -> str:
        return f"Cancelled meeting {self.external_id} (sequence {self.revision >> 34})"


# Built once: the choices property builds its list on every read.
_CHANNEL_LABELS: dict[str, Any] = dict(Communication.Channel.choices)
_DIRECTION_LABELS: dict[str, Any] = dict(Communication.Direction.choices)


class RawMessage(models.Model):
    """An imported message exactly as received, byte for byte (R23). Written once."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size:,} bytes)"


# A message without In-Reply-To whose subject has a colon ("Re: …"): the only kind a
# later original can adopt into its thread by subject (see comms.actions._Threads).
HEADERLESS_REPLY = models.Q(in_reply_to="") & (
    models.Q(subject__contains=":") | models.Q(subject__contains="：")
)


class EmailMessage(models.Model):
    """What Amends understood of one imported email. Matched to a client, it has a
    `Communication` on the timeline; unmatched (no client), it waits in triage."""

    raw = models.OneToOneField(RawMessage, on_delete=models.PROTECT, related_name="email")
    # Indexed as the first column of the (client, normalised_subject, occurred_at) index.
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="emails",
    )
    # Waiting in triage, set aside by an admin as no client's mail (a newsletter, spam):
    # no longer listed there, and never placed by a later match. Restoring clears it.
    dismissed_at = models.DateTimeField(null=True, blank=True)
    communication = models.OneToOneField(
        Communication,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email",
    )
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.JSONField(default=list, blank=True)
    thread_root = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="thread_messages",
        help_text="The first known message of the thread (itself for a thread's first).",
    )
    from_name = models.CharField(max_length=300, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    to_addresses = models.JSONField(default=list, blank=True)
    cc_addresses = models.JSONField(default=list, blank=True)
    bcc_addresses = models.JSONField(
        default=list, blank=True, help_text="Only in our own sent copy of a message."
    )
    subject = models.CharField(max_length=1000, blank=True)
    normalised_subject = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The Date header, if valid.")
    occurred_at = models.DateTimeField(db_index=True)
    direction = models.CharField(max_length=10, choices=Communication.Direction.choices)
    text_body = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    problems = models.JSONField(default=list, blank=True)
    # Mail no person wrote (comms.automatic): "bounce" (a delivery failure, with the
    # addresses its report says failed in `undelivered`) or "auto-reply"; "" otherwise.
    automatic = models.CharField(max_length=12, blank=True, default="")
    undelivered = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=1000, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="one_email_per_message_id",
            )
        ]
        indexes = [
            models.Index(fields=["client", "normalised_subject", "-occurred_at"]),
            # The few messages threading may still adopt by subject (header-less, with a
            # reply subject, which always has a colon): importing looks them up per batch.
            models.Index(
                fields=["client", "normalised_subject", "occurred_at"],
                condition=HEADERLESS_REPLY,
                name="email_headerless_reply",
            ),
            # The few delivery failures, for "Emails that were not delivered".
            models.Index(
                fields=["-occurred_at"],
                condition=models.Q(automatic="bounce"),
                name="email_bounce",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_address or 'unknown sender'}: {self.subject or '(no subject)'}"

    @property
    def is_thread_root(self) -> bool:
        return self.thread_root_id in (None, self.pk)


class MessageReference(models.Model):
    """One Message-ID an email points at (In-Reply-To or References), so a reply that
    arrives before its original can be threaded when the original comes."""

    # Indexed as the first column of the unique (message, ref) constraint.
    message = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="refs", db_index=False
    )
    ref = models.CharField(max_length=500, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "ref"], name="one_reference_per_id")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.ref}"


class MailboxAccount(Versioned):
    """A live mailbox (IMAP over SSL) the worker polls for new mail, for one user.

    `secret` is the password encrypted with a key derived from the server's secret (see
    `comms.mailboxes`); it is never shown back. `uidvalidity` and `last_uid` say how far
    the folder has been read, so a poll fetches only what is new and an interrupted poll
    resumes where it stopped; `sent_uidvalidity` and `sent_last_uid` say the same of the
    sent folder (`read_sent`), whose messages are kept only when they are to a client.
    """

    MIN_POLL_SECONDS = 60
    DEFAULT_POLL_SECONDS = 300

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailboxes"
    )
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text="Every message goes to this client; empty: matched by address.",
    )
    label = models.CharField(max_length=100, blank=True)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    username = models.CharField(max_length=320)
    secret = models.TextField(blank=True, help_text="The password, encrypted.")
    folder = models.CharField(max_length=200, default="INBOX")
    verify_tls = models.BooleanField(
        default=True, help_text="Check the server's certificate (only admins may turn it off)."
    )
    enabled = models.BooleanField(default=True)
    poll_interval = models.PositiveIntegerField(
        default=DEFAULT_POLL_SECONDS, help_text="Seconds between polls (at least 60)."
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    read_sent = models.BooleanField(
        default=True,
        help_text="Also read the owner's sent mail (the messages to a client), so the "
        "clocks know what was answered.",
    )
    sent_folder = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the sent mail is; empty: the folder the server marks as Sent.",
    )
    sent_uidvalidity = models.BigIntegerField(null=True, blank=True)
    sent_last_uid = models.BigIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(
        default=list, blank=True, help_text='The latest rejected messages: [{"uid", "reason"}].'
    )
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label", "username", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(poll_interval__gte=60), name="mailbox_poll_interval_min"
            ),
            models.CheckConstraint(
                condition=models.Q(port__gte=1, port__lte=65535), name="mailbox_port_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.address

    @property
    def address(self) -> str:
        """user@host/folder, as people read it (never the password)."""
        return f"{self.username}@{self.host}/{self.folder}"
