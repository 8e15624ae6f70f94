"""Input validation for recording and editing a communication. Saving goes through actions."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import list_users
from amends.cases.queries import list_cases
from amends.clients.models import Client
from amends.clients.queries import list_contacts
from amends.comms.models import Communication
from amends.comms.queries import list_communications
from amends.comms.triage_actions import MAX_SELECTED
from amends.core.forms import VersionedForm, ZonedDateTimeField, set_timezone

CHANNEL = Communication.Channel
DIRECTION = Communication.Direction


class CommunicationForm(VersionedForm, forms.ModelForm):
    """An email, call, meeting or note. Every choice is limited to this client's records,
    so an id from another client is refused as "not one of the choices"."""

    occurred_at = ZonedDateTimeField(label="When")

    class Meta:
        model = Communication
        fields = [
            "channel",
            "direction",
            "occurred_at",
            "contact",
            "person",
            "case",
            "subject",
            "summary",
            "recap_of",
        ]
        labels = {
            "channel": "Kind",
            "direction": "Direction",
            "contact": "Client contact",
            "person": "Who at the firm",
            "case": "Case",
            "recap_of": "Recap of",
            "summary": "Summary or message",
        }
        help_texts = {
            "person": "Who wrote, called or met.",
            "recap_of": "If this email is the written recap of a call or meeting, choose it.",
        }
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}
        error_messages = {
            "contact": {"invalid_choice": "That contact is not one of this client's contacts."},
            "person": {"invalid_choice": "Choose someone on this client's team."},
            "case": {"invalid_choice": "That case is not one of this client's cases."},
            "recap_of": {"invalid_choice": "Choose one of this client's calls or meetings."},
        }

    def __init__(self, *args: Any, user: User, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_timezone(self, client.timezone)
        f = self.fields
        f["contact"].queryset = list_contacts(user, client=client)  # type: ignore[attr-defined]
        f["person"].queryset = (  # type: ignore[attr-defined]
            list_users(user)
            .filter(Q(memberships__client_id=client.pk) | Q(pk=user.pk), is_active=True)
            .distinct()
        )
        f["case"].queryset = list_cases(user, client=client)  # type: ignore[attr-defined]
        calls = (
            list_communications(user, client=client)
            .filter(channel__in=[CHANNEL.CALL, CHANNEL.MEETING])
            .exclude(direction=DIRECTION.INTERNAL)
        )
        if self.instance.pk:
            calls = calls.exclude(pk=self.instance.pk)
        f["recap_of"].queryset = calls  # type: ignore[attr-defined]
        tz = ZoneInfo(client.timezone)
        f["recap_of"].label_from_instance = (  # type: ignore[attr-defined]
            lambda call: (
                f"{call.get_channel_display()} "
                f"{timezone.localtime(call.occurred_at, tz):%d %b %Y %H:%M} — {call.title}"
            )
        )
        f["case"].empty_label = "No case"  # type: ignore[attr-defined]
        f["contact"].empty_label = "—"  # type: ignore[attr-defined]
        f["person"].empty_label = "—"  # type: ignore[attr-defined]
        f["recap_of"].empty_label = "Not a recap"  # type: ignore[attr-defined]
        if not self.is_bound and self.instance.pk is None:
            # The ModelForm's initial holds the empty instance's None values.
            self.initial["occurred_at"] = self.initial.get("occurred_at") or timezone.now()
            self.initial["person"] = self.initial.get("person") or user.pk

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        recap_of = data.get("recap_of")
        if recap_of is not None and (
            data.get("channel") != CHANNEL.EMAIL or data.get("direction") != DIRECTION.OUT
        ):
            self.add_error(
                "recap_of",
                "A recap is a written message to the client: choose Email and “To the client”.",
            )
        if not (data.get("subject") or "").strip() and not (data.get("summary") or "").strip():
            self.add_error("summary", "Give a subject or a summary, so others know what it was.")
        return data


class ImportForm(forms.Form):
    """An uploaded mail export and, optionally for admins, the client it is all for."""

    file = forms.FileField(
        label="Mail export",
        help_text=(
            "A .eml or .emlx file, an .mbox file (or a .gz, .bz2 or .xz of one, such as a"
            " mailing list's archive), Outlook's .msg or .pst (or .ost) file, or a .zip or"
            " .tgz of a mail export: a Google Takeout, .eml or .msg files, mbox files or a"
            " Maildir."
        ),
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Client",
        help_text="Messages are matched to clients by address; choose a client to put "
        "every message that matches no contact on it.",
        error_messages={"invalid_choice": "Choose one of your clients."},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from amends.clients.queries import list_clients

        field = self.fields["client"]
        field.queryset = list_clients(user)  # type: ignore[attr-defined]
        field.required = not user.is_admin
        field.empty_label = "Match by address (admins)" if user.is_admin else "—"  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    """Triage: the client an unmatched message belongs to."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        label="Client",
        error_messages={"invalid_choice": "Choose a client."},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from amends.clients.queries import list_clients

        self.fields["client"].queryset = list_clients(user)  # type: ignore[attr-defined]


class IdsField(forms.Field):
    """Several message ids from checkboxes (`name="ids"`, repeated), at most `limit`."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args: Any, limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > self.limit:
            raise forms.ValidationError(f"Select at most {self.limit} messages at a time.")
        ids = []
        for item in values:
            text = str(item).strip()
            if not text.isascii() or not text.isdigit() or len(text) > 18:
                raise forms.ValidationError("Select messages from the list.")
            ids.append(int(text))
        return ids


class SelectedForm(AssignForm):
    """Triage: several waiting messages, what to do with them, and (to assign) the
    client they belong to."""

    ids = IdsField(limit=MAX_SELECTED, error_messages={"required": "Select at least one message."})
    action = forms.ChoiceField(
        choices=[
            ("assign", "Assign"),
            ("thread", "Assign each to the client whose mail it answers"),
            ("dismiss", "Dismiss"),
        ]
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["client"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("action") == "assign"
            and not data.get("client")
            and "client" not in self.errors
        ):
            self.add_error("client", "Choose a client to assign the selected messages to.")
        return data


class DomainForm(AssignForm):
    """Triage: a domain whose mail is waiting, and the client it belongs to."""

    domain = forms.CharField(max_length=253, label="Domain")
