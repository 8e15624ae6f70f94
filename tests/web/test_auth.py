"""Signing in and out, and the throttle on repeated failures (django-axes)."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_the_sign_in_page_renders(client, world):
    r = client.get(LOGIN)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="username"' in html and 'autocomplete="current-password"' in html
    assert "Log out" not in html


def test_signing_in_leads_to_the_home_page(client, world):
    r = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_signing_in_returns_to_the_page_asked_for(client, world):
    url = reverse("clients:detail", args=[world.acme.pk])
    r = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": url})
    assert r["Location"] == url


def test_sign_in_does_not_redirect_off_site(client, world):
    r = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert r["Location"] == reverse("home")


def test_a_wrong_password_says_so(client, world):
    r = client.post(LOGIN, {"username": "alice", "password": "nope"})
    assert r.status_code == 200
    assert "do not match" in r.content.decode()


def test_repeated_failures_lock_the_sign_in(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        r = client.post(LOGIN, {"username": "alice", "password": "wrong-guess"})
        assert r.status_code == 200
    r = client.post(LOGIN, {"username": "alice", "password": "wrong-guess"})
    assert r.status_code == 429
    html = r.content.decode()
    assert "Sign-in paused" in html and "Try again in 15m" in html
    # Even the right password is refused while locked.
    r = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert r.status_code == 429
    assert client.get(reverse("home")).status_code == 302


def test_the_lock_is_per_user_name(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "alice", "password": "wrong-guess"})
    r = client.post(LOGIN, {"username": "bob", "password": PASSWORD})
    assert r.status_code == 302


def test_logging_out_needs_a_post(as_alice):
    assert as_alice.get(reverse("accounts:logout")).status_code == 405
    assert as_alice.get(reverse("home")).status_code == 200
    r = as_alice.post(reverse("accounts:logout"))
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert as_alice.get(reverse("home")).status_code == 302


def test_a_signed_in_visitor_skips_the_sign_in_page(as_alice):
    r = as_alice.get(LOGIN)
    assert r.status_code == 302 and r["Location"] == reverse("home")
