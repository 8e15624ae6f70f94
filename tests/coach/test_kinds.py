"""Routine messages on a case are not asked to apologise or to answer every concern."""

from __future__ import annotations

import pytest

from amends.cases.actions import add_to_case
from amends.playbook.coaching import coach_case_draft

pytestmark = pytest.mark.django_db

NOTE = (
    "Hi Dana,\n\nA quick note on the budget: 75% of the support hours are used, with "
    "six weeks to go. I will send the next note on 3 March.\n\nAlice, 020 7946 0000\n"
)


@pytest.fixture
def concern(world):
    return add_to_case(world.alice, world.case, "concern", text="The reports arrive late")


def rules(report):
    return {f.rule for f in report.findings}


@pytest.mark.parametrize("kind", [None, "first_response", "full_response", "call_recap"])
def test_responses_must_apologise_and_answer_concerns(world, concern, kind):
    report = coach_case_draft(world.alice, NOTE, world.case, kind=kind)
    assert {"missing_apology", "uncovered_concern"} <= rules(report)
    assert concern.pk in [c.concern.id for c in report.coverage]


@pytest.mark.parametrize("kind", ["budget_note", "change_impact", "checkin_invitation", "free"])
def test_routine_messages_are_not(world, concern, kind):
    report = coach_case_draft(world.alice, NOTE, world.case, kind=kind)
    assert not {"missing_apology", "uncovered_concern"} & rules(report)


def test_routine_messages_still_get_the_other_rules(world, concern):
    text = NOTE + "\nWe guarantee this will never happen again."
    report = coach_case_draft(world.alice, text, world.case, kind="budget_note")
    assert "absolute_promise" in rules(report)


def test_the_api_takes_the_kind(client, world, api_alice, concern):
    body = {"text": NOTE, "case": world.case.pk, "kind": "budget_note"}
    got = client.post("/api/v1/coach", body, content_type="application/json", **api_alice)
    assert got.status_code == 200
    assert "missing_apology" not in {f["rule"] for f in got.json()["findings"]}
    body["kind"] = "telegram"
    assert (
        client.post("/api/v1/coach", body, content_type="application/json", **api_alice)
    ).status_code == 422
