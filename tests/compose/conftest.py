"""A case with everything a message draws on: concerns, plan, amends, check-in, positives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from amends.cases.actions import add_to_case


@pytest.fixture
def rich(world) -> Any:
    """Acme's case filled in like the demo data."""
    case = world.case
    now = timezone.now()
    concern = case.concerns.get()
    add_to_case(world.alice, case, "concern", text="Why did the invoice arrive without warning?")
    add_to_case(
        world.alice,
        case,
        "expectation",
        expected_by_client="Launch on 1 July",
        expected_by_team="Launch mid-July",
    )
    add_to_case(
        world.alice,
        case,
        "action",
        title="Send the revised launch plan",
        owner=world.alice,
        deadline=date.today() + timedelta(days=3),
        concern=concern,
    )
    add_to_case(
        world.alice,
        case,
        "concession",
        kind="discount",
        description="10% off the June invoice",
        value=500,
        cost=500,
    )
    add_to_case(world.alice, case, "checkin", scheduled_at=now + timedelta(days=5))
    add_to_case(
        world.alice, case, "positive", text="Dana's team sent the assets early.", by_client=True
    )
    add_to_case(world.alice, case, "milestone", title="Site relaunched")
    case.engagement = world.engagement
    case.save(update_fields=["engagement"])
    return world


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    """A real SMTP server on 127.0.0.1 with the settings pointing at it."""
    from tests.smtp_support import smtp_fixture

    yield from smtp_fixture(settings)
