"""Communications with the client: emails, calls, meetings and notes (R22, R23)."""

from __future__ import annotations

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

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="communications"
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
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "direction", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display().lower()}: {self.title}"

    @property
    def title(self) -> str:
        return self.subject or (self.summary[:80] + ("…" if len(self.summary) > 80 else ""))

    @property
    def is_reply_to_client(self) -> bool:
        """A real reply: something we said to the client, not an internal note."""
        return self.direction == self.Direction.OUT and self.channel != self.Channel.NOTE
