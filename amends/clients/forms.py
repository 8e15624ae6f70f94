"""Input validation for clients, contacts and engagements. Saving goes through actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.db.models import QuerySet

from amends.accounts.models import User
from amends.clients.models import WEEKDAYS, Client, Contact, Engagement
from amends.core.forms import DateInput, TimeInput, VersionedForm

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(available_timezones())]
DAY_CHOICES = [(str(i), name) for i, name in enumerate(WEEKDAYS)]


def _user_choice_label(user: User) -> str:
    return f"{user} ({user.username})" if str(user) != user.username else user.username


class ClientForm(VersionedForm, forms.ModelForm):
    """A client's details. `people` limits owner and backup (the team, when editing)."""

    timezone = forms.ChoiceField(
        choices=TIMEZONE_CHOICES,
        initial="UTC",
        label="Time zone",
        error_messages={
            "invalid_choice": "“%(value)s” is not a known time zone "
            "(choose one like Europe/London)."
        },
        help_text="Clocks and dates for this client use it.",
    )
    work_days = forms.MultipleChoiceField(
        choices=DAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Working days",
        initial=["0", "1", "2", "3", "4"],
        error_messages={
            "required": "Choose at least one working day.",
            "invalid_choice": "Working days are Monday to Sunday.",
        },
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "email_domains",
            "timezone",
            "work_start",
            "work_end",
            "work_days",
            "owner",
            "backup",
            "notes",
        ]
        labels = {
            "work_start": "Working day starts",
            "work_end": "Working day ends",
            "email_domains": "Email domains",
        }
        widgets = {
            "work_start": TimeInput(),
            "work_end": TimeInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "owner": {"invalid_choice": "The owner must be someone on this client's team."},
            "backup": {"invalid_choice": "The backup must be someone on this client's team."},
        }

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("owner", "backup"):
            field = self.fields[name]
            field.queryset = people  # type: ignore[attr-defined]
            field.label_from_instance = _user_choice_label  # type: ignore[attr-defined]
        self.fields["owner"].empty_label = "Choose the owner…"  # type: ignore[attr-defined]
        self.fields["backup"].empty_label = "Nobody"  # type: ignore[attr-defined]
        if not self.is_bound:  # the model keeps days as "0,1,2"; the checkboxes want a list
            days = self.instance.work_days or ""
            self.initial["work_days"] = [d.strip() for d in days.split(",") if d.strip()]

    def clean_work_days(self) -> str:
        return ",".join(sorted(set(self.cleaned_data["work_days"]), key=int))

    def clean_email_domains(self) -> str:
        return self.cleaned_data["email_domains"].strip()


class ContactForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "role", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class EngagementForm(VersionedForm, forms.ModelForm):
    budget = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        initial=Decimal("0"),
        error_messages={"min_value": "The budget cannot be negative."},
    )
    used = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        initial=Decimal("0"),
        label="Used so far",
        error_messages={"min_value": "The amount used cannot be negative."},
    )

    class Meta:
        model = Engagement
        fields = ["name", "budget_unit", "currency", "budget", "used", "starts_on", "due_on"]
        labels = {"budget_unit": "Budget in", "starts_on": "Starts", "due_on": "Due"}
        widgets = {"starts_on": DateInput(), "due_on": DateInput()}

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if currency and (len(currency) != 3 or not currency.isascii() or not currency.isalpha()):
            raise forms.ValidationError("A currency is a three-letter code such as GBP or EUR.")
        return currency

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("budget_unit") == Engagement.BudgetUnit.MONEY and not data.get("currency"):
            self.add_error("currency", "Give the currency of a money budget, e.g. GBP.")
        return data


# ---- the timeline's filters -------------------------------------------------------------

TIMELINE_FILTERS = ("client", "case", "contact", "channel", "direction", "since", "until")
_FILTER_YEARS = (1900, 2999)


def _choose(noun: str) -> dict[str, str]:
    # The same words whether the id does not exist or belongs to someone else's client.
    return {"invalid_choice": f"Choose one of the {noun} listed: that one is not among them."}


class TimelineFilterForm(forms.Form):
    """What a timeline shows (GET parameters, so a filtered view can be bookmarked).

    The choices come from permission-scoped reads given by the view; `clients=None`
    leaves out the client choice (a client's or a case's own timeline), and `cases=None`
    the case choice (a case's timeline)."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="Every client",
        error_messages=_choose("clients"),
    )
    case = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="Any",
        error_messages=_choose("cases"),
    )
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        empty_label="Anyone",
        label="With",
        error_messages=_choose("contacts"),
    )
    channel = forms.ChoiceField(
        choices=[("", "Everything")],
        required=False,
        label="What",
        error_messages=_choose("kinds"),
    )
    direction = forms.ChoiceField(
        choices=[
            ("", "Any"),
            ("in", "From the client"),
            ("out", "To the client"),
            ("internal", "Internal"),
            ("auto", "Automatic (bounces, auto-replies)"),
        ],
        required=False,
        error_messages=_choose("directions"),
    )
    since = forms.DateField(required=False, label="From", widget=DateInput())
    until = forms.DateField(required=False, label="To", widget=DateInput())

    def __init__(
        self,
        data: Any = None,
        *,
        clients: QuerySet[Client] | None,
        cases: QuerySet[Any] | None,
        contacts: QuerySet[Contact],
    ) -> None:
        from amends.clients.queries import TIMELINE_KIND_LABELS

        super().__init__(data)
        fields = self.fields
        if clients is None:
            del fields["client"]
        else:
            fields["client"].queryset = clients  # type: ignore[attr-defined]
        if cases is None:
            del fields["case"]
        else:
            fields["case"].queryset = cases  # type: ignore[attr-defined]
        fields["contact"].queryset = contacts  # type: ignore[attr-defined]
        fields["channel"].choices = [("", "Everything"), *TIMELINE_KIND_LABELS.items()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("since"), data.get("until")
        low, high = _FILTER_YEARS
        for name, day in (("since", first), ("until", last)):
            if day is not None and not low <= day.year <= high:
                self.add_error(name, f"Give a date between the years {low} and {high}.")
        if first and last and first > last:
            self.add_error("until", "The end of the range is before its start.")
        return data
