"""Shared personas, as in the method's stories: an owner, a team member, an outsider,
an admin, and anonymous visitors.

- alice: owner of Acme's account (lead on its team)
- bob:   member of Acme's team
- carol: outsider — on another client's (Globex's) team, never on Acme's
- ada:   admin, sees everything
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from amends.accounts.actions import create_user, set_team_membership
from amends.accounts.models import User
from amends.cases.actions import add_to_case, open_case
from amends.cases.models import Case
from amends.clients.actions import add_contact, add_engagement, create_client
from amends.clients.models import Client, Contact, Engagement

PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests use a fast hasher (production settings are
    checked by tests/unit/test_settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    alice: User
    bob: User
    carol: User
    ada: User
    acme: Client
    globex: Client
    contact: Contact
    engagement: Engagement
    case: Case
    other_case: Case


@pytest.fixture
def world(db) -> World:
    alice = create_user(
        None,
        username="alice",
        password=PASSWORD,
        display_name="Alice Owner",
        email="alice@firm.example",
    )
    bob = create_user(None, username="bob", password=PASSWORD, display_name="Bob Member")
    carol = create_user(None, username="carol", password=PASSWORD, display_name="Carol Outsider")
    ada = create_user(
        None, username="ada", password=PASSWORD, display_name="Ada Admin", is_admin=True
    )
    acme = create_client(
        None,
        name="Acme Ltd",
        owner=alice,
        backup=bob,
        email_domains="acme.example",
        timezone="Europe/London",
    )
    globex = create_client(None, name="Globex", owner=carol, timezone="America/New_York")
    set_team_membership(None, client_id=acme.pk, user=bob)
    contact = add_contact(
        alice, acme, name="Dana Client", email="dana@acme.example", role="Marketing director"
    )
    engagement = add_engagement(alice, acme, name="Website relaunch", budget=20000, used=17500)
    case = open_case(
        alice,
        acme,
        title="Launch slipped and a surprise invoice",
        severity="high",
        opened_at=timezone.now() - timedelta(hours=30),
    )
    add_to_case(
        alice,
        case,
        "concern",
        text="We were never told the launch would slip.",
        source="Email from Dana",
    )
    other_case = open_case(carol, globex, title="Globex training quality")
    return World(alice, bob, carol, ada, acme, globex, contact, engagement, case, other_case)


@pytest.fixture
def as_alice(client, world):
    client.force_login(world.alice)
    return client


@pytest.fixture
def as_bob(client, world):
    client.force_login(world.bob)
    return client


@pytest.fixture
def as_carol(client, world):
    client.force_login(world.carol)
    return client


@pytest.fixture
def as_ada(client, world):
    client.force_login(world.ada)
    return client


def token_for(user: User) -> str:
    from amends.accounts.actions import issue_token

    return issue_token(user, name="tests")[1]


@pytest.fixture
def api_alice(world):
    """Headers for API calls as alice."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.alice)}"}


@pytest.fixture
def api_carol(world):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.carol)}"}


@pytest.fixture
def api_ada(world):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.ada)}"}
