"""Bearer auth and the one error body, for every kind of failure."""

from __future__ import annotations

import json

import pytest
from django.apps import apps

from amends.accounts.models import ApiToken

from .conftest import BASE, Api, error_of, ok

# ------------------------------------------------------------------------- auth


def test_a_valid_token_identifies_its_user(alice_api):
    assert ok(alice_api.get("/me"))["username"] == "alice"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer amd_not-a-real-token",
        "Bearer ",
        "Token amd_whatever",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Bearer " + "amd_" + "x" * 5000,
    ],
)
def test_missing_or_invalid_tokens_get_401(client, world, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"{BASE}/me", **headers)
    error_of(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_login_does_not_reach_the_api(as_alice):
    # No session auth on the API: logged in on the site but no token is still 401,
    # and a POST is refused for want of a token, not for want of a CSRF token.
    error_of(as_alice.get(f"{BASE}/me"), 401, "unauthorized")
    response = as_alice.post(f"{BASE}/tokens", data="{}", content_type="application/json")
    error_of(response, 401, "unauthorized")


def test_a_revoked_token_stops_working(client, world):
    token = ok(Api(client, _bearer_for(world.alice)).post("/tokens", {"name": "laptop"}), 201)
    mine = Api(client, {"HTTP_AUTHORIZATION": f"Bearer {token['token']}"})
    assert ok(mine.get("/me"))["username"] == "alice"

    assert mine.delete(f"/tokens/{token['id']}").status_code == 204

    error_of(mine.get("/me"), 401, "unauthorized")
    error_of(mine.post("/tokens", {"name": "sneaky"}), 401, "unauthorized")


def test_a_deactivated_user_token_stops_working(client, world, alice_api):
    world.alice.is_active = False
    world.alice.save(update_fields=["is_active"])
    error_of(alice_api.get("/me"), 401, "unauthorized")


def test_tokens_are_stored_hashed_never_raw(alice_api):
    raw = ok(alice_api.post("/tokens", {"name": "ci"}), 201)["token"]
    assert raw.startswith("amd_") and len(raw) > 30
    token = ApiToken.objects.get(name="ci")
    assert token.digest == ApiToken.digest_of(raw) and token.digest != raw
    # Nowhere in the database, in any table or column, is the raw token.
    for model in apps.get_models():
        for row in model._default_manager.values():
            assert raw not in json.dumps(row, default=str), model


def _bearer_for(user) -> dict[str, str]:
    from amends.accounts.actions import issue_token

    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, name='x')[1]}"}


# ----------------------------------------------------------------------- errors


def test_unknown_endpoints_answer_json_404(alice_api, anon_api):
    for api in (alice_api, anon_api):
        error_of(api.get("/nowhere"), 404, "not_found")
        error_of(api.post("/cases/1/bogus", {}), 404, "not_found")
        error_of(api.get("/cases/1/unknownkinds"), 404, "not_found")


def test_the_api_root_says_where_the_docs_are(anon_api):
    body = ok(anon_api.get("/"))
    assert body["docs"].endswith("/api/v1/docs")
    assert body["openapi"].endswith("/api/v1/openapi.json")


def test_a_wrong_method_is_a_json_405(alice_api):
    error = error_of(alice_api.delete("/me"), 405, "method_not_allowed")
    assert "GET" in error["message"]


def test_a_body_that_is_not_json_is_a_400(client, api_alice, world):
    response = client.post(
        f"{BASE}/cases", data="{not json", content_type="application/json", **api_alice
    )
    error_of(response, 400, "bad_request")
    response = client.post(
        f"{BASE}/cases", data=b"\xff\xfe\x00", content_type="application/json", **api_alice
    )
    error_of(response, 400, "bad_request")


def test_an_oversized_body_is_a_clean_413(client, api_alice, world):
    body = json.dumps({"client": world.acme.pk, "title": "x", "summary": "y" * (3 * 1024**2)})
    response = client.post(f"{BASE}/cases", data=body, content_type="application/json", **api_alice)
    error_of(response, 413, "too_large")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x"}, "client"),
        ({"client": "acme", "title": "x"}, "client"),
        ({"client": 10**30, "title": "x"}, "client"),
        ({"client": -1, "title": "x"}, "client"),
        ({"client": 1, "title": "x" * 201}, "title"),
        ({"client": 1, "title": ["x"]}, "title"),
        ({"client": 1, "title": {"$gt": ""}}, "title"),
        ({"client": 1, "title": "a\x00b"}, "title"),
        ({"client": 1, "title": "x", "severity": "apocalyptic"}, "severity"),
        ({"client": 1, "title": "x", "opened_at": "2025-03-01T09:00:00"}, "opened_at"),
        ({"client": 1, "title": "x", "opened_at": "yesterday"}, "opened_at"),
        ({"client": 1, "title": "x", "opened_at": "0001-01-01T00:00:00+05:00"}, "opened_at"),
        ({"client": 1, "title": "x", "status": "resolved"}, "status"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(alice_api, body, field):
    error = error_of(alice_api.post("/cases", body), 422, "invalid")
    assert field in error["fields"], error


def test_a_naive_datetime_is_refused_with_a_clear_message(alice_api, world):
    response = alice_api.post(
        f"/cases/{world.case.pk}/checkins", {"scheduled_at": "2030-03-01T09:00:00"}
    )
    error = error_of(response, 422, "invalid")
    assert "time zone" in error["fields"]["scheduled_at"]


def test_a_body_that_is_a_list_or_null_is_a_422(alice_api, world):
    error_of(alice_api.post("/cases", [1, 2, 3]), 422, "invalid")
    error_of(alice_api.post("/cases", None), 422, "invalid")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 500},
        {"limit": 0},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": 10**30},
        {"status": "bogus"},
        {"client": "acme"},
        {"search": "a\x00b"},
        {"search": "s" * 500},
    ],
)
def test_bad_query_parameters_are_a_422(alice_api, query):
    error_of(alice_api.get("/cases", query), 422, "invalid")


def test_a_huge_or_malformed_path_id_never_errors(alice_api):
    for path in ("/cases/99999999999999999999999", "/cases/0", "/concerns/-5"):
        assert alice_api.get(path).status_code in (404, 422)
    error_of(alice_api.get("/cases/abc"), 422, "invalid")


def test_errors_inside_the_domain_keep_the_body_shape(alice_api, world):
    # A Django ValidationError raised by an action (not by the schema) is a 422 too.
    error = error_of(
        alice_api.post(f"/clients/{world.acme.pk}/contacts", {"name": "X", "email": "nope"}),
        422,
        "invalid",
    )
    assert "email" in error["fields"]
