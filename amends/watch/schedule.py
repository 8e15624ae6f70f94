"""Periodic work: callables that enqueue whatever has fallen due (mailbox polls, …).

The worker loop calls `run_schedules()` at every step; it runs the registered callables
at most once every SCHEDULE_EVERY per process, so an idle worker does not query for
due work every two seconds. Each callable must be safe to run from several workers at
once: it claims what it enqueues with a conditional UPDATE, so work is enqueued once.
Register one with `@periodic("comms.mailboxes")` in a module imported at start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("amends.watch")

Periodic = Callable[[datetime], int]
"""Given the time, enqueue what is due; return how many jobs it enqueued."""

PERIODIC: dict[str, Periodic] = {}
SCHEDULE_EVERY = timedelta(seconds=getattr(settings, "AMENDS_SCHEDULE_SECONDS", 30))

_lock = threading.Lock()
_last_run: datetime | None = None


def periodic(name: str) -> Callable[[Periodic], Periodic]:
    """Register the decorated function to be run by the worker loop every little while."""

    def register(func: Periodic) -> Periodic:
        if name in PERIODIC and PERIODIC[name] is not func:
            raise ValueError(f"Periodic work {name!r} is already registered.")
        PERIODIC[name] = func
        return func

    return register


def run_schedules(now: datetime | None = None, *, force: bool = False) -> int:
    """Run every periodic callable if SCHEDULE_EVERY has passed since the last run in
    this process (or `force`). A failing one is logged and never stops the others.
    Returns how many jobs they enqueued."""
    global _last_run
    now = now or timezone.now()
    with _lock:
        # A clock that went backwards (tests, a corrected host clock) counts as due.
        if not force and _last_run is not None and _last_run <= now < _last_run + SCHEDULE_EVERY:
            return 0
        _last_run = now
    enqueued = 0
    for name, func in list(PERIODIC.items()):
        try:
            enqueued += func(now)
        except Exception:
            logger.exception("Periodic work %s failed.", name)
    return enqueued
