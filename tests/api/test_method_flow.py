"""The whole method through the API, as an integrator would drive it (R1–R21)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .conftest import error_of, iso, ok


def test_a_case_walks_the_method_from_first_sign_to_resolution(alice_api, world):
    api, now = alice_api, timezone.now()

    def move(case_id, to, **extra):
        return api.post(f"/cases/{case_id}/transitions", {"to": to, **extra})

    # 1. The first sign of trouble: an angry email, and a case opened for it (R1).
    complaint = ok(
        api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "channel": "email",
                "direction": "in",
                "contact": world.contact.pk,
                "occurred_at": iso(now - timedelta(hours=1)),
                "subject": "The report is late again",
                "summary": "Third time. We are not happy.",
            },
        ),
        201,
    )
    case = ok(
        api.post(
            "/cases",
            {
                "client": world.acme.pk,
                "title": "Monthly report late again",
                "severity": "high",
                "opened_at": iso(now - timedelta(hours=1)),
            },
        ),
        201,
    )
    cid = case["id"]
    assert case["status"] == "open" and case["first_response_clock"]["running"] is True
    error = error_of(move(cid, "acknowledged"), 409, "preconditions_unmet")
    assert len(error["missing"]) == 1 and "Record a reply" in error["missing"][0]

    # 2. The reply goes out, recorded as a communication: the clock stops.
    reply = ok(
        api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "case": cid,
                "channel": "email",
                "direction": "out",
                "contact": world.contact.pk,
                "person": world.alice.pk,
                "subject": "Re: The report is late again",
                "summary": "Thank you for telling us. We are sorry; I will call you today.",
            },
        ),
        201,
    )
    case = ok(api.get(f"/cases/{cid}"))
    assert case["first_response_at"] == reply["occurred_at"]
    assert case["first_response_clock"]["running"] is False

    # 3. Acknowledge, then listen (R5).
    assert ok(move(cid, "acknowledged"))["status"] == "acknowledged"
    assert ok(move(cid, "assessing"))["status"] == "assessing"
    concern = ok(
        api.post(
            f"/cases/{cid}/concerns",
            {
                "text": "Third time. We are not happy.",
                "source": "Email from Dana",
                "communication": complaint["id"],
            },
        ),
        201,
    )

    # 4. An action without an owner: agreeing the plan is refused, saying exactly why.
    action = ok(
        api.post(
            f"/cases/{cid}/actions",
            {
                "title": "Send the report every Friday by noon",
                "concern": concern["id"],
                "deadline": (now + timedelta(days=4)).date().isoformat(),
                "success_measure": "Four Fridays on time in a row",
            },
        ),
        201,
    )
    error = error_of(move(cid, "agreed"), 409, "preconditions_unmet")
    assert error["missing"] == [
        "Action “Send the report every Friday by noon” needs an owner.",
        "Schedule the next check-in with the client.",
    ]
    assert ok(api.get(f"/cases/{cid}"))["status"] == "assessing"
    assert ok(api.get(f"/cases/{cid}"))["guidance"]["missing"] == error["missing"]

    # 5. Fix it: an owner for the action, and the next check-in (R18, R19).
    ok(api.patch(f"/actions/{action['id']}", {"version": action["version"], "owner": world.bob.pk}))
    error = error_of(move(cid, "agreed"), 409, "preconditions_unmet")
    assert error["missing"] == ["Schedule the next check-in with the client."]
    ok(
        api.post(
            f"/cases/{cid}/checkins",
            {
                "scheduled_at": iso(now + timedelta(days=7)),
                "agenda": "Good news; where we are; the way forward; next check-in; milestones",
            },
        ),
        201,
    )

    # 6. Agree the plan, start rebuilding.
    agreed = ok(move(cid, "agreed"))
    assert agreed["status"] == "agreed" and agreed["guidance"]["next_move"]["to"] == "rebuilding"
    assert ok(move(cid, "rebuilding", version=agreed["version"]))["status"] == "rebuilding"

    # 7. A small promise, kept on time (R21).
    promise = ok(
        api.post(
            f"/cases/{cid}/commitments",
            {
                "what": "Send this week's report by Friday noon",
                "owner": world.alice.pk,
                "due_at": iso(now + timedelta(days=2)),
            },
        ),
        201,
    )
    assert ok(api.post(f"/commitments/{promise['id']}/kept"))["outcome"] == "kept_on_time"

    # 8. Resolve: only with the client's confirmation.
    error = error_of(move(cid, "resolved"), 409, "preconditions_unmet")
    assert error["missing"] == [
        "Record how the client confirmed that the relationship is repaired."
    ]
    resolved = ok(move(cid, "resolved", confirmation="Dana on the call: 'We are good again.'"))
    assert resolved["status"] == "resolved" and resolved["closed_at"] is not None
    assert resolved["client_confirmation"] == "Dana on the call: 'We are good again.'"
    assert resolved["promises"]["on_time_share"] == 1.0
    assert [m["to"] for m in resolved["moves"]] == ["assessing"]

    # The timeline tells the story, from the real record (R7).
    kinds = [e["kind"] for e in ok(api.get(f"/cases/{cid}/timeline", {"limit": 200}))["items"]]
    story = [
        "case.opened",
        "comm.email",
        "case.first_response",
        "case.acknowledged",
        "case.assessing",
        "concern.added",
        "action.added",
        "checkin.added",
        "case.agreed",
        "case.rebuilding",
        "commitment.added",
        "commitment.kept",
        "case.resolved",
    ]
    assert [k for k in reversed(kinds) if k in story] == story
