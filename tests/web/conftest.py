"""Fixtures for the page tests (the personas live in tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amends.comms.actions import record_communication
from amends.comms.models import Communication


@pytest.fixture
def call(world) -> Communication:
    """A call with Acme two days ago, with no written recap yet."""
    return record_communication(
        world.alice,
        world.acme,
        channel="call",
        direction="out",
        contact=world.contact,
        person=world.alice,
        subject="Launch catch-up call",
        summary="Talked through the delay.",
        occurred_at=timezone.now() - timedelta(days=4),
    )


@pytest.fixture
def inbound(world) -> Communication:
    """An email from Acme's contact that nobody has answered."""
    return record_communication(
        world.alice,
        world.acme,
        channel="email",
        direction="in",
        contact=world.contact,
        subject="Where is the invoice breakdown?",
        summary="Please send it today.",
        occurred_at=timezone.now() - timedelta(hours=5),
    )


@pytest.fixture
def globex_contact(world):
    from amends.clients.actions import add_contact

    return add_contact(world.carol, world.globex, name="Gina Globex", email="gina@globex.example")


HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_escaped(response) -> None:
    """The hostile text is on the page, escaped, and never as a live script tag."""
    html = response.content.decode()
    assert HOSTILE not in html
    assert ESCAPED in html


def htmx(**extra):
    """Headers that make the test client's request look like htmx's."""
    return {"HTTP_HX_REQUEST": "true", **extra}


def client_form(client, **overrides) -> dict:
    """POST data for the client details form (no prefix), from the client's saved values."""
    data = {
        "name": client.name,
        "email_domains": client.email_domains,
        "timezone": client.timezone,
        "work_start": client.work_start.strftime("%H:%M"),
        "work_end": client.work_end.strftime("%H:%M"),
        "work_days": client.work_days.split(","),
        "owner": client.owner_id,
        "backup": client.backup_id or "",
        "notes": client.notes,
        "version": client.version,
    }
    data.update(overrides)
    return data
