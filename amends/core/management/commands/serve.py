"""`amends serve`: the web application, served by waitress, with an embedded worker."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Migrations not yet applied to the database, as 'app.name'."""
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def url_for(host: str, port: int) -> str:
    """http://host:port/, with IPv6 addresses in brackets."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def _stop(signum: int, frame: FrameType | None) -> None:
    # waitress's loop catches SystemExit, stops its worker threads and returns.
    raise SystemExit(0)


class _EmbeddedWorker:
    """The worker loop in a daemon thread of the server process."""

    JOIN_SECONDS = 5.0

    def __init__(self) -> None:
        from amends.watch.worker import default_worker_id

        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="amends-worker", daemon=True)
        self.worker_id = default_worker_id().rsplit(":", 1)[0] + ":embedded"

    def _run(self) -> None:
        from amends.watch.worker import run_worker

        run_worker(self.worker_id, stop_event=self.stop_event)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> bool:
        """Ask the loop to stop after its current job; wait a little. True if it stopped.

        A job still running when the process exits is left `running` and is reclaimed
        as stale by the next worker.
        """
        self.stop_event.set()
        self.thread.join(self.JOIN_SECONDS)
        return not self.thread.is_alive()


class Command(BaseCommand):
    help = (
        "Serve Amends over HTTP with waitress (static files included), and run one "
        "background worker (imports, mailbox polling, reminders) in the same process. "
        "Put a TLS-terminating reverse proxy in front of it for anything but local use."
    )
    requires_migrations_checks = False  # we refuse outright instead of warning

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=settings.HOST,
            help=f"Address to listen on (default {settings.HOST}, from AMENDS_HOST).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=settings.PORT,
            help=f"Port to listen on (default {settings.PORT}, from AMENDS_PORT; 0 picks a "
            "free one).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("AMENDS_THREADS", "8")),
            help="Request-handling threads (default 8, from AMENDS_THREADS).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the embedded background worker; run `amends worker` "
            "separately instead (e.g. several of them against PostgreSQL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import waitress  # type: ignore[import-untyped]

        from amends.wsgi import application

        if not 0 <= options["port"] <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, not {options['port']}.")
        if options["threads"] < 1:
            raise CommandError("--threads must be at least 1.")
        self._check_database()
        try:
            server = waitress.create_server(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="Amends",
            )
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: "
                f"{exc.strerror or exc}. Is another server using that port?"
            ) from None
        # Handlers go in before the "running" line, so a signal sent as soon as it is
        # seen still stops the server cleanly.
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        listening = getattr(server, "effective_listen", None) or [
            (server.effective_host, server.effective_port)  # type: ignore[union-attr]
        ]
        for host, port in listening:
            self.stdout.write(
                f"Amends is running on {url_for(str(host), int(port))} — press Ctrl+C to stop"
            )
        if options["host"] not in ("127.0.0.1", "localhost", "::1"):
            self.stdout.write(
                "Listening beyond this machine: requests are accepted only for the host "
                f"names in AMENDS_ALLOWED_HOSTS (now: {', '.join(settings.ALLOWED_HOSTS)})."
            )
        worker = None if options["no_worker"] else _EmbeddedWorker()
        if worker is None:
            self.stdout.write("No embedded worker: jobs wait for `amends worker`.")
        else:
            worker.start()
            self.stdout.write("Background worker running in this process.")
        self.stdout.flush()
        try:
            server.run()
        finally:
            server.close()
            if worker is not None and not worker.stop():
                self.stdout.write(
                    "The background worker was still busy; its job will run again later."
                )
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            connections.close_all()
        self.stdout.write("Amends stopped.")

    def _check_database(self) -> None:
        try:
            pending = pending_migrations()
        except DatabaseError as exc:
            raise CommandError(f"Cannot use the database: {exc}") from None
        finally:
            # Each request thread opens its own connection; don't keep this one idle.
            connections.close_all()
        if pending:
            shown = ", ".join(pending[:5]) + (
                f" and {len(pending) - 5} more" if len(pending) > 5 else ""
            )
            raise CommandError(
                f"The database is not up to date: {len(pending)} migration(s) to apply "
                f"({shown}). Run `amends migrate` first, then start the server again."
            )
