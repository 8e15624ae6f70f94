"""The form an admin uses to tune one coach rule."""

from __future__ import annotations

from django import forms

from amends.playbook.models import CoachRule


class CoachRuleForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    enabled = forms.BooleanField(required=False, label="On")
    severity = forms.ChoiceField(choices=CoachRule.Severity.choices, required=False)
    extra_phrases = forms.CharField(
        required=False,
        max_length=12_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Extra phrases",
        help_text="One per line (at most 50, each up to 200 characters).",
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
