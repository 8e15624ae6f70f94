"""amends.core.health.healthz: up, database reachable, nothing secret."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import RequestFactory

from amends.core import health


@pytest.fixture
def get():
    return RequestFactory().get("/healthz")


def test_healthz_reports_ok_with_the_database(db, get):
    response = health.healthz(get)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["status"] == "ok" and body["app"] == "amends"
    assert body["version"] and body["version"] != "unknown"
    assert body["database"]["engine"] == connection.vendor
    assert body["database"]["engine"] in ("sqlite", "postgresql")
    assert body["database"]["ok"] is True
    assert isinstance(body["database"]["latency_ms"], float)
    assert set(body) == {"status", "app", "version", "database"}
    assert set(body["database"]) == {"engine", "ok", "latency_ms"}


def test_healthz_is_503_when_the_database_fails(db, get, monkeypatch):
    class BrokenConnection:
        vendor = connection.vendor

        def cursor(self):
            raise RuntimeError("could not connect to server at 10.0.0.5 password=hunter2")

    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = health.healthz(get)
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "error" and body["database"]["ok"] is False
    assert b"10.0.0.5" not in response.content and b"hunter2" not in response.content


def test_healthz_needs_no_login_and_takes_only_safe_methods(db):
    factory = RequestFactory()
    assert health.healthz(factory.head("/healthz")).status_code == 200
    assert health.healthz(factory.post("/healthz")).status_code == 405
