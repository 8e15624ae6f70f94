"""`amends import PATH [--client ID]`: import email from an .eml file, a folder of them,
an mbox file or a Maildir, with a progress bar and a summary."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.clients.models import Client
from amends.comms.actions import ImportSummary, import_path
from amends.comms.importing import SourceError

BAR_WIDTH = 30
MAX_REASONS_SHOWN = 50


def progress_line(summary: ImportSummary) -> str:
    """One line of counts, with a bar when the total is known."""
    counts = (
        f"{summary.seen:,} seen, {summary.imported:,} imported, "
        f"{summary.duplicates:,} duplicates, {summary.rejected_count:,} rejected, "
        f"{summary.unmatched:,} unmatched"
    )
    if summary.total:
        done = min(summary.seen / summary.total, 1.0)
        bar = "#" * int(done * BAR_WIDTH)
        return f"[{bar:<{BAR_WIDTH}}] {done:4.0%} {counts}"
    return counts


class Command(BaseCommand):
    help = (
        "Import email from PATH: an .eml file, a folder of .eml files, an mbox file "
        "(Gmail/Takeout, Thunderbird, Apple Mail) or a Maildir. Re-running is safe: "
        "messages already imported are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--client",
            metavar="ID",
            help="Put every message on this client (by id) instead of matching by address.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client = None
        if options["client"] is not None:
            try:
                client = Client.objects.get(pk=int(options["client"]))
            except (Client.DoesNotExist, ValueError):
                raise CommandError(f"No client with id {options['client']!r}.") from None
        tty = sys.stderr.isatty()

        def progress(summary: ImportSummary) -> None:
            if tty:
                if summary.seen % 25 == 0:
                    sys.stderr.write("\r" + progress_line(summary))
                    sys.stderr.flush()
            elif summary.seen % 1000 == 0:
                sys.stderr.write(progress_line(summary) + "\n")

        try:
            summary = import_path(None, options["path"], client=client, progress=progress)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        if tty:
            sys.stderr.write("\r" + progress_line(summary) + "\n")
        self.stdout.write(f"Imported from {summary.source} ({summary.kind}):")
        self.stdout.write(f"  {summary.seen:,} messages seen")
        self.stdout.write(f"  {summary.imported:,} imported")
        self.stdout.write(f"  {summary.duplicates:,} already there (skipped)")
        self.stdout.write(f"  {summary.unmatched:,} matched no client (waiting in triage)")
        self.stdout.write(f"  {summary.problems:,} imported with problems noted")
        self.stdout.write(f"  {summary.rejected_count:,} rejected")
        for label, reason in summary.rejected[:MAX_REASONS_SHOWN]:
            self.stdout.write(f"    {label}: {reason}")
        if summary.rejected_count > MAX_REASONS_SHOWN:
            self.stdout.write(f"    … and {summary.rejected_count - MAX_REASONS_SHOWN:,} more")
