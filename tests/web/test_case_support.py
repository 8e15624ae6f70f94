"""Helpers shared by the case page tests (test_case_*.py); this module has no tests.

- `make_parts(world)`: one of every kind of thing inside Acme's case.
- `add_data(kind, world)` / `edit_data(obj, **changes)`: POST data for the inline forms,
  with the form prefixes the case page uses (`<kind>-new`, `<kind>-<pk>`).
- `local(dt)`: a datetime as a `datetime-local` value in Acme's zone (Europe/London).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from amends.cases.actions import add_to_case
from amends.cases.models import CaseChild
from amends.cases.parts import PARTS

LONDON = ZoneInfo("Europe/London")

# The personas are created with the production hasher (Argon2), ~0.4 s each; tests that
# only need them to exist use a fast one (see `fast_passwords` in each module).
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def local(dt: datetime, tz: ZoneInfo = LONDON) -> str:
    """`dt` as typed into a datetime-local input in `tz`."""
    return dt.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def prefixed(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}-{name}": value for name, value in data.items()}


def make_parts(world: Any) -> dict[str, CaseChild]:
    """One of each kind inside world.case (the concern is the one the world starts with)."""
    alice, case, now = world.alice, world.case, timezone.now()
    return {
        "concern": case.concerns.get(),
        "expectation": add_to_case(alice, case, "expectation", expected_by_client="Launch 1 March"),
        "action": add_to_case(alice, case, "action", title="Send a dated plan"),
        "commitment": add_to_case(
            alice, case, "commitment", what="Call Dana back", due_at=now + timedelta(days=1)
        ),
        "concession": add_to_case(
            alice, case, "concession", kind="discount", description="10% off March"
        ),
        "checkin": add_to_case(alice, case, "checkin", scheduled_at=now + timedelta(days=2)),
        "milestone": add_to_case(alice, case, "milestone", title="Staging signed off"),
        "positive": add_to_case(alice, case, "positive", text="Dana sent the copy early"),
    }


def add_fields(kind: str, world: Any) -> dict[str, Any]:
    """Valid values for the "Add" form of `kind` (without prefix)."""
    now = timezone.now()
    concern = world.case.concerns.order_by("pk").first()
    return {
        "concern": {
            "text": "Why did nobody call us?",
            "kind": "question",
            "source": "Email from Dana",
            "communication": "",
            "raised_at": local(now - timedelta(hours=1)),
        },
        "expectation": {
            "expected_by_client": "A working checkout by launch",
            "expected_by_team": "Checkout in phase two",
            "delivered": "No checkout",
            "constraint": "Payment provider review",
            "constraint_reason": "Takes ten working days",
            "agreed": "on",
        },
        "action": {
            "title": "Walk Dana through the invoice",
            "horizon": "short",
            "owner": world.bob.pk,
            "deadline": (now + timedelta(days=5)).date().isoformat(),
            "success_measure": "Dana confirms she understands it",
            "concern": concern.pk,
            "expectation": "",
        },
        "commitment": {
            "what": "Send the revised invoice",
            "to_whom": "Dana",
            "contact": world.contact.pk,
            "owner": world.alice.pk,
            "due_at": local(now + timedelta(days=1)),
        },
        "concession": {
            "kind": "credit",
            "description": "Two free days of design",
            "value": "1200.00",
            "cost": "800.00",
            "currency": "GBP",
            "status": "offered",
        },
        "checkin": {
            "scheduled_at": local(now + timedelta(days=3)),
            "agenda": "1. What is going well",
        },
        "milestone": {
            "title": "Checkout live",
            "due_on": (now + timedelta(days=14)).date().isoformat(),
        },
        "positive": {
            "text": "Dana thanked the designer",
            "by_client": "on",
            "noted_at": local(now - timedelta(minutes=30)),
        },
    }[kind] | ({"for_client": "on"} if kind in _FOR_CLIENT else {})


# Kinds with a "Show to the client" box (amends.sharing; on by default).
_FOR_CLIENT = {"expectation", "action", "commitment", "concession", "checkin", "milestone"}


def add_data(kind: str, world: Any, /, **changes: Any) -> dict[str, Any]:
    """POST data for the "Add" form of `kind`."""
    return prefixed(f"{kind}-new", {**add_fields(kind, world), **changes})


def _form_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, Decimal):
        return str(value)
    return value


def edit_data(obj: CaseChild, **changes: Any) -> dict[str, Any]:
    """POST data for the inline edit form of `obj`: its saved values, its version, changes."""
    kind = next(k for k, p in PARTS.items() if isinstance(obj, p.model))
    data: dict[str, Any] = {"version": obj.version}
    for name in PARTS[kind].fields:
        field = obj._meta.get_field(name)
        data[name] = _form_value(getattr(obj, field.attname))
    data.update(changes)
    data = {k: v for k, v in data.items() if v != "" or k not in _BOOLEANS}
    return prefixed(f"{kind}-{obj.pk}", data)


_BOOLEANS = {"agreed", "by_client"}


def part_url(name: str, world: Any, *args: Any) -> str:
    return reverse(f"cases:{name}", args=[world.case.pk, *args])
