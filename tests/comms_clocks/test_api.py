"""GET /clients/{id}/responsiveness, /cases/{id}/responsiveness and /responsiveness."""

from __future__ import annotations

from datetime import datetime

from tests.api.conftest import Api, error_of

from .conftest import at


def _history(world, say):
    say("in", at(13, 9), subject="Where is the launch date?")
    say("out", at(13, 11))
    return say("in", at(15, 8), subject="Still nothing", case=world.case)


def test_a_client_s_clocks(client, world, say, api_alice):
    waiting = _history(world, say)

    body = Api(client, api_alice).get(f"/clients/{world.acme.pk}/responsiveness").json()

    assert body["client"] == {"id": world.acme.pk, "name": "Acme Ltd", "timezone": "Europe/London"}
    assert body["case"] is None and body["first_response"] is None
    assert body["awaiting"] == [
        {
            "communication": waiting.pk,
            "client": world.acme.pk,
            "case": world.case.pk,
            "channel": "email",
            "subject": "Still nothing",
            "received_at": body["awaiting"][0]["received_at"],
            "waiting_seconds": 4 * 3600,
        }
    ]
    assert datetime.fromisoformat(body["awaiting"][0]["received_at"]) == at(15, 8)
    assert body["oldest_waiting_seconds"] == 4 * 3600
    assert body["replies_30d"]["count"] == 1
    assert body["replies_30d"]["median_seconds"] == 2 * 3600
    assert body["replies_30d"]["slowest"]["subject"] == "Where is the launch date?"
    assert body["first_responses_30d"]["count"] == 1
    assert len(body["tone"]["weeks"]) == 12
    assert body["tone"]["direction"] == "unknown" and body["tone"]["souring"] is False


def test_a_case_s_clocks(client, world, say, api_alice):
    _history(world, say)

    body = Api(client, api_alice).get(f"/cases/{world.case.pk}/responsiveness").json()

    assert body["case"] == world.case.pk
    assert [a["subject"] for a in body["awaiting"]] == ["Still nothing"]
    assert body["first_response"]["running"] is True
    assert body["first_response"]["seconds"] == 12 * 3600 + 1800
    assert body["first_responses_30d"] is None


def test_across_my_clients(client, world, say, api_alice, api_ada):
    _history(world, say)
    say("in", at(14, 15), client=world.globex)

    mine = Api(client, api_alice).get("/responsiveness").json()
    everyone = Api(client, api_ada).get("/responsiveness").json()

    assert [c["client"]["name"] for c in mine["clients"]] == ["Acme Ltd"]
    assert [c["client"]["name"] for c in everyone["clients"]] == ["Globex", "Acme Ltd"]


def test_an_outsider_gets_404_and_sees_nothing(client, world, say, api_carol):
    _history(world, say)
    api = Api(client, api_carol)
    error_of(api.get(f"/clients/{world.acme.pk}/responsiveness"), 404, "not_found")
    error_of(api.get(f"/cases/{world.case.pk}/responsiveness"), 404, "not_found")
    overview = api.get("/responsiveness")
    assert overview.status_code == 200
    assert "Acme" not in overview.content.decode()
    assert "Still nothing" not in overview.content.decode()


def test_hostile_ids_are_refused_cleanly(client, world, api_alice):
    api = Api(client, api_alice)
    assert api.get("/clients/99999999999999999999999/responsiveness").status_code == 422
    error_of(api.get("/cases/0/responsiveness"), 422, "invalid")
    error_of(api.get("/clients/123456/responsiveness"), 404, "not_found")
