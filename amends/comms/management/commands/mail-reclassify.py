"""`amends mail-reclassify [--batch-size N]`: tell apart the delivery failures and
automatic replies among the email stored before Amends did so at import."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.comms.automatic_actions import (
    DEFAULT_BATCH,
    MAX_BATCH,
    ReclassifySummary,
    reclassify_stored_mail,
)


class Command(BaseCommand):
    help = (
        "Read each stored email again and record the delivery failures (bounces) and "
        "automatic replies among them as 'sent automatically', as an import now does: "
        "no reply clock, no tone; a reply of ours they returned from everyone is no "
        "reply. In batches; safe to interrupt and re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            metavar="N",
            help=f"Emails per transaction (1–{MAX_BATCH}, default {DEFAULT_BATCH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["batch_size"] <= MAX_BATCH:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH}.")
        verbosity = options["verbosity"]

        def progress(summary: ReclassifySummary) -> None:
            if verbosity > 1:
                self.stderr.write(f"{summary.seen:,} email(s) so far")

        summary = reclassify_stored_mail(batch_size=options["batch_size"], progress=progress)
        replies = summary.auto_replies
        self.stdout.write(
            f"Looked at {summary.seen:,} email(s): {summary.bounces:,} delivery failure(s) "
            f"and {replies:,} automatic repl{'y' if replies == 1 else 'ies'} now sent "
            f"automatically; {summary.undelivered:,} email(s) of ours marked not delivered."
        )
