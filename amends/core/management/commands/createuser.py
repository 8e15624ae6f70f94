"""`amends createuser USERNAME`: add a person, optionally an admin, optionally with a token."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amends.accounts.actions import create_user, issue_token


def validation_message(exc: ValidationError) -> str:
    """One readable line per problem, without Django's list-of-strings repr."""
    if hasattr(exc, "error_dict"):
        return "\n".join(
            f"{name}: {message}" if name != "__all__" else message
            for name, messages in exc.message_dict.items()
            for message in messages
        )
    return "\n".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Create a user. Without --password-stdin or --no-password the password is asked "
        "for twice (only on a terminal). --token NAME also issues an API token, shown once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="Their email address.")
        parser.add_argument("--name", default="", help='Display name, e.g. "Maya Okafor".')
        parser.add_argument(
            "--admin", action="store_true", help="May see and manage every client and team."
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )
        source.add_argument(
            "--no-password",
            action="store_true",
            help="No password: the person cannot log in until one is set (API tokens work).",
        )
        parser.add_argument(
            "--token", metavar="NAME", help="Also issue an API token with this name."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options)
        try:
            with transaction.atomic():
                user = create_user(
                    None,
                    username=options["username"],
                    password=password,
                    email=options["email"],
                    display_name=options["name"],
                    is_admin=options["admin"],
                )
                raw_token = None
                if options["token"] is not None:
                    _, raw_token = issue_token(user, name=options["token"])
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        role = "an admin" if user.is_admin else "a team member (add them to client teams)"
        self.stdout.write(f"Created {user.username}, {role}.")
        if password is None:
            self.stdout.write("No password set: they cannot log in to the web pages yet.")
        if raw_token is not None:
            self.stdout.write(f"API token “{options['token'].strip() or 'API token'}”:")
            self.stdout.write(f"    {raw_token}")
            self.stdout.write(
                self.style.WARNING(
                    "This token is shown only this once and cannot be recovered; "
                    "store it somewhere safe now."
                )
            )

    def _password(self, options: dict[str, Any]) -> str | None:
        if options["no_password"]:
            return None
        if options["password_stdin"]:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise CommandError("--password-stdin was given but standard input was empty.")
            return line
        if not sys.stdin.isatty():
            raise CommandError(
                "No password given and standard input is not a terminal to ask on. "
                "Use --password-stdin (e.g. `printf '%s\\n' \"$PW\" | amends createuser "
                "NAME --password-stdin`) or --no-password."
            )
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("The two passwords do not match; nothing was created.")
        if not first:
            raise CommandError("An empty password is not allowed; use --no-password instead.")
        return first
