"""Hostile text in every form field comes back escaped: in the re-shown form, in error
messages that quote it, and on the pages that show it once saved."""

import pytest
from django.urls import reverse

from tests.web.conftest import HOSTILE, assert_escaped, htmx

pytestmark = pytest.mark.django_db


def test_every_client_field(as_ada, world):
    r = as_ada.post(
        reverse("clients:list"),
        {
            "new-name": HOSTILE,
            "new-email_domains": HOSTILE,
            "new-timezone": HOSTILE,
            "new-work_start": HOSTILE,
            "new-work_end": HOSTILE,
            "new-work_days": [HOSTILE],
            "new-owner": HOSTILE,
            "new-backup": HOSTILE,
            "new-notes": HOSTILE,
        },
    )
    assert r.status_code == 422
    assert_escaped(r)


def test_every_contact_field(as_alice, world):
    fields = ("name", "email", "role", "phone", "notes")
    r = as_alice.post(
        reverse("clients:contacts", args=[world.acme.pk]),
        {f"contact-{f}": HOSTILE for f in fields},
        **htmx(),
    )
    assert r.status_code == 422  # the email is not an email
    assert_escaped(r)


def test_every_engagement_field(as_alice, world):
    fields = ("name", "budget_unit", "currency", "budget", "used", "starts_on", "due_on")
    r = as_alice.post(
        reverse("clients:engagements", args=[world.acme.pk]),
        {f"engagement-{f}": HOSTILE for f in fields},
        **htmx(),
    )
    assert r.status_code == 422
    assert_escaped(r)


def test_every_communication_field(as_alice, world):
    fields = (
        "channel",
        "direction",
        "occurred_at",
        "contact",
        "person",
        "case",
        "subject",
        "summary",
        "recap_of",
    )
    r = as_alice.post(
        reverse("comms:for_client", args=[world.acme.pk]), {f"comm-{f}": HOSTILE for f in fields}
    )
    assert r.status_code == 422
    assert_escaped(r)


def test_team_and_account_fields(as_ada, world):
    r = as_ada.post(
        reverse("accounts:create_user"),
        {
            "username": HOSTILE,
            "display_name": HOSTILE,
            "email": HOSTILE,
            "password": HOSTILE,
        },
    )
    assert r.status_code == 422
    assert_escaped(r)
    r = as_ada.post(
        reverse("accounts:set_membership"),
        {"client": HOSTILE, "user": HOSTILE, "role": HOSTILE},
        follow=True,
    )
    assert HOSTILE not in r.content.decode()


def test_search_token_and_sign_in_fields(client, as_alice, world):
    assert_escaped(as_alice.get(reverse("clients:list"), {"q": HOSTILE}))
    r = as_alice.post(reverse("accounts:tokens"), {"name": HOSTILE})
    assert_escaped(r)
    as_alice.post(reverse("accounts:logout"))
    r = client.post("/accounts/login/", {"username": HOSTILE, "password": HOSTILE})
    assert_escaped(r)
