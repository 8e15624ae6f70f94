"""GET /me/attention: what needs acting on, with ages in seconds and in words.

Time is frozen at Wednesday 5 March 2025, 15:00 UTC; Acme works 09:00–17:30 London
time (UTC in March), Monday to Friday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .conftest import error_of, iso, ok

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


def test_attention_lists_everything_due_with_ages(wednesday, alice_api, world):
    case = world.case.pk  # opened 30h ago: Tuesday 09:00
    ok(
        alice_api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "channel": "email",
                "direction": "in",
                "occurred_at": iso(NOW - timedelta(hours=2)),
                "subject": "Any news?",
            },
        ),
        201,
    )
    call = ok(
        alice_api.post(
            "/communications",
            {
                "client": world.acme.pk,
                "channel": "call",
                "direction": "out",
                "occurred_at": iso(datetime(2025, 3, 3, 15, 0, tzinfo=UTC)),
                "summary": "Monday call",
            },
        ),
        201,
    )
    promise = ok(
        alice_api.post(
            f"/cases/{case}/commitments",
            {
                "what": "Send the new date",
                "due_at": iso(NOW - timedelta(hours=1)),
                "owner": world.alice.pk,
            },
        ),
        201,
    )
    action = ok(
        alice_api.post(
            f"/cases/{case}/actions",
            {
                "title": "Fix staging",
                "owner": world.bob.pk,
                "deadline": "2025-03-04",
            },
        ),
        201,
    )
    checkin = ok(
        alice_api.post(
            f"/cases/{case}/checkins",
            {
                "scheduled_at": iso(NOW + timedelta(hours=1)),
            },
        ),
        201,
    )

    att = ok(alice_api.get("/me/attention"))

    assert att["total"] == 6
    [clock] = att["clocks"]
    assert clock["case"]["id"] == case and clock["case"]["client_name"] == "Acme Ltd"
    assert (clock["elapsed_seconds"], clock["elapsed"]) == (14.5 * 3600, "14h 30m")
    [waiting] = att["awaiting_reply"]
    assert waiting["message"]["title"] == "Any news?"
    assert (waiting["waiting_seconds"], waiting["waiting"]) == (7200, "2h 0m")
    [due] = att["commitments"]
    assert due["id"] == promise["id"] and due["outcome"] == "overdue"
    assert (due["overdue_seconds"], due["due"]) == (3600, "overdue by 1h 0m")
    assert due["owner"] == world.alice.pk and due["case"]["id"] == case
    [late] = att["actions_overdue"]
    assert late["id"] == action["id"] and late["overdue_days"] == 1
    [meeting] = att["checkins_due"]
    assert meeting["id"] == checkin["id"]
    assert (meeting["overdue_seconds"], meeting["due"]) == (0, "due in 1h 0m")
    [recap] = att["missing_recaps"]
    assert recap["call"]["id"] == call["id"]
    assert recap["recap_due_at"] == "2025-03-04T15:00:00+00:00"
    assert (recap["overdue_seconds"], recap["overdue"]) == (86400, "1d 0h")
    assert att["agreed_without_checkin"] == []


def test_outsiders_get_nothing_of_another_client(wednesday, carol_api, world):
    att = ok(carol_api.get("/me/attention"))
    assert [c["case"]["id"] for c in att["clocks"]] == [world.other_case.pk]
    assert att["total"] == 1


def test_anonymous_gets_401(anon_api):
    error_of(anon_api.get("/me/attention"), 401, "unauthorized")
