"""Job kinds: each kind names one handler, `handler(job) -> None`.

Register a handler with `@job_handler("comms.import")` in a module that is imported at
start-up (an app's `ready()`). A handler raises to fail the attempt (the worker retries
with backoff); it reports progress with `actions.report_progress`, which also tells the
other workers that this one is still alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from amends.watch.models import Job

Handler = Callable[[Job], None]

HANDLERS: dict[str, Handler] = {}


class UnknownJobKind(LookupError):
    """No handler is registered for a job's kind (e.g. a worker older than the web app)."""


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `kind`."""
    if not kind or len(kind) > 80:
        raise ValueError("A job kind is 1 to 80 characters.")

    def register(func: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise ValueError(f"Job kind {kind!r} already has a handler.")
        HANDLERS[kind] = func
        return func

    return register


def get_handler(kind: str) -> Handler:
    """The handler of `kind`, or UnknownJobKind saying which kinds this worker knows."""
    try:
        return HANDLERS[kind]
    except KeyError:
        known = ", ".join(sorted(HANDLERS)) or "none"
        raise UnknownJobKind(
            f"This worker has no handler for jobs of kind “{kind}” (it knows: {known}). "
            "Is the worker running an older version of Amends than the web application?"
        ) from None


def _number(job: Job, name: str, default: float, limit: float) -> float:
    value = job.payload.get(name, default) if isinstance(job.payload, dict) else default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The payload's {name!r} must be a number, not {value!r}.") from None
    return max(0.0, min(number, limit))


@job_handler("noop")
def noop(job: Job) -> None:
    """Does nothing: proves the worker is working."""


@job_handler("sleep")
def sleep(job: Job) -> None:
    """Waits `seconds` (at most 60): a stand-in for slow work."""
    time.sleep(_number(job, "seconds", 1, 60))


@job_handler("demo.count")
def demo_count(job: Job) -> None:
    """Counts to `to` (at most 1000), `delay` seconds a step, reporting progress."""
    from amends.watch.actions import report_progress

    total = int(_number(job, "to", 10, 1000))
    delay = _number(job, "delay", 0.5, 10)
    for done in range(total + 1):
        report_progress(job, done, total, f"Counted {done} of {total}")
        if done < total and delay:
            time.sleep(delay)
