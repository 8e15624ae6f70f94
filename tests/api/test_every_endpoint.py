"""Every operation, three ways: the team works, outsiders get nothing, anonymous gets 401.

(Revoked and invalid tokens take the same path as a missing one: see test_auth_and_errors.)
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from amends.clients.models import TimelineEntry

from .conftest import BASE, Api, error_of
from .routes import ROUTES, UPLOAD_EML, Route, fill, params

# Words that only appear in Acme's data: an outsider's response must contain none.
ACME_WORDS = ("Acme", "Dana", "Launch slipped", "Website relaunch", "acme.example")


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """POST /imports stores the upload under DATA_DIR: keep it out of the real one."""
    settings.DATA_DIR = tmp_path


def _call(api: Api, route: Route, path: str, world, acme):
    body = route.body(world, acme) if route.body else None
    if route.method == "GET":
        return api.get(path)
    if route.upload:
        data = {**(body or {}), "file": SimpleUploadedFile("mail.eml", UPLOAD_EML)}
        return api.client.post(api._url(path), data=data, **api.headers)
    return api.send(route.method, path, body)


def test_the_table_lists_every_operation(client, db):
    spec = json.loads(client.get(f"{BASE}/openapi.json").content)
    documented = {
        f"{method.upper()} {path.removeprefix(BASE)}"
        for path, operations in spec["paths"].items()
        for method in operations
    }
    assert {r.id for r in ROUTES} == documented
    assert len(ROUTES) == len(documented)


@pytest.mark.parametrize("route", params(ROUTES))
def test_the_team_can_use_it(route, client, world, acme, api_alice, api_ada):
    api = Api(client, api_ada if route.admin_only else api_alice)
    response = _call(api, route, fill(route, world, acme), world, acme)
    assert response.status_code == route.member_status, response.content[:500]
    if response.status_code != 204:
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_an_outsider_gets_nothing_of_acme(route, client, world, acme, api_carol):
    path = fill(route, world, acme)
    before = TimelineEntry.objects.filter(client=world.acme).count()

    response = _call(Api(client, api_carol), route, path, world, acme)

    if route.outsider == "404":
        if route.method == "GET" and "{" not in route.path:
            # A list: it answers, but with nothing of Acme's.
            assert response.status_code == 200
        else:
            error_of(response, 404, "not_found")
    elif route.outsider == "forbidden":
        error_of(response, 403, "forbidden")
    else:
        assert response.status_code in (200, 201)
    text = response.content.decode()
    assert not any(word in text for word in ACME_WORDS), text[:500]
    assert TimelineEntry.objects.filter(client=world.acme).count() == before


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_anonymous_gets_401(route, client, world, acme):
    response = _call(Api(client), route, fill(route, world, acme), world, acme)
    error_of(response, 401, "unauthorized")
