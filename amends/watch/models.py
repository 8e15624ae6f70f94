"""Background jobs: one row per unit of work, claimed by a worker loop (`amends worker`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

MAX_ERROR_CHARS = 4000
MAX_MESSAGE_CHARS = 300


class Job(models.Model):
    """A unit of background work, due at `due_at`, run by whichever worker claims it first."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=80)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    last_error = models.TextField(blank=True, default="")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=MAX_MESSAGE_CHARS, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    locked_by = models.CharField(max_length=200, blank=True, default="")
    locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="watch_job_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="watch_job_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(max_attempts__gte=1), name="watch_job_max_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        """Queued or running: the page keeps polling while any job is."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int | None:
        """Progress as a whole percentage, or None when the total is not known."""
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)
