"""Input validation for sign-in, team administration and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from amends.accounts.models import TeamMembership, User
from amends.clients.models import Client


class LoginForm(AuthenticationForm):
    """Django's sign-in form with plain-spoken labels and browser autofill hints."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.error_messages["invalid_login"] = (
            "That user name and password do not match. Both are case-sensitive."
        )


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        name = str(obj)
        return name if name == obj.username else f"{name} ({obj.username})"


class MembershipForm(forms.Form):
    """Put someone on a client's team, or change their role there."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That client does not exist."},
    )
    user = _PersonChoice(
        queryset=User.objects.none(),
        label="Person",
        empty_label="Choose someone…",
        error_messages={"invalid_choice": "Choose a person from the list."},
    )
    role = forms.ChoiceField(choices=TeamMembership.Role.choices, initial="member")

    def __init__(
        self, *args: Any, clients: QuerySet[Client], people: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["user"].queryset = people  # type: ignore[attr-defined]


class RemoveMembershipForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), widget=forms.HiddenInput)
    user = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, clients: QuerySet[Client], people: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["user"].queryset = people  # type: ignore[attr-defined]


class CreateUserForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    display_name = forms.CharField(max_length=120, required=False, label="Name")
    email = forms.EmailField(required=False, max_length=254)
    password = forms.CharField(
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to create the account without a password (they cannot sign "
        "in until one is set, e.g. with `amends changepassword`).",
    )
    is_admin = forms.BooleanField(required=False, label="Admin (sees every client, manages teams)")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        validator = User._meta.get_field("username").validators[0]
        validator(username)
        return username


class SetAdminForm(forms.Form):
    is_admin = forms.BooleanField(required=False)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What it is for, e.g. “reporting script” or “laptop CLI”.",
    )
