"""The living resolution document shared with the client (R20, R24).

A `ShareLink` is a secret, revocable, expiring URL to one case's client-facing document.
Only the SHA-256 digest of its secret is stored; the secret is shown once, when created.
Every view of the page or the PDF is logged as a `ShareView`. `ClientUpdate` is the
"latest update" the team publishes for the client; `ClientFeedback` is what the client
wrote back on the page.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class ShareLink(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="share_links")
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8, help_text="The first characters, to tell links apart.")
    label = models.CharField(max_length=200, blank=True, help_text="Who it is for.")
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.label or 'Share link'} ({self.hint}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def state(self) -> str:
        """active / expired / revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"


class ShareView(models.Model):
    """One opening of the shared page or its PDF. The address is truncated (privacy)."""

    class Kind(models.TextChoices):
        PAGE = "page", "Page"
        PDF = "pdf", "PDF"

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="views")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.PAGE)
    ip = models.CharField(max_length=64, blank=True, help_text="IPv4 /24 or IPv6 /48 only.")
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} view at {self.at:%Y-%m-%d %H:%M}"


class ClientUpdate(models.Model):
    """A short progress note written for the client; the latest one is on the page."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="client_updates")
    text = models.TextField(max_length=5000)
    published_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.text[:80]


class ClientFeedback(models.Model):
    """What the client wrote on the shared page (R24). Also put on the case timeline."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="client_feedback")
    link = models.ForeignKey(
        ShareLink, on_delete=models.SET_NULL, null=True, related_name="feedback"
    )
    name = models.CharField(max_length=100, blank=True)
    text = models.TextField(max_length=2000)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.text[:80]
