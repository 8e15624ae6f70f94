"""`amends import PATH [--client ID]`: import email from an .eml file, a folder of them,
an mbox file, a Maildir, or a .zip or .tgz of any of those (a Google Takeout); meetings
from an .ics calendar or a folder of them; calls and meeting notes from a CSV file. With
a progress bar and a summary."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.clients.models import Client
from amends.comms.actions import ImportSummary, import_path
from amends.comms.csv_import import FIELDS, CsvError, MappingError
from amends.comms.importing import SourceError, folder_contents, may_hold_calendars
from amends.comms.meeting_actions import (
    MeetingImportSummary,
    import_calendar_path,
    import_csv,
)
from amends.comms.uploads import (
    abandoned_import_folders,
    claim_import_folder,
    extract_archive,
    is_archive,
)
from amends.core.errors import ValidationError

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
        "(Gmail/Takeout, Thunderbird, Apple Mail), a Maildir, or a .zip or .tgz of those, "
        "or one .gz, .bz2 or .xz compressed file (unpacked into the data folder, then "
        "removed); meetings from an .ics "
        "calendar (or a folder of them); calls and meeting notes from a .csv file. "
        "Re-running is safe: what was already imported is skipped."
    )
    # A data command: Django's system checks (which load every URL and API schema, about
    # a second) say nothing about importing; `amends check` runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--client",
            metavar="ID",
            help="Put every message on this client (by id) instead of matching by address.",
        )
        calendar = parser.add_argument_group("calendars (.ics)")
        calendar.add_argument(
            "--since",
            metavar="DATE",
            help="Earliest meeting to import (YYYY-MM-DD, default: a year ago).",
        )
        calendar.add_argument(
            "--until",
            metavar="DATE",
            help="Latest meeting to consider (YYYY-MM-DD, default: 90 days ahead; "
            "meetings still to come are recorded by a later import).",
        )
        table = parser.add_argument_group("call logs (.csv)")
        table.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="Which column holds a field (repeatable); fields: " + ", ".join(FIELDS) + ". "
            "Unmapped fields are guessed from the column names.",
        )
        table.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and say what would be imported, without writing.",
        )
        table.add_argument(
            "--day-first",
            action="store_true",
            help="Read 04/03/2026 as 4 March (default: 3 April).",
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

        path = Path(options["path"])
        if path.is_file() and path.suffix.lower() != ".csv" and is_archive(path):
            self._archive(path, client, options, progress, tty)
            return
        self._import(path, client, options, progress, tty)

    def _import(
        self, path: Path, client: Client | None, options: Any, progress: Any, tty: bool
    ) -> None:
        kind = _kind(path)
        if kind == "csv":
            self._csv(path, client, options, progress, tty)
            return
        if kind == "ics":
            self._ics(path, client, options, progress, tty)
            return
        self._mail(str(path), client, progress, tty)
        if kind == "both":  # the calendars beside the mail (a Google Takeout)
            self._ics(path, client, options, progress, tty)

    def _archive(
        self, path: Path, client: Client | None, options: Any, progress: Any, tty: bool
    ) -> None:
        """A .zip or .tgz (a Google Takeout), or one compressed file (an .mbox.gz):
        unpacked as an upload is, with the same limits, into a folder of its own in the
        data folder's uploads (an export can be larger than /tmp), then imported as what
        it holds, then removed. A run killed halfway leaves its copy there, and the next
        `amends import` of an archive removes it (the worker's sweep of old uploads
        would too); running again unpacks afresh, and what was imported is skipped."""
        for left in abandoned_import_folders():
            shutil.rmtree(left, ignore_errors=True)
            self.stdout.write(f"Removed {left}, left by an import that was interrupted.")
        folder = claim_import_folder()
        try:
            try:
                target = extract_archive(path, folder / "files")
            except ValidationError as exc:
                raise CommandError(f"{path}: {' '.join(exc.messages)}") from None
            self.stdout.write(f"Unpacked {path} into {folder}.")
            # What the summary names is shown inside the archive (`export.tgz:Mail/1.eml`),
            # not in the copy that is about to be removed.
            self._unpacked = (str(folder / "files"), str(path))
            self._import(target, client, options, progress, tty)
        finally:
            self._unpacked = None
            shutil.rmtree(folder, ignore_errors=True)

    _unpacked: tuple[str, str] | None = None

    def _shown(self, where: str) -> str:
        """A file the summary names, inside its archive when it came from one."""
        if self._unpacked is None:
            return where
        copy, archive = self._unpacked
        if where == copy:
            return archive
        if where.startswith(copy + "/"):
            return f"{archive}:{where[len(copy) + 1 :]}"
        return where

    def _mail(self, path: str, client: Client | None, progress: Any, tty: bool) -> None:
        try:
            summary = import_path(None, path, client=client, progress=progress)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        if tty:
            sys.stderr.write("\r" + progress_line(summary) + "\n")
        self.stdout.write(f"Imported from {self._shown(summary.source)} ({summary.kind}):")
        self.stdout.write(f"  {summary.seen:,} messages seen")
        self.stdout.write(f"  {summary.imported:,} imported")
        self.stdout.write(f"  {summary.duplicates:,} already there (skipped)")
        self.stdout.write(f"  {summary.unmatched:,} matched no client (waiting in triage)")
        self.stdout.write(f"  {summary.problems:,} imported with problems noted")
        if summary.spam:
            self.stdout.write(
                f"  {summary.spam:,} spam left out (Gmail's Spam label, junk folders)"
            )
        if summary.calendar_items:
            self.stdout.write(
                f"  {summary.calendar_items:,} Outlook calendar items (.msg), read as meetings"
                " (below)"
            )
        self.stdout.write(f"  {summary.rejected_count:,} rejected")
        for label, reason in summary.rejected[:MAX_REASONS_SHOWN]:
            self.stdout.write(f"    {self._shown(label)}: {reason}")
        if summary.rejected_count > MAX_REASONS_SHOWN:
            self.stdout.write(f"    … and {summary.rejected_count - MAX_REASONS_SHOWN:,} more")
        if summary.meetings:
            self.stdout.write(
                f"  {summary.meetings:,} meetings still to come, from invitations in the mail"
                " (listed as coming up on the client page)"
            )

    def _ics(
        self, path: Path, client: Client | None, options: dict[str, Any], progress: Any, tty: bool
    ) -> None:
        since, until = _day(options["since"], "--since"), _day(options["until"], "--until")
        try:
            summary = import_calendar_path(
                None, path, client=client, since=since, until=until, progress=progress
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        if tty:
            sys.stderr.write("\r" + progress_line(summary) + "\n")
        self.stdout.write(f"Imported meetings from {self._shown(summary.source)} (calendar):")
        self.stdout.write(f"  {summary.seen:,} meetings in the window")
        self._meeting_counts(summary)
        self.stdout.write(f"  {summary.cancelled:,} cancelled (skipped)")
        self.stdout.write(
            f"  {summary.upcoming:,} still to come (listed as coming up on the client page)"
        )
        if summary.removed:
            self.stdout.write(
                f"  {summary.removed:,} no longer in the calendar (taken off coming up)"
            )
        self._rejections(summary, "rejected")

    def _csv(
        self, path: Path, client: Client | None, options: dict[str, Any], progress: Any, tty: bool
    ) -> None:
        mapping = _mapping(options["map"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path} cannot be read: {exc.strerror or exc}") from None
        try:
            summary = import_csv(
                None,
                data,
                mapping,
                client=client,
                day_first=options["day_first"],
                dry_run=options["dry_run"],
                label=path.name,
                guess_rest=True,
                progress=progress,
            )
        except (CsvError, MappingError) as exc:
            raise CommandError(str(exc)) from None
        if tty:
            sys.stderr.write("\r" + progress_line(summary) + "\n")
        dry = summary.dry_run
        self.stdout.write(
            f"{'Dry run — nothing written. ' if dry else ''}"
            f"Calls and notes from {summary.source} (CSV):"
        )
        self.stdout.write("  columns: " + ", ".join(f"{k}={v}" for k, v in summary.mapping.items()))
        self.stdout.write(f"  {summary.seen:,} rows read")
        self._meeting_counts(summary, would=dry)
        self._rejections(summary, "rows with errors")

    def _meeting_counts(self, summary: MeetingImportSummary, *, would: bool = False) -> None:
        verb = "would be " if would else ""
        self.stdout.write(f"  {summary.imported:,} {verb}imported")
        self.stdout.write(f"  {summary.updated:,} {verb}updated (changed since the last import)")
        self.stdout.write(f"  {summary.duplicates:,} already there (skipped)")
        if summary.outdated:
            self.stdout.write(
                f"  {summary.outdated:,} older than the version already imported (skipped)"
            )
        self.stdout.write(f"  {summary.unmatched:,} matched no client (skipped)")
        if summary.not_meetings:
            self.stdout.write(
                f"  {summary.not_meetings:,} all-day events no one is invited to"
                " (holidays, days off: skipped)"
            )
        if summary.declined:
            self.stdout.write(
                f"  {summary.declined:,} declined by everyone of yours invited (skipped)"
            )

    def _rejections(self, summary: MeetingImportSummary, noun: str) -> None:
        self.stdout.write(f"  {summary.rejected_count:,} {noun}")
        for label, reason in summary.rejected[:MAX_REASONS_SHOWN]:
            self.stdout.write(f"    {self._shown(label)}: {reason}")
        if summary.rejected_count > MAX_REASONS_SHOWN:
            self.stdout.write(f"    … and {summary.rejected_count - MAX_REASONS_SHOWN:,} more")


def _kind(path: Path) -> str:
    """csv, ics (a file, a folder holding .ics files and no mail, or an appointment
    saved from Outlook as a .msg file), both (a folder holding mail and calendars, as a
    Google Takeout does, or an Outlook data file), or mail."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ics", ".ical", ".ifb"):
        return "ics"
    if may_hold_calendars(path):
        holds_mail, holds_calendars = folder_contents(path)
        if holds_calendars:
            return "both" if holds_mail else "ics"
    return "mail"


def _day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: “{value}” is not a date (use YYYY-MM-DD).") from None
    return day if day.tzinfo else day.replace(tzinfo=UTC)


def _mapping(items: list[str]) -> dict[str, str] | None:
    if not items:
        return None
    mapping: dict[str, str] = {}
    for item in items:
        target, sep, column = item.partition("=")
        if not sep or target.strip() not in FIELDS:
            raise CommandError(
                f"--map {item!r}: write FIELD=COLUMN, FIELD one of {', '.join(FIELDS)}."
            )
        mapping[target.strip()] = column.strip()
    return mapping
