"""Input validation for the case pages.

Forms only validate: views hand `cleaned_data` to `amends.cases.actions` (or
`amends.comms.actions`), which do every write. One form class per kind of thing inside a
case is built from `PARTS` and the model, so the nine sections share one code path; the
per-kind differences (labels, which fields appear when adding) are the tables below.

Datetimes are typed in the client's time zone (`ZonedDateTimeField`, zone set per form).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import list_team
from amends.cases.lifecycle import moves_from
from amends.cases.models import Case
from amends.cases.parts import PARTS
from amends.clients.models import Client, Contact, Engagement
from amends.clients.queries import list_clients, list_engagements
from amends.comms.models import Communication
from amends.comms.queries import list_communications
from amends.core.forms import DateInput, VersionedForm, ZonedDateTimeField, set_timezone

# A datetime the user types may be a few minutes ahead of the server's clock.
FUTURE_SLACK = timedelta(minutes=5)
# Datetimes outside these years are typing mistakes (or hostile).
FIRST_YEAR, LAST_YEAR = 1900, 2999
# Dropdowns of messages stay short; older messages are still linkable from the comms pages.
MESSAGE_CHOICES = 200

# What each kind asks for when it is first added (a calm, short form); editing shows
# every field in PARTS.
ADD_FIELDS: dict[str, tuple[str, ...]] = {
    "concern": ("text", "kind", "source", "communication", "raised_at"),
    "expectation": (
        "expected_by_client",
        "expected_by_team",
        "delivered",
        "constraint",
        "constraint_reason",
        "agreed",
    ),
    "action": (
        "title",
        "horizon",
        "owner",
        "deadline",
        "success_measure",
        "concern",
        "expectation",
    ),
    "commitment": ("what", "to_whom", "contact", "owner", "due_at"),
    "concession": ("kind", "description", "value", "cost", "currency", "status"),
    "checkin": ("scheduled_at", "agenda"),
    "milestone": ("title", "due_on"),
    "positive": ("text", "by_client", "noted_at"),
}

LABELS: dict[str, dict[str, str]] = {
    "concern": {
        "text": "What the client said",
        "source": "Where they said it",
        "communication": "From the message",
        "raised_at": "Raised at",
        "answer": "Our answer",
    },
    "expectation": {
        "expected_by_client": "What the client expected",
        "expected_by_team": "What the team expected",
        "delivered": "What was delivered",
        "constraint": "Constraint",
        "constraint_reason": "Why the constraint exists",
        "agreed": "Agreed with the client",
    },
    "action": {
        "title": "Action",
        "owner": "Owner",
        "success_measure": "Measure of success",
        "concern": "Answers the concern",
        "expectation": "Answers the expectation",
    },
    "commitment": {
        "what": "What we promised",
        "to_whom": "To whom",
        "contact": "Client contact",
        "owner": "Who keeps it",
        "due_at": "Due",
        "kept_at": "Kept at",
    },
    "concession": {"value": "Value to the client", "cost": "Cost to us"},
    "checkin": {"scheduled_at": "Scheduled for", "held_at": "Held at"},
    "milestone": {"due_on": "Due on", "reached_at": "Reached at"},
    "positive": {
        "text": "What went well",
        "by_client": "A helpful act of the client's",
        "noted_at": "Noted at",
    },
}

HELP: dict[str, dict[str, str]] = {
    "concern": {
        "text": "Verbatim, in their words. Feelings are facts too: “we feel ignored”.",
        "source": "For example “Email from Dana” or “Call on Monday”.",
        "communication": "The recorded message it came from, if there is one.",
        "answer": "Writing the answer marks the concern answered; so does a linked action.",
    },
    "expectation": {
        "constraint": "Anything that prevents meeting the expectation, said openly.",
    },
    "action": {
        "horizon": "Immediate: damage control. Short term: process, training, protocols. "
        "Long term: strategy, team development.",
        "success_measure": "How we and the client will know it worked.",
        "owner": "Someone on this client's team.",
    },
    "commitment": {"what": "A small, deliverable promise. Track every one."},
    "concession": {"currency": "Three letters, for example GBP or EUR."},
    "checkin": {
        "agenda": "What is good, where we are, how we move forward, when we check in next, "
        "milestones.",
    },
}

# Marked for the client (R20): what the shared resolution document may show
# (`amends.sharing`). Defaults are on the models; see docs/user-guide.md.
FOR_CLIENT_KINDS = ("expectation", "action", "commitment", "concession", "checkin", "milestone")
for _kind in FOR_CLIENT_KINDS:
    ADD_FIELDS[_kind] = (*ADD_FIELDS[_kind], "for_client")
    LABELS.setdefault(_kind, {})["for_client"] = "Show to the client"
    HELP.setdefault(_kind, {})["for_client"] = (
        "Shown on the resolution document shared with the client."
    )

CHECKIN_AGENDA = (
    "1. What is going well\n"
    "2. Where we are now\n"
    "3. How we move forward\n"
    "4. When we check in next\n"
    "5. Milestones"
)

# What an empty choice means, instead of Django's "---------".
EMPTY_LABELS = {
    "owner": "Not assigned yet",
    "concern": "None",
    "expectation": "None",
    "contact": "None",
    "communication": "None",
}

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def team_users(client: Client) -> QuerySet[User]:
    """Active people on the client's team: the only valid owners and points of contact."""
    ids = list_team(client.pk).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "username")


def recent_messages(
    user: User, client: Client, *, channels: Sequence[str] = ()
) -> QuerySet[Communication]:
    """The client's latest messages the user may see, for a dropdown.

    Returned unsliced (a choice field must filter it to validate a choice), restricted to
    the ids of the latest MESSAGE_CHOICES.
    """
    qs = list_communications(user, client=client)
    if channels:
        qs = qs.filter(channel__in=channels)
    latest = list(qs.order_by("-occurred_at").values_list("pk", flat=True)[:MESSAGE_CHOICES])
    return qs.filter(pk__in=latest).order_by("-occurred_at")


def _sensible_year(value: datetime | None) -> None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise forms.ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.")


def zone_datetimes(form: forms.BaseForm, tz_name: str) -> None:
    """Read every ZonedDateTimeField of `form` in the client's zone (named in its help),
    and refuse absurd years, which would overflow when stored in UTC (a 500, not an error)."""
    set_timezone(form, tz_name)
    for field in form.fields.values():
        if isinstance(field, ZonedDateTimeField) and _sensible_year not in field.validators:
            field.validators.append(_sensible_year)


def _not_future(value: datetime | None) -> datetime | None:
    if value is not None and value > timezone.now() + FUTURE_SLACK:
        raise forms.ValidationError("This cannot be in the future.")
    return value


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _widgets(kind: str) -> dict[str, type[forms.Widget] | forms.Widget]:
    """Small text areas; date pickers for dates (datetimes come from ZonedDateTimeField)."""
    widgets: dict[str, type[forms.Widget] | forms.Widget] = {}
    for name in PARTS[kind].fields:
        internal = _internal_type(kind, name)
        if internal == "TextField":
            widgets[name] = _textarea()
        elif internal == "DateField":
            widgets[name] = DateInput()
    return widgets


def _field_classes(kind: str) -> dict[str, type[forms.Field]]:
    return {
        name: ZonedDateTimeField
        for name in PARTS[kind].fields
        if _internal_type(kind, name) == "DateTimeField"
    }


def _internal_type(kind: str, name: str) -> str:
    field = PARTS[kind].model._meta.get_field(name)
    return field.get_internal_type() if isinstance(field, models.Field) else ""


class PartForm(forms.Form):
    """Base of every add and edit form of a case's sections.

    `scope` limits every choice to the case: owners from the team, links from this case
    or client. A value from elsewhere (another case's concern, an outsider as owner) is
    then an invalid choice with a clear message, before the action's own check runs.
    """

    part_kind = ""

    def scope(self, case: Case, user: User) -> None:
        client = case.client
        choices: dict[str, QuerySet[Any]] = {
            "owner": team_users(client),
            "concern": case.concerns.all(),
            "expectation": case.expectations.all(),
            "contact": client.contacts.all(),
            "communication": recent_messages(user, client),
        }
        for name, queryset in choices.items():
            if name in self.fields:
                set_choices(self, name, queryset, empty=EMPTY_LABELS[name])
        for field in self.fields.values():
            # Callable model defaults (timezone.now) would add hidden "initial-" inputs.
            field.show_hidden_initial = False
        zone_datetimes(self, client.timezone)

    def clean_currency(self) -> str:
        value = str(self.cleaned_data.get("currency", "")).strip().upper()
        if not _CURRENCY.match(value):
            raise forms.ValidationError("Use a three-letter currency code, like GBP.")
        return value

    def clean_raised_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("raised_at"))

    def clean_noted_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("noted_at"))

    def clean_held_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("held_at"))

    def clean_kept_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("kept_at"))

    def clean_reached_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("reached_at"))


class PartEditForm(PartForm, VersionedForm):
    """Base of the inline edit form of each kind; carries the version the editor saw."""


def set_choices(
    form: forms.BaseForm, name: str, queryset: QuerySet[Any], *, empty: str = ""
) -> None:
    """Limit a model choice field of `form` to `queryset` (and name its empty choice)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    field.queryset = queryset
    if empty:
        field.empty_label = empty


_FORM_CLASSES: dict[tuple[str, bool], type[PartForm]] = {}


def part_form_class(kind: str, *, editing: bool) -> type[PartForm]:
    """The add or edit form class for one kind of thing inside a case (built once)."""
    key = (kind, editing)
    if key not in _FORM_CLASSES:
        part = PARTS[kind]
        names = part.fields if editing else ADD_FIELDS[kind]
        generated = fields_for_model(
            part.model,
            fields=list(names),
            widgets=_widgets(kind),
            labels=LABELS.get(kind, {}),
            help_texts=HELP.get(kind, {}),
            field_classes=_field_classes(kind),
        )
        base = PartEditForm if editing else PartForm
        name = f"{part.model.__name__}{'Edit' if editing else 'Add'}Form"
        _FORM_CLASSES[key] = type(name, (base,), {**generated, "part_kind": kind})
    return _FORM_CLASSES[key]


def make_part_form(
    kind: str,
    case: Case,
    user: User,
    *,
    editing: bool,
    data: Any = None,
    initial: dict[str, Any] | None = None,
    prefix: str,
) -> PartForm:
    """A bound or unbound add/edit form for `kind`, scoped to `case`."""
    form = part_form_class(kind, editing=editing)(data=data, initial=initial, prefix=prefix)
    form.scope(case, user)
    return form


def add_initial(kind: str, now: datetime) -> dict[str, Any]:
    """Sensible starting values for an "Add" form."""
    initial: dict[str, dict[str, Any]] = {
        "checkin": {"agenda": CHECKIN_AGENDA},
        "concern": {"raised_at": now},
        "positive": {"noted_at": now},
    }
    return dict(initial.get(kind, {}))


def changed_values(form: forms.Form, obj: Any) -> dict[str, Any]:
    """The fields the user really changed, compared with the saved row.

    Datetime inputs carry minutes only, so a time equal to the minute is unchanged; this
    keeps an untouched field from being rewritten (and from reaching the timeline).
    """
    changes: dict[str, Any] = {}
    for name, value in form.cleaned_data.items():
        if name == "version" or name not in form.fields:
            continue
        field = obj._meta.get_field(name)
        current = getattr(obj, field.attname)
        new = value.pk if field.is_relation and value is not None else value
        if isinstance(current, datetime) and isinstance(new, datetime):
            if _to_minute(current) == _to_minute(new):
                continue
        elif current == new or (current in (None, "") and new in (None, "")):
            continue
        changes[name] = value
    return changes


def _to_minute(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)


# ---------------------------------------------------------------------------- the case


def _engagement_label(engagement: Engagement) -> str:
    return f"{engagement.client} — {engagement}"


class NewCaseForm(forms.Form):
    """Open a case for a client the user may see (R1: the clock starts at `opened_at`)."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose…")
    title = forms.CharField(max_length=200, help_text="What went wrong, in a few words.")
    severity = forms.ChoiceField(choices=Case.Severity.choices, initial=Case.Severity.MEDIUM)
    summary = forms.CharField(
        required=False, max_length=10000, widget=_textarea(4), help_text="What we know so far."
    )
    engagement = forms.ModelChoiceField(
        queryset=Engagement.objects.none(), required=False, empty_label="None"
    )
    point_of_contact = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="The client's owner",
        help_text="The one person who speaks to the client for the firm (R2).",
    )
    opened_at = ZonedDateTimeField(
        required=False,
        validators=[_sensible_year],
        label="Opened at",
        help_text="The first sign of trouble; backdate it if it started earlier. "
        "Leave empty for now.",
    )

    def __init__(self, *args: Any, user: User, client: Client | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        set_choices(self, "client", list_clients(user))
        if client is not None:
            set_choices(self, "engagement", list_engagements(user, client=client))
            owner = f"{client.owner} (the client's owner)"
            set_choices(self, "point_of_contact", team_users(client), empty=owner)
            zone_datetimes(self, client.timezone)
        else:
            set_choices(self, "engagement", list_engagements(user))
            self.fields["engagement"].label_from_instance = _engagement_label  # type: ignore[attr-defined]
            team = User.objects.filter(pk__in=_team_ids(list_clients(user)))
            set_choices(self, "point_of_contact", team)
            self.fields["opened_at"].help_text += " In the client's time zone."

    def clean_opened_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("opened_at"))


def _team_ids(clients: QuerySet[Client]) -> QuerySet[Any]:
    """User ids on the teams of `clients`."""
    from amends.accounts.models import TeamMembership

    return TeamMembership.objects.filter(client__in=clients).values("user_id")


class CaseDetailsForm(VersionedForm):
    """Edit a case's details; a new point of contact is a hand-off (R3)."""

    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Case.Severity.choices)
    summary = forms.CharField(required=False, max_length=10000, widget=_textarea(4))
    point_of_contact = forms.ModelChoiceField(
        queryset=User.objects.none(),
        empty_label=None,
        help_text="Changing it hands the case over; the hand-off goes on the timeline.",
    )
    engagement = forms.ModelChoiceField(
        queryset=Engagement.objects.none(), required=False, empty_label="None"
    )
    opened_at = ZonedDateTimeField(
        label="Opened at", help_text="The first sign of trouble; the first-response clock's start."
    )

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "point_of_contact", team_users(case.client))
        set_choices(self, "engagement", list_engagements(user, client=case.client))
        zone_datetimes(self, case.client.timezone)

    def clean_opened_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("opened_at"))


class TransitionForm(VersionedForm):
    """Ask to move the case along its lifecycle; the action checks the preconditions."""

    to = forms.ChoiceField(choices=())
    reason = forms.CharField(required=False, max_length=5000, widget=_textarea(3))
    confirmation = forms.CharField(required=False, max_length=5000, widget=_textarea(3))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(m.target, m.label) for m in moves_from(case)]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- the list

OPEN_CHOICES = [("open", "Open cases"), ("all", "All cases")]


class CaseFilterForm(forms.Form):
    """Filters of the case list. Invalid values are reported and ignored, never a 500."""

    open = forms.ChoiceField(choices=OPEN_CHOICES, required=False, label="Show")
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Case.Status.choices], required=False, label="Status"
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, empty_label="Any client", label="Client"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "client", list_clients(user))


# ---------------------------------------------------------------------------- comms

COMM_FIELDS = (
    "channel",
    "direction",
    "occurred_at",
    "contact",
    "person",
    "subject",
    "summary",
    "recap_of",
)


class CommunicationForm(forms.Form):
    """Record an email, call, meeting or note, linked to the case (R22, R23)."""

    channel = forms.ChoiceField(choices=Communication.Channel.choices)
    direction = forms.ChoiceField(
        choices=Communication.Direction.choices,
        help_text="A message to the client stops the first-response clock.",
    )
    occurred_at = ZonedDateTimeField(label="When")
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(), required=False, empty_label="—", label="Client contact"
    )
    person = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="—", label="Who at the firm"
    )
    subject = forms.CharField(required=False, max_length=300)
    summary = forms.CharField(
        required=False, max_length=20000, widget=_textarea(4), label="Summary or text"
    )
    recap_of = forms.ModelChoiceField(
        queryset=Communication.objects.none(),
        required=False,
        empty_label="—",
        label="Recap of the call or meeting",
        help_text="After every call, a written recap follows (R22).",
    )

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = case.client
        set_choices(self, "contact", client.contacts.all())
        set_choices(self, "person", team_users(client))
        calls = [Communication.Channel.CALL, Communication.Channel.MEETING]
        set_choices(self, "recap_of", recent_messages(user, client, channels=calls))
        zone_datetimes(self, client.timezone)

    def clean_occurred_at(self) -> datetime | None:
        return _not_future(self.cleaned_data.get("occurred_at"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("subject") or data.get("summary")):
            self.add_error("summary", "Write a subject or a summary.")
        return data
