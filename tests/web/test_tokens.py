"""Personal API tokens: shown once, working until revoked."""

import re

import pytest
from django.urls import reverse

from amends.accounts.actions import authenticate_token, issue_token
from amends.accounts.models import ApiToken
from tests.web.conftest import HOSTILE, assert_escaped

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:tokens")


def _raw_from(html: str) -> str:
    match = re.search(r'id="new-token"[^>]*>(amd_[^<]+)</textarea>', html)
    assert match, "the new token is on the page"
    return match.group(1)


def test_the_token_page_lists_my_tokens_only(as_alice, world):
    issue_token(world.alice, name="reporting script")
    issue_token(world.carol, name="carol's laptop")
    html = as_alice.get(PAGE).content.decode()
    assert "reporting script" in html and "carol" not in html and "never" in html


def test_a_new_token_is_shown_once_and_works(as_alice, world):
    r = as_alice.post(PAGE, {"name": "laptop CLI"})
    assert r.status_code == 201
    assert "no-store" in r["Cache-Control"]
    html = r.content.decode()
    raw = _raw_from(html)
    assert "only time it is shown" in html
    assert authenticate_token(raw) == world.alice
    # Never again: the list shows only its first characters.
    html = as_alice.get(PAGE).content.decode()
    assert raw not in html and raw[:10] in html
    assert ApiToken.objects.get(name="laptop CLI").digest != raw


def test_revoking_a_token_stops_it(as_alice, world):
    raw = _raw_from(as_alice.post(PAGE, {"name": "to revoke"}).content.decode())
    token = ApiToken.objects.get(name="to revoke")
    r = as_alice.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert r.status_code == 303
    assert authenticate_token(raw) is None
    assert "Revoked" in as_alice.get(PAGE).content.decode()


def test_revoking_needs_a_post(as_alice, world):
    token, raw = issue_token(world.alice, name="x")
    assert as_alice.get(reverse("accounts:revoke_token", args=[token.pk])).status_code == 405
    assert authenticate_token(raw) == world.alice


def test_nobody_else_can_revoke_my_token(as_carol, world):
    token, raw = issue_token(world.alice, name="alice's")
    assert as_carol.post(reverse("accounts:revoke_token", args=[token.pk])).status_code == 404
    assert authenticate_token(raw) == world.alice


def test_a_bad_token_name_is_refused_and_a_hostile_one_escaped(as_alice, world):
    r = as_alice.post(PAGE, {"name": "n" * 101})
    assert r.status_code == 422 and "at most 100 characters" in r.content.decode()
    r = as_alice.post(PAGE, {"name": ""})
    assert r.status_code == 422 and "This field is required" in r.content.decode()
    assert not ApiToken.objects.exists()
    as_alice.post(PAGE, {"name": HOSTILE})
    assert_escaped(as_alice.get(PAGE))
