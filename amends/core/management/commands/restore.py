"""`amends restore PATH [--force]`: put a backup back, all of it or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.core.backup import BackupError, describe_counts, restore_backup


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `amends backup`. The "
        "archive is checked in full first; a damaged archive changes nothing. The "
        "database must have the same migrations applied as when the backup was made. "
        "Stop `amends serve` first; everyone is logged out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The backup zip file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already has data (it is all deleted first).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]).expanduser()
        try:
            result = restore_backup(path, force=options["force"], progress=self._progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if result.deleted:
            self.stdout.write(f"Deleted {sum(result.deleted.values())} existing rows.")
        made = result.manifest.get("created_at", "an unknown time")
        self.stdout.write(
            f"Restored {sum(result.counts.values())} rows from {path} (backup made {made}):"
        )
        for line in describe_counts(result.counts):
            self.stdout.write(line)

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
