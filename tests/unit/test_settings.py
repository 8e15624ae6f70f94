"""The production defaults that keep Amends safe (the test run overrides some of them)."""

import importlib

import amends.settings as production


def test_passwords_are_hashed_with_argon2():
    assert "Argon2" in importlib.reload(production).PASSWORD_HASHERS[0]


def test_debug_is_off_and_cookies_are_http_only_by_default():
    assert production.DEBUG is False
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.X_FRAME_OPTIONS == "DENY"


def test_logins_are_throttled():
    assert production.AXES_FAILURE_LIMIT == 5
    assert "axes.middleware.AxesMiddleware" in production.MIDDLEWARE
