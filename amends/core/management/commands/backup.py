"""`amends backup PATH`: everything in the database, in one zip file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from amends.core.backup import BackupError, describe_counts, write_backup


class Command(BaseCommand):
    help = (
        "Write a backup of the whole database (users, teams, tokens, clients, "
        "communications, cases, timeline, everything) to a zip file. The file appears "
        "only when complete. Restore it with `amends restore PATH`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            help="The zip file to write, or an existing folder to write a dated file into.",
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="Replace the file if it exists already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["path"]).expanduser()
        if target.is_dir():
            target = target / f"amends-backup-{timezone.now():%Y%m%d-%H%M%S}.zip"
        if target.exists() and not options["overwrite"]:
            raise CommandError(f"{target} exists already; choose another name or add --overwrite.")
        try:
            result = write_backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"Could not write {target}: {exc.strerror or exc}.") from None
        total = sum(result.counts.values())
        self.stdout.write(f"Backed up {total} rows to {result.path} ({result.bytes:,} bytes):")
        for line in describe_counts(result.counts):
            self.stdout.write(line)
