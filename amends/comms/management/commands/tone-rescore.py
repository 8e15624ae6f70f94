"""`amends tone-rescore [--all] [--client ID] [--batch-size N]`: score the tone of stored
client messages (those imported before tone scoring, or all of them again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.clients.models import Client
from amends.comms.tone_actions import DEFAULT_BATCH, MAX_BATCH, RescoreSummary, rescore_tones


class Command(BaseCommand):
    help = (
        "Score the tone of inbound client messages that have no score yet (--all: every "
        "inbound message again), in batches. Safe to interrupt and re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Rescore messages already scored.")
        parser.add_argument("--client", metavar="ID", help="Only this client's messages.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            metavar="N",
            help=f"Messages per transaction (1–{MAX_BATCH}, default {DEFAULT_BATCH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client_id = None
        if options["client"] is not None:
            try:
                wanted = int(options["client"])
                if not 1 <= wanted < 2**63:
                    raise ValueError(wanted)
                client_id = Client.objects.get(pk=wanted).pk
            except (Client.DoesNotExist, ValueError, OverflowError):
                raise CommandError(f"No client with id {options['client']!r}.") from None
        if not 1 <= options["batch_size"] <= MAX_BATCH:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH}.")
        verbosity = options["verbosity"]

        def progress(summary: RescoreSummary) -> None:
            if verbosity > 1:
                self.stderr.write(f"{summary.seen:,} message(s) so far")

        summary = rescore_tones(
            client_id=client_id,
            everything=options["all"],
            batch_size=options["batch_size"],
            progress=progress,
        )
        self.stdout.write(
            f"Scored {summary.scored:,} message(s); {summary.unscorable:,} had no text to "
            f"score ({summary.seen:,} looked at)."
        )
