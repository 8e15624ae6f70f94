"""Input validation for the outbox pages (forms never save; views call the actions)."""

from __future__ import annotations

from typing import Any

from django import forms

from amends.cases.models import Case, CheckIn
from amends.core.forms import VersionedForm, ZonedDateTimeField, set_timezone
from amends.outbox.models import Agenda, CallPrep

CALL_FORM_FIELDS = [
    "title",
    "scheduled_at",
    "duration_minutes",
    "our_attendees",
    "their_attendees",
    "facts",
    "concerns",
    "proposed_plan",
    "project_state",
    "work_done",
    "choices_made",
    "client_choices_effect",
]


class CallForm(VersionedForm, forms.ModelForm):
    scheduled_at = ZonedDateTimeField(label="When")

    class Meta:
        model = CallPrep
        fields = CALL_FORM_FIELDS
        labels = {
            "our_attendees": "Who attends for us",
            "their_attendees": "Who attends for the client",
            "proposed_plan": "The plan we propose",
            "project_state": "State of the project",
            "work_done": "What has been done",
            "choices_made": "Choices made, and why",
            "client_choices_effect": "Effect of the client's choices",
            "duration_minutes": "Minutes",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in CALL_FORM_FIELDS
            if name not in ("title", "scheduled_at", "duration_minutes")
        }

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_timezone(self, case.client.timezone)
        self.fields["duration_minutes"].min_value = 5  # type: ignore[attr-defined]


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="What was discussed and agreed",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


AGENDA_FORM_FIELDS = ["checkin", "duration_minutes", *Agenda.PARTS]


class AgendaForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = Agenda
        fields = AGENDA_FORM_FIELDS
        labels = {
            "checkin": "Check-in",
            "affirmations": "1. Affirm what is good",
            "current_state": "2. Review the current state",
            "moving_forward": "3. How we move forward",
            "check_ins": "4. When we check in",
            "milestones": "5. Milestones",
            "duration_minutes": "Minutes",
        }
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in Agenda.PARTS}

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["checkin"]
        field.queryset = CheckIn.objects.filter(case=case).order_by("scheduled_at")
        field.empty_label = "Choose a check-in…"


class SendAgendaForm(forms.Form):
    to = forms.CharField(
        label="To",
        max_length=5000,
        help_text="Email addresses, separated by commas. Empty: every contact of the client.",
        required=False,
    )

    def addresses(self) -> list[str]:
        raw = self.cleaned_data.get("to") or ""
        return [a.strip() for a in raw.replace(";", ",").split(",") if a.strip()]


class EmailForm(forms.Form):
    to = forms.CharField(label="To", max_length=5000, help_text="Separated by commas.")
    cc = forms.CharField(label="Cc", max_length=5000, required=False)
    subject = forms.CharField(max_length=300)
    text = forms.CharField(label="Message", max_length=200_000, widget=forms.Textarea)
    in_reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    @staticmethod
    def split(value: str) -> list[str]:
        return [a.strip() for a in (value or "").replace(";", ",").split(",") if a.strip()]
