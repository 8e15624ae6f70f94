"""Input for the mailbox pages: connect a mailbox, change it."""

from __future__ import annotations

from typing import Any

from django import forms

from amends.accounts.models import User
from amends.clients.models import Client
from amends.comms.mailbox_actions import MAX_PASSWORD_CHARS, MAX_POLL_SECONDS
from amends.comms.models import MailboxAccount
from amends.core.forms import VersionedForm


class MailboxForm(VersionedForm):
    """A mailbox's settings. The password is never shown back: on an existing mailbox an
    empty password keeps the saved one. Only admins get the certificate check switch and
    may leave the client empty."""

    label = forms.CharField(
        max_length=100, required=False, help_text="A name for you, e.g. “My work inbox”."
    )
    host = forms.CharField(
        max_length=253, label="IMAP server", help_text="e.g. imap.gmail.com or mail.example.com"
    )
    port = forms.IntegerField(
        min_value=1, max_value=65535, initial=993, help_text="IMAP over SSL: 993."
    )
    username = forms.CharField(max_length=320, label="User name")
    password = forms.CharField(
        max_length=MAX_PASSWORD_CHARS,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; never shown again. Many providers want an app password.",
    )
    folder = forms.CharField(max_length=200, initial="INBOX")
    read_sent = forms.BooleanField(
        required=False,
        initial=True,
        label="Also read my sent mail",
        help_text="Your replies to the client, so the clocks know what you answered. Only "
        "messages to the client's contacts or domains are kept; the rest is not read into "
        "Amends.",
    )
    sent_folder = forms.CharField(
        max_length=200,
        required=False,
        label="Sent folder",
        help_text="Leave empty to use the folder your server marks as Sent (found at the "
        "first check), or name it, e.g. “Sent Items” or “[Gmail]/Sent Mail”.",
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        help_text="Every message from this mailbox goes to this client.",
        error_messages={"invalid_choice": "Choose one of your clients."},
    )
    poll_interval = forms.IntegerField(
        min_value=MailboxAccount.MIN_POLL_SECONDS,
        max_value=MAX_POLL_SECONDS,
        initial=MailboxAccount.DEFAULT_POLL_SECONDS,
        label="Check every (seconds)",
        help_text="At least 60.",
    )
    verify_tls = forms.BooleanField(
        required=False,
        initial=True,
        label="Check the server's certificate",
        help_text="Turn off only for a server you trust on a network you trust: without the "
        "check, anyone on the way can read the password and the mail.",
    )

    def __init__(
        self, *args: Any, user: User, instance: MailboxAccount | None = None, **kwargs: Any
    ) -> None:
        self.instance = instance or MailboxAccount()
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(instance, name)
                for name in (
                    "label", "host", "port", "username", "folder", "read_sent", "sent_folder",
                    "poll_interval", "verify_tls",
                )
            } | {"client": instance.client_id}  # fmt: skip
        super().__init__(*args, **kwargs)
        from amends.clients.queries import list_clients

        client = self.fields["client"]
        client.queryset = list_clients(user)  # type: ignore[attr-defined]
        client.required = not user.is_admin
        client.empty_label = "Match by address (admins)" if user.is_admin else "—"  # type: ignore[attr-defined]
        if instance is not None:
            self.fields["password"].required = False
            self.fields["password"].help_text = "Leave empty to keep the saved password."
        if not user.is_admin:
            del self.fields["verify_tls"]

    def changes(self) -> dict[str, Any]:
        """The cleaned values to hand to the action (no version, no empty password)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if not data.get("password"):
            data.pop("password", None)
        return data
