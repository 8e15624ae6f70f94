"""A case: one damaged relationship being repaired, and everything inside it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from amends.core.models import Versioned

USER = settings.AUTH_USER_MODEL


class Case(Versioned):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ASSESSING = "assessing", "Assessing"
        AGREED = "agreed", "Agreed"
        REBUILDING = "rebuilding", "Rebuilding"
        RESOLVED = "resolved", "Resolved"
        LOST = "lost", "Lost"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    CLOSED = (Status.RESOLVED, Status.LOST)

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="cases")
    engagement = models.ForeignKey(
        "clients.Engagement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=10000)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    point_of_contact = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="cases_led")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(help_text="The first sign of trouble; may be backdated.")
    first_response_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    lost_reason = models.TextField(blank=True, max_length=5000)
    client_confirmation = models.TextField(
        blank=True,
        max_length=5000,
        help_text="How the client confirmed the relationship is repaired (needed to resolve).",
    )
    client_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED


class CaseChild(Versioned):
    """Fields every record inside a case shares."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="%(class)ss")
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Concern(CaseChild):
    """What the client said, verbatim, and where (R5); answered before agreeing (R6)."""

    class Kind(models.TextChoices):
        CONCERN = "concern", "Concern"
        QUESTION = "question", "Question"
        FEELING = "feeling", "Feeling"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        WITHDRAWN = "withdrawn", "Withdrawn"

    text = models.TextField(max_length=5000, help_text="In the client's own words.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONCERN)
    source = models.CharField(max_length=300, blank=True, help_text="Where the client said it.")
    communication = models.ForeignKey(
        "comms.Communication", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Expectation(CaseChild):
    """Expected by the client, by the team, and what was delivered (R16)."""

    expected_by_client = models.TextField(max_length=5000)
    expected_by_team = models.TextField(blank=True, max_length=5000)
    delivered = models.TextField(blank=True, max_length=5000)
    constraint = models.TextField(blank=True, max_length=5000)
    constraint_reason = models.TextField(blank=True, max_length=5000)
    agreed = models.BooleanField(default=False)
    for_client = models.BooleanField(
        default=True, help_text="Shown on the document shared with the client (R20)."
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.expected_by_client[:80]


class Action(CaseChild):
    """A step of the plan: owned, dated, measurable, answering something (R18)."""

    class Horizon(models.TextChoices):
        IMMEDIATE = "immediate", "Immediate"
        SHORT = "short", "Short term"
        LONG = "long", "Long term"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    title = models.CharField(max_length=300)
    horizon = models.CharField(max_length=10, choices=Horizon.choices, default=Horizon.IMMEDIATE)
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="case_actions"
    )
    deadline = models.DateField(null=True, blank=True)
    success_measure = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    concern = models.ForeignKey(
        Concern, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    expectation = models.ForeignKey(
        Expectation, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    for_client = models.BooleanField(
        default=True, help_text="Shown on the document shared with the client (R20)."
    )

    class Meta:
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.title


class Commitment(CaseChild):
    """A promise made to the client (R21): kept on time, kept late, or missed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        KEPT = "kept", "Kept"
        MISSED = "missed", "Missed"

    what = models.CharField(max_length=500)
    to_whom = models.CharField(max_length=200, blank=True)
    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kept_at = models.DateTimeField(null=True, blank=True)
    for_client = models.BooleanField(
        default=True, help_text="Shown on the document shared with the client (R20)."
    )

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return self.what

    @property
    def outcome(self) -> str:
        """pending / overdue / kept_on_time / kept_late / missed."""
        if self.status == self.Status.KEPT and self.kept_at:
            return "kept_on_time" if self.kept_at <= self.due_at else "kept_late"
        if self.status == self.Status.MISSED:
            return "missed"
        return "overdue" if self.due_at < timezone.now() else "pending"


class Concession(CaseChild):
    """Amends offered to the client and what they cost the firm (R17)."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", "Discount"
        CREDIT = "credit", "Credit"
        FREE_WORK = "free_work", "Free extra work"
        INVOICE_REDUCTION = "invoice_reduction", "Invoice reduction"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        DELIVERED = "delivered", "Delivered"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=500)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="GBP")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    for_client = models.BooleanField(
        default=True, help_text="Shown on the document shared with the client (R20)."
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description


class CheckIn(CaseChild):
    """A scheduled conversation with the client (R19, R24, R26)."""

    scheduled_at = models.DateTimeField()
    agenda = models.TextField(blank=True, max_length=10000)
    held_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=20000)
    outcome = models.TextField(blank=True, max_length=5000)
    for_client = models.BooleanField(
        default=True, help_text="Shown on the document shared with the client (R20)."
    )

    class Meta:
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return f"Check-in {self.scheduled_at:%Y-%m-%d %H:%M}"


class Milestone(CaseChild):
    title = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    for_client = models.BooleanField(
        default=True, help_text="Shown on the document shared with the client (R20)."
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class Positive(CaseChild):
    """Something that went well, or a helpful act of the client's, worth saying (R25)."""

    text = models.TextField(max_length=5000)
    by_client = models.BooleanField(default=False)
    noted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-noted_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]
