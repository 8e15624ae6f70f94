"""Communications: recorded, filtered, linked only within a client, replies stop clocks."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amends.comms.models import Communication

from .conftest import error_of, iso, ok


def test_communications_are_listed_newest_first_with_filters(alice_api, acme, world):
    body = ok(alice_api.get("/communications"))
    assert [c["id"] for c in body["items"]] == [acme.message.pk]
    message = body["items"][0]
    assert message["client"] == world.acme.pk and message["case"] == world.case.pk
    assert message["contact"] == world.contact.pk and message["title"] == "Where is the launch?"
    assert message["recorded_by"] == world.alice.pk and message["version"] == 1
    assert ok(alice_api.get("/communications", {"case": world.case.pk}))["count"] == 1
    assert ok(alice_api.get("/communications", {"client": world.acme.pk}))["count"] == 1


def test_outsiders_see_no_communication_of_another_client(carol_api, acme, world):
    ids = [c["id"] for c in ok(carol_api.get("/communications"))["items"]]
    assert ids == [acme.globex_message.pk]
    error_of(carol_api.get("/communications", {"client": world.acme.pk}), 404, "not_found")
    error_of(carol_api.get("/communications", {"case": world.case.pk}), 404, "not_found")
    error_of(carol_api.get(f"/communications/{acme.message.pk}"), 404, "not_found")
    error_of(
        carol_api.patch(f"/communications/{acme.message.pk}", {"version": 1, "subject": "Mine"}),
        404,
        "not_found",
    )
    error_of(
        carol_api.post(
            "/communications", {"client": world.acme.pk, "channel": "note", "direction": "internal"}
        ),
        404,
        "not_found",
    )


def test_a_reply_to_the_client_stops_the_first_response_clock(alice_api, world):
    reply = ok(
        alice_api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "case": world.case.pk,
                "channel": "email",
                "direction": "out",
                "subject": "Sorry — here is what happened",
                "summary": "Thank you for raising this...",
                "person": world.alice.pk,
                "contact": world.contact.pk,
            },
        ),
        201,
    )
    assert reply["person"] == world.alice.pk and reply["occurred_at"]
    case = ok(alice_api.get(f"/cases/{world.case.pk}"))
    assert case["first_response_at"] == reply["occurred_at"]
    assert case["first_response_clock"]["running"] is False


def test_an_internal_note_does_not_stop_the_clock(alice_api, world):
    ok(
        alice_api.post(
            "/communications",
            {"client": world.acme.pk, "case": world.case.pk, "channel": "note", "direction": "out"},
        ),
        201,
    )
    assert ok(alice_api.get(f"/cases/{world.case.pk}"))["first_response_at"] is None


def test_a_recap_follows_a_call(alice_api, world):
    call = ok(
        alice_api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "channel": "call",
                "direction": "out",
                "occurred_at": iso(timezone.now() - timedelta(hours=1)),
                "summary": "30-minute call",
            },
        ),
        201,
    )
    recap = ok(
        alice_api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "channel": "email",
                "direction": "out",
                "subject": "Recap of our call",
                "recap_of": call["id"],
            },
        ),
        201,
    )
    assert recap["recap_of"] == call["id"]
    error = error_of(
        alice_api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "channel": "email",
                "direction": "out",
                "recap_of": recap["id"],
            },
        ),
        422,
        "invalid",
    )
    assert "recap_of" in error["fields"]


def test_links_must_stay_within_the_client(alice_api, ada_api, acme, world):
    base = {"client": world.acme.pk, "channel": "email", "direction": "in"}
    # Alice cannot see Globex's records: they are unknown to her.
    for field, foreign in (
        ("case", world.other_case.pk),
        ("contact", acme.globex_contact.pk),
        ("recap_of", acme.globex_message.pk),
    ):
        error = error_of(
            alice_api.post("/communications", {**base, field: foreign}), 422, "invalid"
        )
        assert field in error["fields"], field
    # Ada sees both clients; the link is still refused.
    for field, foreign in (
        ("case", world.other_case.pk),
        ("contact", acme.globex_contact.pk),
        ("recap_of", acme.globex_message.pk),
    ):
        error = error_of(ada_api.post("/communications", {**base, field: foreign}), 422, "invalid")
        assert field in error["fields"], field
    error = error_of(
        alice_api.patch(
            f"/communications/{acme.message.pk}", {"version": 1, "contact": acme.globex_contact.pk}
        ),
        422,
        "invalid",
    )
    assert Communication.objects.get(pk=acme.message.pk).contact_id == world.contact.pk


def test_a_communication_cannot_be_in_the_future_or_naive(alice_api, world):
    base = {"client": world.acme.pk, "channel": "call", "direction": "in"}
    later = iso(timezone.now() + timedelta(days=1))
    error_of(alice_api.post("/communications", {**base, "occurred_at": later}), 422, "invalid")
    error_of(
        alice_api.post("/communications", {**base, "occurred_at": "2025-01-01T10:00"}),
        422,
        "invalid",
    )
    error_of(alice_api.post("/communications", {**base, "channel": "pigeon"}), 422, "invalid")
    error_of(alice_api.post("/communications", {**base, "person": 999999}), 422, "invalid")


def test_editing_a_communication_detects_stale_edits(alice_api, acme):
    url = f"/communications/{acme.message.pk}"
    edited = ok(alice_api.patch(url, {"version": 1, "summary": "No date yet, and no call."}))
    assert edited["version"] == 2 and edited["summary"].startswith("No date yet")
    assert ok(alice_api.patch(url, {"version": 2, "case": None}))["case"] is None
    error_of(alice_api.patch(url, {"version": 1, "subject": "x"}), 409, "stale_edit")
