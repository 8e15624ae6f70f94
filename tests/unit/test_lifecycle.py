"""Every lifecycle precondition, refused and then met (DESIGN.md, R1, R6, R18, R21)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amends.cases import lifecycle
from amends.cases.actions import (
    add_to_case,
    mark_commitment_kept,
    mark_commitment_missed,
    transition_case,
    update_in_case,
)
from amends.cases.models import Case, Commitment
from amends.clients.models import TimelineEntry
from amends.comms.actions import record_communication
from amends.core.errors import PreconditionsUnmet

NOW = timezone.now


def reply(world, *, when=None, case=None, channel="email", direction="out"):
    return record_communication(
        world.alice,
        world.acme,
        channel=channel,
        direction=direction,
        occurred_at=when or NOW(),
        summary="Thank you for telling us. We are sorry.",
        case=case,
    )


def refused(world, case, to, **kw) -> list[str]:
    with pytest.raises(PreconditionsUnmet) as err:
        transition_case(world.alice, case, to=to, **kw)
    return err.value.missing


def to_assessing(world):
    reply(world, case=world.case)
    transition_case(world.alice, world.case, to="acknowledged")
    return transition_case(world.alice, world.case, to="assessing")


def complete_plan(world, case):
    concern = case.concerns.get()
    add_to_case(
        world.alice,
        case,
        "action",
        title="Send a written launch plan",
        owner=world.alice,
        deadline=(NOW() + timedelta(days=3)).date(),
        success_measure="Dana confirms the plan in writing",
        concern=concern,
    )
    add_to_case(world.alice, case, "checkin", scheduled_at=NOW() + timedelta(days=7))


def test_acknowledging_needs_a_reply_after_the_case_opened(world):
    missing = refused(world, world.case, "acknowledged")
    assert len(missing) == 1 and "Record a reply to the client" in missing[0]


def test_a_reply_before_the_case_opened_does_not_count(world):
    reply(world, when=world.case.opened_at - timedelta(hours=1))
    assert refused(world, world.case, "acknowledged")


def test_an_internal_note_is_not_a_reply(world):
    reply(world, channel="note", direction="out")
    assert refused(world, world.case, "acknowledged")


def test_a_reply_stops_the_first_response_clock(world):
    sent = reply(world, when=NOW() - timedelta(hours=2))
    world.case.refresh_from_db()
    assert world.case.first_response_at == sent.occurred_at
    case = transition_case(world.alice, world.case, to="acknowledged")
    assert case.status == Case.Status.ACKNOWLEDGED
    assert case.first_response_at == sent.occurred_at


def test_an_inbound_message_does_not_stop_the_clock(world):
    reply(world, direction="in")
    world.case.refresh_from_db()
    assert world.case.first_response_at is None


def test_moves_are_only_those_of_the_state_machine(world):
    missing = refused(world, world.case, "agreed")
    assert "cannot move to Agreed" in missing[0]
    assert "acknowledged" in missing[0]


def test_agreeing_needs_every_concern_answered(world):
    case = to_assessing(world)
    missing = refused(world, case, "agreed")
    assert any("is not answered" in m and "never told" in m for m in missing)


def test_a_written_answer_answers_a_concern(world):
    case = to_assessing(world)
    concern = case.concerns.get()
    update_in_case(
        world.alice,
        concern,
        version=concern.version,
        answer="We will send a weekly status note every Friday.",
    )
    concern.refresh_from_db()
    assert concern.status == "answered"
    assert not any("is not answered" in m for m in refused(world, case, "agreed"))


def test_agreeing_needs_at_least_one_concern_and_one_action(world):
    case = to_assessing(world)
    case.concerns.all().delete()
    missing = refused(world, case, "agreed")
    assert "Record at least one of the client's concerns, in their words." in missing
    assert "Add at least one action to the plan." in missing


def test_agreeing_a_plan_needs_an_owner_deadline_and_measure_for_every_action(world):
    case = to_assessing(world)
    add_to_case(world.alice, case, "action", title="Daily update", concern=case.concerns.get())
    missing = refused(world, case, "agreed")
    assert "Action “Daily update” needs an owner, a deadline and a measure of success." in missing


def test_a_dropped_action_neither_answers_nor_blocks(world):
    case = to_assessing(world)
    action = add_to_case(
        world.alice, case, "action", title="Vague idea", concern=case.concerns.get()
    )
    update_in_case(world.alice, action, version=action.version, status="dropped")
    missing = refused(world, case, "agreed")
    assert not any("Vague idea" in m for m in missing)
    assert any("is not answered" in m for m in missing)


def test_agreeing_needs_a_next_check_in(world):
    case = to_assessing(world)
    add_to_case(
        world.alice,
        case,
        "action",
        title="Plan",
        owner=world.alice,
        deadline=NOW().date(),
        success_measure="Signed off",
        concern=case.concerns.get(),
    )
    assert refused(world, case, "agreed") == ["Schedule the next check-in with the client."]
    past = add_to_case(world.alice, case, "checkin", scheduled_at=NOW() - timedelta(days=1))
    assert refused(world, case, "agreed") == ["Schedule the next check-in with the client."]
    del past


def test_a_complete_plan_is_agreed_and_recorded_on_the_timeline(world):
    case = to_assessing(world)
    complete_plan(world, case)
    case = transition_case(world.bob, case, to="agreed")
    assert case.status == "agreed"
    entry = TimelineEntry.objects.filter(case=case, kind="case.agreed").get()
    assert entry.actor == world.bob and "Assessing → Agreed" in entry.summary


def agreed_case(world):
    case = to_assessing(world)
    complete_plan(world, case)
    transition_case(world.alice, case, to="agreed")
    return transition_case(world.alice, case, to="rebuilding")


def test_resolving_needs_the_client_confirmation(world):
    case = agreed_case(world)
    assert refused(world, case, "resolved") == [
        "Record how the client confirmed that the relationship is repaired."
    ]
    case = transition_case(
        world.alice, case, to="resolved", confirmation="Dana said on the call that trust is back."
    )
    assert case.status == "resolved" and case.closed_at is not None
    assert case.client_confirmation.startswith("Dana said")


def test_resolving_needs_no_overdue_commitment(world):
    case = agreed_case(world)
    promise = add_to_case(
        world.alice,
        case,
        "commitment",
        what="Send the revised invoice",
        due_at=NOW() - timedelta(hours=1),
    )
    missing = refused(world, case, "resolved", confirmation="Happy now")
    assert len(missing) == 1 and "Send the revised invoice" in missing[0]
    mark_commitment_missed(world.alice, promise)
    transition_case(world.alice, case, to="resolved", confirmation="Happy now")


def test_kept_promises_are_on_time_or_late(world):
    case = agreed_case(world)
    due = NOW() - timedelta(hours=3)
    early = add_to_case(world.alice, case, "commitment", what="Call back", due_at=due)
    late = add_to_case(world.alice, case, "commitment", what="Send notes", due_at=due)
    mark_commitment_kept(world.alice, early, at=due - timedelta(minutes=5))
    mark_commitment_kept(world.alice, late, at=NOW())
    assert Commitment.objects.get(pk=early.pk).outcome == "kept_on_time"
    assert Commitment.objects.get(pk=late.pk).outcome == "kept_late"


def test_losing_needs_a_reason(world):
    assert refused(world, world.case, "lost") == ["Say why the relationship was lost."]
    case = transition_case(
        world.alice, world.case, to="lost", reason="They moved the account to another agency."
    )
    assert case.status == "lost" and case.lost_reason.startswith("They moved")
    assert TimelineEntry.objects.filter(case=case, kind="case.lost").exists()


def test_a_closed_case_can_be_reopened(world):
    case = transition_case(world.alice, world.case, to="lost", reason="Gone quiet")
    case = transition_case(world.alice, case, to="assessing")
    assert case.status == "assessing" and case.closed_at is None


def test_every_state_has_a_way_forward_or_back():
    reachable = {m.target for m in lifecycle.MOVES}
    assert set(Case.Status.values) - {"open"} <= reachable
