"""Everything inside a case, for every kind in PARTS, plus kept and missed promises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amends.cases.parts import PARTS

from .conftest import PART_EDITS, error_of, iso, needs_kind_field_fix, ok, part_create_body

KINDS = [pytest.param(k, marks=needs_kind_field_fix) if k == "concession" else k for k in PARTS]


@pytest.mark.parametrize("kind", KINDS)
def test_a_record_is_added_listed_read_and_edited(alice_api, world, kind):
    base = f"/cases/{world.case.pk}/{kind}s"
    body = part_create_body(kind, world)
    made = ok(alice_api.post(base, body), 201)
    assert made["case"] == world.case.pk and made["client"] == world.acme.pk
    assert made["version"] == 1 and made["created_by"] == world.alice.pk
    for name, value in body.items():
        if name not in ("due_at", "scheduled_at", "value", "cost"):
            assert made[name] == value, name

    listed = ok(alice_api.get(base))
    assert made["id"] in [item["id"] for item in listed["items"]]
    assert ok(alice_api.get(f"/{kind}s/{made['id']}")) == made

    field, value = PART_EDITS[kind]
    edited = ok(alice_api.patch(f"/{kind}s/{made['id']}", {"version": 1, field: value}))
    assert edited[field] == value and edited["version"] == 2

    timeline = ok(alice_api.get(f"/cases/{world.case.pk}/timeline"))["items"]
    assert any(e["kind"] == f"{kind}.added" and e["subject_id"] == made["id"] for e in timeline)


@pytest.mark.parametrize("kind", list(PARTS))
def test_a_stale_edit_of_a_record_is_refused(alice_api, acme, kind):
    obj = acme.parts[kind]
    url = f"/{kind}s/{obj.pk}"
    field, value = PART_EDITS[kind]
    ok(alice_api.patch(url, {"version": obj.version, field: value}))
    error = error_of(
        alice_api.patch(url, {"version": obj.version, field: value}), 409, "stale_edit"
    )
    assert f"version {obj.version}" in error["message"]


@pytest.mark.parametrize("kind", list(PARTS))
def test_outsiders_see_nothing_inside_the_case(carol_api, acme, world, kind):
    obj = acme.parts[kind]
    error_of(carol_api.get(f"/cases/{world.case.pk}/{kind}s"), 404, "not_found")
    error_of(
        carol_api.post(f"/cases/{world.case.pk}/{kind}s", part_create_body(kind, world)),
        404,
        "not_found",
    )
    error_of(carol_api.get(f"/{kind}s/{obj.pk}"), 404, "not_found")
    field, value = PART_EDITS[kind]
    error_of(
        carol_api.patch(f"/{kind}s/{obj.pk}", {"version": obj.version, field: value}),
        404,
        "not_found",
    )
    obj.refresh_from_db()
    assert obj.version == 1


@pytest.mark.parametrize("kind", list(PARTS))
def test_anonymous_gets_401_inside_the_case(anon_api, acme, world, kind):
    obj = acme.parts[kind]
    error_of(anon_api.get(f"/cases/{world.case.pk}/{kind}s"), 401, "unauthorized")
    error_of(anon_api.post(f"/cases/{world.case.pk}/{kind}s", {}), 401, "unauthorized")
    error_of(anon_api.get(f"/{kind}s/{obj.pk}"), 401, "unauthorized")
    error_of(anon_api.patch(f"/{kind}s/{obj.pk}", {"version": 1}), 401, "unauthorized")


@needs_kind_field_fix
def test_a_concern_can_be_recorded_as_a_feeling(alice_api, world):
    made = ok(
        alice_api.post(
            f"/cases/{world.case.pk}/concerns", {"text": "We feel ignored.", "kind": "feeling"}
        ),
        201,
    )
    assert made["kind"] == "feeling"


def test_a_concern_is_answered_by_words_or_by_an_action(alice_api, acme, world):
    concern = ok(alice_api.get(f"/concerns/{acme.parts['concern'].pk}"))
    assert concern["answered"] is True  # acme's action "Call Dana" answers it
    fresh = ok(
        alice_api.post(f"/cases/{world.case.pk}/concerns", {"text": "Why the invoice?"}), 201
    )
    assert fresh["answered"] is False and fresh["status"] == "open"
    answered = ok(
        alice_api.patch(f"/concerns/{fresh['id']}", {"version": 1, "answer": "It covered March."})
    )
    assert answered["answered"] is True and answered["status"] == "answered"


def test_required_fields_cannot_be_nulled(alice_api, acme):
    concern = acme.parts["concern"]
    for field in ("answer", "text", "status", "raised_at"):
        error = error_of(
            alice_api.patch(f"/concerns/{concern.pk}", {"version": 1, field: None}), 422, "invalid"
        )
        assert field in error["fields"]
    action = acme.parts["action"]
    cleared = ok(alice_api.patch(f"/actions/{action.pk}", {"version": 1, "owner": None}))
    assert cleared["owner"] is None


def test_records_link_only_to_the_same_client_and_case(alice_api, acme, world):
    case = world.case.pk
    error = error_of(
        alice_api.post(
            f"/cases/{case}/commitments",
            {
                "what": "x",
                "due_at": iso(timezone.now() + timedelta(days=1)),
                "contact": acme.globex_contact.pk,
            },
        ),
        422,
        "invalid",
    )
    assert "contact" in error["fields"]
    error = error_of(
        alice_api.post(
            f"/cases/{case}/actions",
            {
                "title": "x",
                "owner": world.carol.pk,
            },
        ),
        422,
        "invalid",
    )
    assert "owner" in error["fields"]
    foreign = world.other_case.concerns.create(text="Slides late", created_by=world.carol)
    error = error_of(
        alice_api.post(
            f"/cases/{case}/actions",
            {
                "title": "x",
                "concern": foreign.pk,
            },
        ),
        422,
        "invalid",
    )
    assert "concern" in error["fields"]
    error = error_of(
        alice_api.post(
            f"/cases/{case}/concerns",
            {
                "text": "x",
                "communication": acme.globex_message.pk,
            },
        ),
        422,
        "invalid",
    )
    assert "communication" in error["fields"]
    linked = ok(
        alice_api.post(
            f"/cases/{case}/concerns",
            {
                "text": "Where is the launch?",
                "communication": acme.message.pk,
            },
        ),
        201,
    )
    assert linked["communication"] == acme.message.pk


def test_a_done_action_records_when(alice_api, acme):
    action = acme.parts["action"]
    done = ok(alice_api.patch(f"/actions/{action.pk}", {"version": 1, "status": "done"}))
    assert done["done_at"] is not None


def test_times_that_cannot_be_in_the_future_are_refused(alice_api, acme):
    later = iso(timezone.now() + timedelta(days=1))
    error_of(
        alice_api.patch(f"/checkins/{acme.parts['checkin'].pk}", {"version": 1, "held_at": later}),
        422,
        "invalid",
    )
    error_of(
        alice_api.patch(
            f"/milestones/{acme.parts['milestone'].pk}", {"version": 1, "reached_at": later}
        ),
        422,
        "invalid",
    )


def test_concession_amounts_are_checked(alice_api, acme, world):
    concession = acme.parts["concession"]
    for bad in ({"value": -1}, {"cost": "1e15"}, {"value": "0.001"}, {"kind": "bribe"}):
        error_of(
            alice_api.patch(f"/concessions/{concession.pk}", {"version": 1, **bad}), 422, "invalid"
        )


# ------------------------------------------------------------------ promises (R21)


def _promise(alice_api, world, due):
    return ok(
        alice_api.post(
            f"/cases/{world.case.pk}/commitments", {"what": "Send the plan", "due_at": iso(due)}
        ),
        201,
    )


def test_a_promise_kept_before_it_was_due_is_on_time(alice_api, world):
    promise = _promise(alice_api, world, timezone.now() + timedelta(days=1))
    kept = ok(alice_api.post(f"/commitments/{promise['id']}/kept"))
    assert kept["status"] == "kept" and kept["outcome"] == "kept_on_time"
    assert kept["kept_at"] is not None and kept["version"] == 2
    record = ok(alice_api.get(f"/cases/{world.case.pk}"))["promises"]
    assert record["kept_on_time"] == 1 and record["on_time_share"] == 1.0


def test_a_promise_kept_after_it_was_due_is_late(alice_api, world):
    now = timezone.now()
    promise = _promise(alice_api, world, now - timedelta(hours=2))
    assert promise["outcome"] == "overdue"
    kept = ok(
        alice_api.post(
            f"/commitments/{promise['id']}/kept",
            {"at": iso(now - timedelta(hours=1)), "version": 1},
        )
    )
    assert kept["outcome"] == "kept_late"


def test_a_promise_cannot_be_kept_in_the_future(alice_api, world):
    promise = _promise(alice_api, world, timezone.now() + timedelta(days=1))
    later = iso(timezone.now() + timedelta(days=2))
    error = error_of(
        alice_api.post(f"/commitments/{promise['id']}/kept", {"at": later}), 422, "invalid"
    )
    assert "kept_at" in error["fields"]
    error_of(
        alice_api.post(f"/commitments/{promise['id']}/kept", {"at": "2025-01-01T10:00:00"}),
        422,
        "invalid",
    )


def test_a_missed_promise_is_recorded(alice_api, world):
    promise = _promise(alice_api, world, timezone.now() - timedelta(hours=1))
    missed = ok(alice_api.post(f"/commitments/{promise['id']}/missed", {"version": 1}))
    assert missed["status"] == "missed" and missed["outcome"] == "missed"
    error_of(
        alice_api.post(f"/commitments/{promise['id']}/kept", {"version": 1}), 409, "stale_edit"
    )
    timeline = ok(alice_api.get(f"/cases/{world.case.pk}/timeline"))["items"]
    assert timeline[0]["kind"] == "commitment.missed"


def test_outsiders_cannot_mark_promises(carol_api, anon_api, acme):
    promise = acme.parts["commitment"]
    for verb in ("kept", "missed"):
        error_of(carol_api.post(f"/commitments/{promise.pk}/{verb}"), 404, "not_found")
        error_of(anon_api.post(f"/commitments/{promise.pk}/{verb}"), 401, "unauthorized")
    promise.refresh_from_db()
    assert promise.status == "pending"


def test_marking_something_that_is_not_a_promise_is_404(alice_api, world):
    error_of(alice_api.post("/commitments/999999/kept"), 404, "not_found")
