"""Who am I, people, API tokens and client teams."""

from __future__ import annotations

from amends.accounts.actions import issue_token
from amends.accounts.models import TeamMembership

from .conftest import error_of, ok


def test_me_describes_the_token_owner(alice_api, world):
    me = ok(alice_api.get("/me"))
    assert me == {
        "id": world.alice.pk,
        "username": "alice",
        "name": "Alice Owner",
        "email": "alice@firm.example",
        "is_admin": False,
        "is_active": True,
    }


def test_users_lists_the_firm_paginated(alice_api):
    body = ok(alice_api.get("/users", {"limit": 2}))
    assert body["count"] == 4
    assert [u["username"] for u in body["items"]] == ["ada", "alice"]
    body = ok(alice_api.get("/users", {"limit": 2, "offset": 2}))
    assert [u["username"] for u in body["items"]] == ["bob", "carol"]


def test_only_admins_see_deactivated_users(alice_api, ada_api, world):
    world.bob.is_active = False
    world.bob.save(update_fields=["is_active"])
    assert "bob" not in [u["username"] for u in ok(alice_api.get("/users"))["items"]]
    assert "bob" in [u["username"] for u in ok(ada_api.get("/users"))["items"]]


# ------------------------------------------------------------------------- tokens


def test_creating_a_token_shows_the_secret_once(alice_api):
    created = ok(alice_api.post("/tokens", {"name": "  Zapier  "}), 201)
    assert created["name"] == "Zapier"
    assert created["token"].startswith(created["hint"])
    assert created["active"] is True and created["revoked_at"] is None
    listed = ok(alice_api.get("/tokens"))["items"]
    mine = next(t for t in listed if t["id"] == created["id"])
    assert "token" not in mine
    assert all(set(t) == set(mine) for t in listed)
    assert not any(created["token"] in str(t) for t in listed)


def test_a_token_name_is_bounded(alice_api):
    error_of(alice_api.post("/tokens", {"name": "n" * 101}), 422, "invalid")
    error_of(alice_api.post("/tokens", {"name": 5}), 422, "invalid")


def test_revoking_marks_the_token_and_is_harmless_twice(alice_api, world):
    token, _ = issue_token(world.alice, name="old")
    assert alice_api.delete(f"/tokens/{token.pk}").status_code == 204
    assert alice_api.delete(f"/tokens/{token.pk}").status_code == 204
    listed = {t["id"]: t for t in ok(alice_api.get("/tokens"))["items"]}
    assert listed[token.pk]["active"] is False and listed[token.pk]["revoked_at"]


def test_tokens_are_private_to_their_owner(carol_api, alice_api, world):
    token, _ = issue_token(world.alice, name="alice's")
    ids = [t["id"] for t in ok(carol_api.get("/tokens"))["items"]]
    assert token.pk not in ids
    error_of(carol_api.delete(f"/tokens/{token.pk}"), 404, "not_found")
    token.refresh_from_db()
    assert token.is_active


def test_anonymous_cannot_touch_tokens(anon_api, world):
    token, _ = issue_token(world.alice, name="x")
    error_of(anon_api.get("/tokens"), 401, "unauthorized")
    error_of(anon_api.post("/tokens", {"name": "x"}), 401, "unauthorized")
    error_of(anon_api.delete(f"/tokens/{token.pk}"), 401, "unauthorized")


# -------------------------------------------------------------------------- teams


def test_the_team_lists_who_is_on_the_client(alice_api, world):
    team = ok(alice_api.get(f"/clients/{world.acme.pk}/team"))
    assert [(m["username"], m["role"]) for m in team["items"]] == [
        ("alice", "lead"),
        ("bob", "member"),
    ]
    assert team["items"][0]["client"] == world.acme.pk
    assert team["items"][0]["user"] == world.alice.pk


def test_an_admin_puts_someone_on_the_team_and_takes_them_off(ada_api, carol_api, world):
    url = f"/clients/{world.acme.pk}/team/{world.carol.pk}"
    error_of(carol_api.get(f"/cases/{world.case.pk}"), 404, "not_found")

    member = ok(ada_api.put(url, {"role": "member"}))
    assert (member["username"], member["role"]) == ("carol", "member")
    assert ok(carol_api.get(f"/cases/{world.case.pk}"))["id"] == world.case.pk
    assert ok(ada_api.put(url, {"role": "lead"}))["role"] == "lead"

    assert ada_api.delete(url).status_code == 204
    error_of(carol_api.get(f"/cases/{world.case.pk}"), 404, "not_found")


def test_team_changes_are_for_admins_only(alice_api, world):
    url = f"/clients/{world.acme.pk}/team/{world.carol.pk}"
    error_of(alice_api.put(url, {"role": "member"}), 403, "forbidden")
    error_of(alice_api.delete(f"/clients/{world.acme.pk}/team/{world.bob.pk}"), 403, "forbidden")
    assert not TeamMembership.objects.filter(user=world.carol, client=world.acme).exists()


def test_outsiders_cannot_see_or_change_a_team(carol_api, world):
    error_of(carol_api.get(f"/clients/{world.acme.pk}/team"), 404, "not_found")
    url = f"/clients/{world.acme.pk}/team/{world.carol.pk}"
    error_of(carol_api.put(url, {"role": "lead"}), 404, "not_found")
    error_of(carol_api.delete(f"/clients/{world.acme.pk}/team/{world.bob.pk}"), 404, "not_found")


def test_the_owner_and_backup_stay_on_the_team(ada_api, world):
    error = error_of(
        ada_api.delete(f"/clients/{world.acme.pk}/team/{world.alice.pk}"), 422, "invalid"
    )
    assert "owner" in error["message"]


def test_team_input_is_checked(ada_api, world):
    url = f"/clients/{world.acme.pk}/team"
    error_of(ada_api.put(f"{url}/{world.carol.pk}", {"role": "boss"}), 422, "invalid")
    error_of(ada_api.put(f"{url}/999999", {"role": "member"}), 404, "not_found")
    error_of(ada_api.put(f"/clients/999999/team/{world.carol.pk}", {}), 404, "not_found")
