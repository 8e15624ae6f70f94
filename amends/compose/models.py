"""Writing to the client: drafts, their saved versions, and message templates (R13, R35)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from amends.core.models import Versioned

USER = settings.AUTH_USER_MODEL

# Bounds on what a person may type: generous for a real message, small enough that a
# hostile post cannot fill the database or stall the coach.
MAX_SUBJECT = 300
MAX_BULLETS = 10_000
MAX_BODY = 50_000
MAX_TEMPLATE = 20_000


class Kind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    FULL_RESPONSE = "full_response", "Full response"
    CALL_RECAP = "call_recap", "Call recap"
    BUDGET_NOTE = "budget_note", "Budget utilisation note"
    CHANGE_IMPACT = "change_impact", "Change-impact notice"
    HANDOFF_INTRO = "handoff_intro", "Hand-off introduction"
    CHECKIN_INVITATION = "checkin_invitation", "Check-in invitation"
    FREE = "free", "Free text"


class Draft(Versioned):
    """A message to the client being written on a case; versioned on every save."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FREE)
    subject = models.CharField(max_length=MAX_SUBJECT, blank=True)
    bullets = models.TextField(blank=True, max_length=MAX_BULLETS)
    body = models.TextField(blank=True, max_length=MAX_BODY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_communication = models.ForeignKey(
        "comms.Communication", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.subject or f"{self.get_kind_display()} draft"

    @property
    def is_sent(self) -> bool:
        return self.status == self.Status.SENT


class DraftVersion(models.Model):
    """The text of a draft as it was before a save replaced it."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    subject = models.CharField(max_length=MAX_SUBJECT, blank=True)
    bullets = models.TextField(blank=True, max_length=MAX_BULLETS)
    body = models.TextField(blank=True, max_length=MAX_BODY)
    saved_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="compose_draft_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.draft} v{self.number}"


class MessageTemplate(Versioned):
    """An admin-edited starting point for one kind of message (R35)."""

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    subject = models.CharField(max_length=MAX_SUBJECT)
    body = models.TextField(max_length=MAX_TEMPLATE)
    updated_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()
