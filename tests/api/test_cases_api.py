"""Cases: listing, opening, reading with clocks and guidance, editing, moving."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amends.cases import lifecycle
from amends.cases.models import Case

from .conftest import error_of, iso, ok


def test_cases_are_listed_for_the_team_with_filters(alice_api, world):
    body = ok(alice_api.get("/cases"))
    assert [c["id"] for c in body["items"]] == [world.case.pk]
    item = body["items"][0]
    assert item["client"] == world.acme.pk and item["client_name"] == "Acme Ltd"
    assert item["status"] == "open" and item["severity"] == "high"
    assert item["point_of_contact"] == world.alice.pk and item["version"] >= 1

    assert ok(alice_api.get("/cases", {"status": "resolved"}))["count"] == 0
    assert ok(alice_api.get("/cases", {"open": "true"}))["count"] == 1
    assert ok(alice_api.get("/cases", {"client": world.acme.pk}))["count"] == 1
    assert ok(alice_api.get("/cases", {"search": "invoice"}))["count"] == 1
    assert ok(alice_api.get("/cases", {"search": "nothing like it"}))["count"] == 0


def test_an_admin_sees_every_case(ada_api, world):
    ids = {c["id"] for c in ok(ada_api.get("/cases"))["items"]}
    assert ids == {world.case.pk, world.other_case.pk}


def test_outsiders_see_no_case_of_another_client(carol_api, world):
    ids = [c["id"] for c in ok(carol_api.get("/cases"))["items"]]
    assert ids == [world.other_case.pk]
    error_of(carol_api.get("/cases", {"client": world.acme.pk}), 404, "not_found")
    assert ok(carol_api.get("/cases", {"search": "invoice"}))["count"] == 0


def test_opening_a_case_starts_its_clock(alice_api, world):
    opened_at = timezone.now() - timedelta(hours=3)
    case = ok(
        alice_api.post(
            "/cases",
            {
                "client": world.acme.pk,
                "title": "Reports are late",
                "severity": "critical",
                "engagement": world.engagement.pk,
                "point_of_contact": world.bob.pk,
                "opened_at": iso(opened_at),
                "summary": "Third time this month.",
            },
        ),
        201,
    )
    assert case["status"] == "open" and case["version"] >= 1
    assert case["engagement"] == world.engagement.pk
    assert case["point_of_contact"] == world.bob.pk
    assert case["opened_at"] == iso(opened_at)  # full precision, explicit offset
    assert case["first_response_clock"]["running"] is True
    assert case["guidance"]["next_move"]["to"] == "acknowledged"
    assert [m["to"] for m in case["moves"]] == ["acknowledged", "lost"]


def test_the_point_of_contact_defaults_to_the_owner(alice_api, world):
    case = ok(alice_api.post("/cases", {"client": world.acme.pk, "title": "X"}), 201)
    assert case["point_of_contact"] == world.alice.pk and case["severity"] == "medium"


def test_a_case_links_only_to_its_own_client(alice_api, acme, world):
    error = error_of(
        alice_api.post(
            "/cases",
            {
                "client": world.acme.pk,
                "title": "X",
                "engagement": acme.globex_engagement.pk,
            },
        ),
        422,
        "invalid",
    )
    assert "engagement" in error["fields"]
    error = error_of(
        alice_api.post(
            "/cases",
            {
                "client": world.acme.pk,
                "title": "X",
                "point_of_contact": world.carol.pk,
            },
        ),
        422,
        "invalid",
    )
    assert "point_of_contact" in error["fields"]
    error = error_of(
        alice_api.post(
            "/cases",
            {
                "client": world.acme.pk,
                "title": "X",
                "opened_at": iso(timezone.now() + timedelta(days=1)),
            },
        ),
        422,
        "invalid",
    )
    assert "opened_at" in error["fields"]


def test_outsiders_cannot_open_a_case_on_another_client(carol_api, world):
    error_of(carol_api.post("/cases", {"client": world.acme.pk, "title": "X"}), 404, "not_found")
    assert not Case.objects.filter(title="X").exists()


def test_the_case_detail_has_clock_promises_guidance_and_moves(alice_api, acme, world):
    case = ok(alice_api.get(f"/cases/{world.case.pk}"))
    assert case["id"] == world.case.pk and case["client"] == world.acme.pk
    clock = case["first_response_clock"]
    assert clock["running"] is True and clock["elapsed_seconds"] >= 0 and clock["elapsed"]
    assert case["promises"] == {
        "total": 1,
        "kept_on_time": 0,
        "kept_late": 0,
        "missed": 0,
        "overdue": 0,
        "pending": 1,
        "settled": 0,
        "on_time_share": None,
    }
    guidance = case["guidance"]
    assert guidance["headline"].startswith("Reply to the client")
    assert guidance["missing"] == lifecycle.unmet(world.case, "acknowledged", timezone.now())
    assert {"to", "label", "params", "explanation"} == set(case["moves"][0])
    lost = next(m for m in case["moves"] if m["to"] == "lost")
    assert lost["params"] == ["reason"]


def test_editing_a_case_detects_stale_edits(alice_api, world):
    url = f"/cases/{world.case.pk}"
    version = ok(alice_api.get(url))["version"]
    edited = ok(
        alice_api.patch(
            url, {"version": version, "severity": "critical", "point_of_contact": world.bob.pk}
        )
    )
    assert edited["severity"] == "critical" and edited["version"] == version + 1
    assert edited["point_of_contact"] == world.bob.pk

    error = error_of(alice_api.patch(url, {"version": version, "title": "Mine"}), 409, "stale_edit")
    assert "Reload" in error["message"]
    assert ok(alice_api.get(url))["title"] != "Mine"
    handoffs = [
        e for e in ok(alice_api.get(f"{url}/timeline"))["items"] if e["kind"] == "case.handoff"
    ]
    assert len(handoffs) == 1


def test_a_case_patch_cannot_set_status_or_drop_the_point_of_contact(alice_api, world):
    url = f"/cases/{world.case.pk}"
    version = ok(alice_api.get(url))["version"]
    error = error_of(
        alice_api.patch(url, {"version": version, "status": "resolved"}), 422, "invalid"
    )
    assert "status" in error["fields"]
    error_of(alice_api.patch(url, {"version": version, "point_of_contact": None}), 422, "invalid")
    error_of(
        alice_api.patch(url, {"version": version, "point_of_contact": world.carol.pk}),
        422,
        "invalid",
    )


def test_outsiders_cannot_read_edit_or_move_a_case(carol_api, world):
    url = f"/cases/{world.case.pk}"
    error_of(carol_api.get(url), 404, "not_found")
    error_of(carol_api.patch(url, {"version": 1, "title": "Mine"}), 404, "not_found")
    error_of(carol_api.post(f"{url}/transitions", {"to": "lost", "reason": "x"}), 404, "not_found")
    error_of(carol_api.get(f"{url}/timeline"), 404, "not_found")
    world.case.refresh_from_db()
    assert world.case.status == "open" and world.case.title != "Mine"


# --------------------------------------------------------------------- lifecycle


def test_a_refused_move_says_exactly_what_is_missing(alice_api, world):
    response = alice_api.post(f"/cases/{world.case.pk}/transitions", {"to": "acknowledged"})
    error = error_of(response, 409, "preconditions_unmet")
    assert error["missing"] == lifecycle.unmet(world.case, "acknowledged", timezone.now())
    assert len(error["missing"]) == 1
    assert error["missing"][0].startswith("Record a reply to the client sent after the case")
    world.case.refresh_from_db()
    assert world.case.status == "open"


def test_a_move_that_is_not_possible_from_here_is_refused(alice_api, world):
    error = error_of(
        alice_api.post(f"/cases/{world.case.pk}/transitions", {"to": "resolved"}),
        409,
        "preconditions_unmet",
    )
    assert error["missing"] == [
        "An open case cannot move to Resolved; possible moves: acknowledged, lost."
    ]
    error_of(
        alice_api.post(f"/cases/{world.case.pk}/transitions", {"to": "closed"}), 422, "invalid"
    )


def test_losing_a_case_needs_a_reason(alice_api, world):
    url = f"/cases/{world.case.pk}/transitions"
    error = error_of(alice_api.post(url, {"to": "lost"}), 409, "preconditions_unmet")
    assert error["missing"] == ["Say why the relationship was lost."]
    lost = ok(alice_api.post(url, {"to": "lost", "reason": "They moved to a competitor."}))
    assert lost["status"] == "lost" and lost["lost_reason"] == "They moved to a competitor."
    assert lost["closed_at"] is not None
    assert [m["to"] for m in lost["moves"]] == ["assessing"]


def test_a_move_with_a_stale_version_is_refused(alice_api, world):
    url = f"/cases/{world.case.pk}"
    version = ok(alice_api.get(url))["version"]
    ok(alice_api.patch(url, {"version": version, "summary": "changed"}))
    error_of(
        alice_api.post(f"{url}/transitions", {"to": "lost", "reason": "x", "version": version}),
        409,
        "stale_edit",
    )
    world.case.refresh_from_db()
    assert world.case.status == "open"


def test_the_case_timeline_lists_what_happened(alice_api, world):
    entries = ok(alice_api.get(f"/cases/{world.case.pk}/timeline"))["items"]
    assert [e["kind"] for e in entries] == ["concern.added", "case.opened"]
    assert all(e["case"] == world.case.pk for e in entries)
