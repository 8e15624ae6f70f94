"""`amends worker`: run background jobs until stopped (SIGTERM/SIGINT finish the current job)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from amends.watch.worker import DEFAULT_POLL_SECONDS, default_worker_id, run_worker


class Command(BaseCommand):
    help = (
        "Run background jobs (imports, mailbox polling, reminders) until stopped. "
        "`amends serve` already runs one worker inside it; start more of these against "
        "PostgreSQL to share the work. SIGTERM or Ctrl+C lets the current job finish, "
        "then exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the jobs that are due now, then exit (for cron or a quick check).",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=DEFAULT_POLL_SECONDS,
            metavar="SECONDS",
            help=f"How often to look for due jobs when idle (default {DEFAULT_POLL_SECONDS:g}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        poll = options["poll"]
        if not 0.05 <= poll <= 3600:
            raise CommandError("--poll must be between 0.05 and 3600 seconds.")
        from amends.core.management.commands.serve import pending_migrations

        try:
            pending = pending_migrations()
        except DatabaseError as exc:
            raise CommandError(f"Cannot use the database: {exc}") from None
        if pending:
            raise CommandError(
                f"The database is not up to date ({len(pending)} migration(s) to apply). "
                "Run `amends migrate` first."
            )
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        worker_id = default_worker_id()
        self.stdout.write(f"Amends worker {worker_id} is running — press Ctrl+C to stop")
        self.stdout.flush()
        try:
            ran = run_worker(worker_id, once=options["once"], poll_interval=poll, stop_event=stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"Amends worker stopped after {ran} job(s).")
