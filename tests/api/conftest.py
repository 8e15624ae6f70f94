"""Helpers for the API tests: a JSON client per persona, and a fuller Acme world.

`Api` is a thin layer over Django's test `client` that sends the persona's bearer
headers (`api_alice` etc. from tests/conftest.py) and JSON bodies.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from amends.accounts.actions import issue_token
from amends.cases.actions import add_to_case
from amends.cases.models import CaseChild, Concession
from amends.clients.actions import add_contact, add_engagement
from amends.clients.models import Contact, Engagement
from amends.comms.actions import record_communication
from amends.comms.models import Communication, UpcomingMeeting

BASE = "/api/v1"

# cases.actions.add_to_case(actor, case, kind, **fields) cannot be given a record field
# named `kind` (Concern.kind, Concession.kind): Python binds it to the parameter. Until
# that parameter is positional-only, tests that need it are expected to fail; once it
# is, the marker switches itself off.
KIND_FIELD_BUG = (
    inspect.signature(add_to_case).parameters["kind"].kind is not inspect.Parameter.POSITIONAL_ONLY
)
needs_kind_field_fix = pytest.mark.xfail(
    KIND_FIELD_BUG,
    reason="cases.actions.add_to_case cannot take a `kind` field (see the API report)",
    strict=True,
)


class Api:
    """Calls /api/v1/... as one persona (no headers: anonymous)."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None):
        self.client = client
        self.headers = headers or {}

    def _url(self, path: str) -> str:
        return path if path.startswith(BASE) else BASE + path

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(self._url(path), params or {}, **self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body, default=str)
        call = getattr(self.client, method.lower())
        return call(self._url(path), data=data, content_type="application/json", **self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("post", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.send("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.send("put", path, body)

    def delete(self, path: str) -> Any:
        return self.send("delete", path)


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert `response` is the standard error body with this status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert set(body["error"]) <= {"code", "message", "fields", "missing"}
    return body["error"]


def ok(response: Any, status: int = 200) -> Any:
    """Assert success and return the JSON body."""
    assert response.status_code == status, (response.status_code, response.content[:800])
    return response.json() if response.content else None


def iso(dt: datetime) -> str:
    return dt.isoformat()


def soon(**delta: float) -> str:
    return iso(timezone.now() + timedelta(**delta))


@pytest.fixture
def alice_api(client, api_alice) -> Api:
    return Api(client, api_alice)


@pytest.fixture
def bob_api(client, world) -> Api:
    return Api(client, {"HTTP_AUTHORIZATION": f"Bearer {issue_token(world.bob, name='t')[1]}"})


@pytest.fixture
def carol_api(client, api_carol) -> Api:
    return Api(client, api_carol)


@pytest.fixture
def ada_api(client, api_ada) -> Api:
    return Api(client, api_ada)


@pytest.fixture
def anon_api(client, world) -> Api:
    return Api(client)


@pytest.fixture
def wednesday():
    """Freeze time at Wednesday 5 March 2025, 15:00 UTC (London is on UTC then)."""
    with time_machine.travel(datetime(2025, 3, 5, 15, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@dataclass
class Acme:
    """One of everything on Acme's account (plus a Globex contact for foreign links)."""

    contact: Contact
    engagement: Engagement
    message: Communication
    parts: dict[str, CaseChild]
    globex_contact: Contact
    globex_engagement: Engagement
    globex_message: Communication
    upcoming: UpcomingMeeting | None = None  # a meeting still to come, from a calendar


@pytest.fixture
def acme(world) -> Acme:
    now = timezone.now()
    case = world.case
    message = record_communication(
        world.alice,
        world.acme,
        case=case,
        channel="email",
        direction="in",
        occurred_at=now - timedelta(hours=2),
        contact=world.contact,
        subject="Where is the launch?",
        summary="We still have no date.",
    )
    concern = case.concerns.get()
    parts = {
        "concern": concern,
        "expectation": add_to_case(
            world.alice, case, "expectation", expected_by_client="Launch on 1 March"
        ),
        "action": add_to_case(
            world.alice, case, "action", title="Call Dana", owner=world.bob, concern=concern
        ),
        "commitment": add_to_case(
            world.alice,
            case,
            "commitment",
            what="Send the new date",
            due_at=now + timedelta(days=1),
        ),
        # Written directly only because add_to_case cannot take `kind` yet (see above).
        "concession": (
            Concession.objects.create(
                case=case,
                created_by=world.alice,
                kind="discount",
                description="10% off March",
                value=500,
                cost=500,
            )
            if KIND_FIELD_BUG
            else add_to_case(
                world.alice,
                case,
                "concession",
                kind="discount",
                description="10% off March",
                value=500,
                cost=500,
            )
        ),
        "checkin": add_to_case(world.alice, case, "checkin", scheduled_at=now + timedelta(days=3)),
        "milestone": add_to_case(world.alice, case, "milestone", title="Site relaunched"),
        "positive": add_to_case(
            world.alice, case, "positive", text="Dana sent assets early", by_client=True
        ),
    }
    globex_contact = add_contact(world.carol, world.globex, name="Gus Globex")
    globex_engagement = add_engagement(world.carol, world.globex, name="Training", budget=100)
    globex_message = record_communication(
        world.carol,
        world.globex,
        channel="call",
        direction="in",
        summary="Gus called",
        occurred_at=now - timedelta(hours=1),
    )
    return Acme(
        world.contact,
        world.engagement,
        message,
        parts,
        globex_contact,
        globex_engagement,
        globex_message,
        upcoming=UpcomingMeeting.objects.create(
            client=world.acme,
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=1),
            subject="Launch review with Dana",
            location="Acme HQ",
            attendees=[{"name": "Dana", "email": "dana@acme.example", "contact": world.contact.pk}],
            direction="out",
            contact=world.contact,
            external_id="launch-review@acme.example",
        ),
    )


# Valid bodies to add each kind of record inside a case, and one field to edit.
def part_create_body(kind: str, world: Any) -> dict[str, Any]:
    return {
        "concern": {"text": "Nobody told us.", "source": "Call"},
        "expectation": {"expected_by_client": "Weekly reports", "expected_by_team": "Monthly"},
        "action": {
            "title": "Weekly report",
            "horizon": "short",
            "owner": world.alice.pk,
            "deadline": "2030-01-31",
            "success_measure": "Sent every Friday",
        },
        "commitment": {"what": "Send the report", "due_at": soon(days=2), "owner": world.alice.pk},
        "concession": {
            "kind": "credit",
            "description": "Two free days",
            "value": "1200.00",
            "cost": "800.50",
            "currency": "GBP",
        },
        "checkin": {"scheduled_at": soon(days=7), "agenda": "Affirm, review, forward"},
        "milestone": {"title": "New plan signed", "due_on": "2030-02-01"},
        "positive": {"text": "Dana thanked the team", "by_client": True},
    }[kind]


PART_EDITS: dict[str, tuple[str, Any]] = {
    "concern": ("answer", "We will phone every Friday."),
    "expectation": ("agreed", True),
    "action": ("status", "in_progress"),
    "commitment": ("to_whom", "Dana"),
    "concession": ("status", "accepted"),
    "checkin": ("agenda", "Review the plan"),
    "milestone": ("title", "Relaunch done"),
    "positive": ("text", "Dana praised the new plan"),
}
