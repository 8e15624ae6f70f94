"""Input validation for the sharing pages; actions do the writes."""

from __future__ import annotations

from django import forms

from amends.sharing.actions import FEEDBACK_MAX, LABEL_MAX, NAME_MAX, UPDATE_MAX

LIFETIME_CHOICES = [
    ("7", "1 week"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("180", "6 months"),
    ("365", "1 year"),
]


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        required=False,
        max_length=LABEL_MAX,
        label="For whom",
        help_text="For example “Dana at Acme”. Only the team sees this.",
    )
    days = forms.TypedChoiceField(
        choices=LIFETIME_CHOICES, coerce=int, initial="90", label="Works for"
    )


class ClientUpdateForm(forms.Form):
    text = forms.CharField(
        max_length=UPDATE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Text",
        help_text="Shown at the top of the shared document, in these words.",
    )


class FeedbackForm(forms.Form):
    name = forms.CharField(required=False, max_length=NAME_MAX, label="Your name (optional)")
    text = forms.CharField(
        max_length=FEEDBACK_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Your feedback",
        help_text=f"Up to {FEEDBACK_MAX} characters. The team reads every note.",
    )
