"""The firm's playbook, editable by admins (R35): coach rule settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from amends.core.models import Versioned


class CoachRule(Versioned):
    """What an admin tuned for one coach rule (the rule itself lives in
    `amends.coach.rules`). No row means the rule's defaults."""

    class Severity(models.TextChoices):
        DEFAULT = "", "Rule default"
        BLOCK = "block", "Block"
        WARN = "warn", "Warn"
        INFO = "info", "Info"

    code = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(max_length=5, choices=Severity.choices, blank=True, default="")
    extra_phrases = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
