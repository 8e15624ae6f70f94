"""Email out through SMTP, calls and agendas (R14, R19, R22).

Outgoing email itself is kept in `comms` (`RawMessage`, `EmailMessage`, `Communication`),
exactly like imported mail; this app adds what prepares a conversation: the call sheet
(`CallPrep`) and the five-part check-in agenda (`Agenda`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from amends.core.models import Versioned

USER = settings.AUTH_USER_MODEL
TEXT = 10000


class CallPrep(Versioned):
    """A prepared call with the client (R14): who attends, the facts, the client's open
    concerns, the plan we propose and the denouement to agree (R9); then its outcome,
    recorded as a call on the case, followed by a written recap (R22)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="call_preps")
    title = models.CharField(max_length=200, blank=True)
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    our_attendees = models.TextField(blank=True, max_length=2000, help_text="One per line.")
    their_attendees = models.TextField(blank=True, max_length=2000, help_text="One per line.")
    facts = models.TextField(blank=True, max_length=TEXT)
    concerns = models.TextField(blank=True, max_length=TEXT)
    proposed_plan = models.TextField(blank=True, max_length=TEXT)
    project_state = models.TextField(
        blank=True, max_length=TEXT, help_text="The state of the project (R9)."
    )
    work_done = models.TextField(blank=True, max_length=TEXT, help_text="What has been done.")
    choices_made = models.TextField(
        blank=True, max_length=TEXT, help_text="Which choices were made, and why."
    )
    client_choices_effect = models.TextField(
        blank=True, max_length=TEXT, help_text="What effect the client's own choices had."
    )
    outcome = models.TextField(blank=True, max_length=20000)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    communication = models.ForeignKey(
        "comms.Communication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_preps",
        help_text="The call, once held and recorded.",
    )
    recap_draft_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The compose draft of the written recap."
    )
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"Call {self.scheduled_at:%Y-%m-%d %H:%M}"

    @property
    def is_held(self) -> bool:
        return self.outcome_recorded_at is not None


class Agenda(Versioned):
    """The five-part agenda of a check-in or resolution meeting (R19), kept with the
    check-in and sent to the client with a calendar invitation."""

    PARTS = ("affirmations", "current_state", "moving_forward", "check_ins", "milestones")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="agendas")
    checkin = models.ForeignKey(
        "cases.CheckIn",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agendas",
        help_text="The check-in this agenda is for (its date and time).",
    )
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    affirmations = models.TextField(blank=True, max_length=TEXT, help_text="What is good.")
    current_state = models.TextField(blank=True, max_length=TEXT, help_text="Where we are.")
    moving_forward = models.TextField(blank=True, max_length=TEXT, help_text="How we move on.")
    check_ins = models.TextField(blank=True, max_length=TEXT, help_text="When we check in.")
    milestones = models.TextField(blank=True, max_length=TEXT)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_communication = models.ForeignKey(
        "comms.Communication", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if self.checkin_id and self.checkin is not None:
            return f"Agenda for {self.checkin}"
        return "Agenda"

    def as_text(self) -> str:
        """The agenda as plain text: the body of the email and the invitation."""
        titles = {
            "affirmations": "1. What is going well",
            "current_state": "2. Where we are now",
            "moving_forward": "3. How we move forward",
            "check_ins": "4. When we check in",
            "milestones": "5. Milestones",
        }
        blocks = []
        for part in self.PARTS:
            body = (getattr(self, part) or "").strip() or "(nothing yet)"
            blocks.append(f"{titles[part]}\n{body}")
        return "\n\n".join(blocks)
