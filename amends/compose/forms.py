"""Input validation for the composer and the template pages (never saves)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_email

from amends.compose.models import MAX_BODY, MAX_BULLETS, MAX_SUBJECT, MAX_TEMPLATE, Kind
from amends.core.forms import VersionedForm

MAX_CC = 10


class DraftForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.FREE, label="Kind of message")
    subject = forms.CharField(max_length=MAX_SUBJECT, required=False)
    bullets = forms.CharField(
        label="Bullet points",
        required=False,
        max_length=MAX_BULLETS,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        help_text="Plan the message first (R13): one point per line under each heading. "
        "Then fill out the message from them.",
    )
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 22}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


class CoachForm(forms.Form):
    body = forms.CharField(required=False, max_length=MAX_BODY, strip=False)
    kind = forms.ChoiceField(choices=Kind.choices, required=False)


def _emails(value: str) -> list[str]:
    found = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if len(found) > MAX_CC:
        raise forms.ValidationError(f"At most {MAX_CC} addresses.")
    for address in found:
        try:
            validate_email(address)
        except forms.ValidationError:
            raise forms.ValidationError(f"{address[:100]} is not an email address.") from None
    return found


class SendForm(forms.Form):
    to = forms.MultipleChoiceField(
        label="To",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one recipient."},
    )
    cc = forms.CharField(
        label="Cc",
        required=False,
        max_length=2000,
        help_text="Other addresses, separated by commas (optional).",
    )
    acknowledge = forms.BooleanField(
        required=False,
        label="I have read the coach's blocking findings and send this message anyway.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, recipients: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (r["email"], f"{r['name']} <{r['email']}>" + (f" — {r['role']}" if r["role"] else ""))
            for r in recipients
        ]

    def clean_cc(self) -> list[str]:
        return _emails(self.cleaned_data.get("cc") or "")


class TemplateForm(VersionedForm):
    subject = forms.CharField(max_length=MAX_SUBJECT)
    body = forms.CharField(
        max_length=MAX_TEMPLATE, widget=forms.Textarea(attrs={"rows": 26, "class": "mono"})
    )
