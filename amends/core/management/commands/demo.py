"""`amends demo`: load the demo firm and its stories into an empty database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.accounts.models import User
from amends.clients.models import Client
from amends.core.demo import DEMO_PASSWORD, PEOPLE, demo_usernames, load_demo
from amends.core.management.commands.createuser import validation_message


class Command(BaseCommand):
    help = (
        "Load demo data: a small agency with five clients and six cases at every stage "
        "of the method, dated relative to now. Only into a database without clients."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (successfully) if the database already has clients.",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"Password for every demo user (default {DEMO_PASSWORD}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clients = Client.objects.count()
        if clients:
            if not options["if_empty"]:
                raise CommandError(
                    f"The database already has {clients} client(s), so the demo data was not "
                    "loaded (it is only loaded into a database without clients, to avoid "
                    "duplicates or mixing it with real data). Nothing was changed."
                )
            self.stdout.write(
                f"Demo data not loaded: the database already has {clients} client(s)."
            )
            if User.objects.filter(username__in=demo_usernames()).count() == len(PEOPLE):
                self._how_to_log_in(None)
            else:
                self.stdout.write(f"Amends is at {_base_url()}")
            return
        taken = list(
            User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True)
        )
        if taken:
            raise CommandError(
                "The demo users' names are taken already ("
                + ", ".join(sorted(taken))
                + "); load the demo into a fresh database instead. Nothing was changed."
            )
        try:
            summary = load_demo(options["password"])
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(summary.cases.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {summary.clients} clients, "
                f"{sum(summary.cases.values())} cases ({statuses})."
            )
        )
        self._how_to_log_in(options["password"])

    def _how_to_log_in(self, password: str | None) -> None:
        self.stdout.write("")
        self.stdout.write(f"Log in at {_base_url()} as any of:")
        width = max(len(p.username) for p in PEOPLE)
        for person in PEOPLE:
            self.stdout.write(
                f"  {person.username:<{width}}  {person.display_name:<15} {person.about}"
            )
        if password is None:
            self.stdout.write(
                f"Password: {DEMO_PASSWORD} (unless it was changed, or the demo was loaded "
                "with --password)."
            )
        else:
            self.stdout.write(f"Password (all of them): {password}")
        self.stdout.write(
            "Start with maya for the whole picture, and jo to see what an "
            "outsider to most clients sees."
        )


def _base_url() -> str:
    return str(settings.BASE_URL).rstrip("/") + "/"
