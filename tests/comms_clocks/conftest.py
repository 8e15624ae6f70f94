"""Fixtures for the responsiveness clocks and tone: a frozen clock, and a way to say
something to or from a client at a given instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from amends.comms.actions import record_communication
from amends.comms.models import Communication

# Wednesday 15 July 2026, 12:00 UTC (13:00 in London, 08:00 in New York).
NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    """An instant in 2026, in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    """Every test here runs at NOW (set before the personas are created)."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def say(world):
    """say(direction, when, text="", client=acme, case=None, channel="email")."""

    def _say(
        direction: str,
        when: datetime,
        text: str = "",
        *,
        client=None,
        case=None,
        channel: str = "email",
        subject: str = "",
    ) -> Communication:
        return record_communication(
            world.alice,
            client or world.acme,
            channel=channel,
            direction=direction,
            occurred_at=when,
            subject=subject or f"{direction} at {when:%d %b %H:%M}",
            summary=text or "Noted.",
            case=case,
        )

    return _say
