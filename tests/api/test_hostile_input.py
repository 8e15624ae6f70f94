"""Hostile input, everywhere: every field of every write, every path id, every filter.

Whatever is sent, the answer is a 2xx or a 4xx with the standard error body — never a
500. Each field of each request body (read from the OpenAPI) is replaced in turn by
each hostile value, starting from a valid body on Acme's data.
"""

from __future__ import annotations

import json

import pytest

from .conftest import BASE, Api
from .routes import ROUTES, Route, fill, params

HOSTILE: list[object] = [
    "x" * 100_001,
    "",
    "   ",
    "a\x00b",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "2025-03-01T09:00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-12:00",
    "NaN",
    "-Infinity",
    "1e400",
    10**40,
    -(10**40),
    -1,
    0,
    3.5,
    True,
    None,
    [],
    ["a"] * 1000,
    {"$ne": None},
]

WRITES = [r for r in ROUTES if r.body is not None]


def _spec(client) -> dict:
    return json.loads(client.get(f"{BASE}/openapi.json").content)


def _fields(spec: dict, route: Route) -> list[str]:
    op = spec["paths"][BASE + route.path][route.method.lower()]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    ref = next(s["$ref"] for s in [schema, *schema.get("anyOf", [])] if "$ref" in s)
    return list(spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])


def _assert_clean(response, where: str) -> None:
    assert response.status_code < 500, (where, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert body["error"]["code"] and body["error"]["message"], where


@pytest.mark.parametrize("route", params([r for r in WRITES if not r.upload]))
def test_no_field_value_causes_a_server_error(route, client, world, acme, api_alice, api_ada):
    api = Api(client, api_ada if route.admin_only else api_alice)
    spec = _spec(client)
    valid = route.body(world, acme)
    for field in _fields(spec, route):
        for value in HOSTILE:
            path = fill(route, world, acme)
            response = api.send(route.method, path, {**valid, field: value})
            _assert_clean(response, f"{route.id} {field}={str(value)[:40]!r}")


@pytest.mark.parametrize("route", WRITES, ids=lambda r: r.id)
def test_no_body_shape_causes_a_server_error(route, client, world, acme, api_alice):
    api = Api(client, api_alice)
    path = fill(route, world, acme)
    for body in ([], "text", 42, None, {"": 1}, {"x" * 1000: 1}, [{"a": 1}] * 100):
        _assert_clean(api.send(route.method, path, body), f"{route.id} {str(body)[:40]}")
    raw = ["{", "nul\x00l", "[" * 50_000, '"\\ud800"', '{"a": 1e999999}']
    for text in raw:
        response = client.generic(
            route.method, BASE + path, text, content_type="application/json", **api_alice
        )
        _assert_clean(response, f"{route.id} raw {text[:20]!r}")


@pytest.mark.parametrize("route", [r for r in ROUTES if "{" in r.path], ids=lambda r: r.id)
def test_no_path_id_causes_a_server_error(route, client, world, acme, api_alice):
    api = Api(client, api_alice)
    valid = route.body(world, acme) if route.body else None
    for bad in (
        "0",
        "-1",
        "99999999999999999999",
        "9223372036854775808",
        "1.5",
        "abc",
        "%00",
        "1e3",
        "%20",
        "١٢",
    ):
        path = route.path
        for name in (
            "client_id",
            "case_id",
            "contact_id",
            "engagement_id",
            "comm_id",
            "token_id",
            "user_id",
            "commitment_id",
            "part_id",
        ):
            path = path.replace(f"{{{name}}}", bad)
        response = api.get(path) if route.method == "GET" else api.send(route.method, path, valid)
        _assert_clean(response, f"{route.id} with {bad}")
        assert response.status_code in (404, 405, 422), (route.id, bad, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/clients",
        "/cases",
        "/communications",
        "/users",
        "/tokens",
        "/clients/{client}/timeline",
        "/cases/{case}/concerns",
    ],
)
def test_no_query_parameter_causes_a_server_error(path, world, alice_api):
    path = path.format(client=world.acme.pk, case=world.case.pk)
    for name in ("limit", "offset", "client", "case", "status", "open", "search", "since", "until"):
        for value in (
            "-1",
            "0",
            "10" * 30,
            "abc",
            "\x00",
            "x" * 5000,
            "true",
            "",
            "2025-01-01T00:00:00",
            "2025-01-01T00:00:00 00:00",
        ):
            _assert_clean(alice_api.get(path, {name: value}), f"{path}?{name}={value[:20]}")
