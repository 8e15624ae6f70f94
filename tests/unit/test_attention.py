"""The "Needs attention" lists (R1, R19, R21, R22): what they hold, and for whom."""

from datetime import timedelta

from django.utils import timezone

from amends.cases.actions import add_to_case, transition_case
from amends.cases.queries import needs_attention, promise_record
from amends.comms.actions import record_communication
from amends.comms.queries import calls_missing_recap

NOW = timezone.now


def test_a_running_first_response_clock_is_listed_with_its_age(world):
    att = needs_attention(world.alice, NOW())
    assert [c for c, _ in att.clocks] == [world.case]


def test_outsiders_see_none_of_it(world):
    record_communication(
        world.alice,
        world.acme,
        channel="email",
        direction="in",
        summary="Where is the launch?",
        occurred_at=NOW() - timedelta(hours=5),
    )
    att = needs_attention(world.carol, NOW())
    assert world.case not in [c for c, _ in att.clocks]
    assert att.awaiting_reply == []


def test_client_messages_wait_until_we_reply(world):
    msg = record_communication(
        world.alice,
        world.acme,
        channel="email",
        direction="in",
        summary="Where is the launch?",
        occurred_at=NOW() - timedelta(hours=5),
    )
    assert [a.message for a in needs_attention(world.bob, NOW()).awaiting_reply] == [msg]
    record_communication(
        world.bob,
        world.acme,
        channel="email",
        direction="out",
        summary="Sorry — here is where things stand.",
    )
    assert needs_attention(world.bob, NOW()).awaiting_reply == []


def test_overdue_and_soon_due_items_are_listed(world):
    case = world.case
    soon = add_to_case(
        world.alice, case, "commitment", what="Send the plan", due_at=NOW() + timedelta(hours=20)
    )
    later = add_to_case(
        world.alice, case, "commitment", what="Quarterly review", due_at=NOW() + timedelta(days=30)
    )
    action = add_to_case(
        world.alice,
        case,
        "action",
        title="Fix staging",
        deadline=(NOW() - timedelta(days=2)).date(),
        owner=world.bob,
    )
    checkin = add_to_case(world.alice, case, "checkin", scheduled_at=NOW() + timedelta(hours=3))
    att = needs_attention(world.alice, NOW())
    assert soon in att.commitments and later not in att.commitments
    assert att.actions_overdue == [action]
    assert att.checkins_due == [checkin]


def test_a_call_without_a_recap_is_flagged_after_one_working_day(world):
    call = record_communication(
        world.alice,
        world.acme,
        channel="call",
        direction="out",
        summary="Talked it through",
        occurred_at=NOW() - timedelta(days=5),
    )
    assert [m.call for m in calls_missing_recap(world.alice, NOW())] == [call]
    record_communication(
        world.alice,
        world.acme,
        channel="email",
        direction="out",
        summary="Recap of our call",
        recap_of=call,
    )
    assert calls_missing_recap(world.alice, NOW()) == []


def test_calls_older_than_two_weeks_no_longer_ask_for_a_recap(world):
    """A calendar imported with a year of history must not bury this week's misses."""
    old = record_communication(
        world.alice,
        world.acme,
        channel="meeting",
        direction="out",
        summary="Weekly status",
        occurred_at=NOW() - timedelta(days=20),
    )
    recent = record_communication(
        world.alice,
        world.acme,
        channel="meeting",
        direction="out",
        summary="Weekly status",
        occurred_at=NOW() - timedelta(days=6),
    )
    assert [m.call for m in calls_missing_recap(world.alice, NOW())] == [recent]
    assert needs_attention(world.alice, NOW()).missing_recaps[0].call == recent
    # Asked about that one call (its own page, the case's list), the fact stays.
    everything = calls_missing_recap(world.alice, NOW(), within=None)
    assert [m.call for m in everything] == [old, recent]


def test_an_agreed_case_with_no_check_in_ahead_is_listed(world):
    case = world.case
    record_communication(
        world.alice, world.acme, channel="email", direction="out", summary="Sorry", case=case
    )
    transition_case(world.alice, case, to="acknowledged")
    transition_case(world.alice, case, to="assessing")
    add_to_case(
        world.alice,
        case,
        "action",
        title="Plan",
        owner=world.alice,
        deadline=NOW().date(),
        success_measure="Client signs off",
        concern=case.concerns.get(),
    )
    checkin = add_to_case(world.alice, case, "checkin", scheduled_at=NOW() + timedelta(minutes=30))
    transition_case(world.alice, case, to="agreed")
    assert needs_attention(world.alice, NOW()).agreed_without_checkin == []
    later = NOW() + timedelta(hours=1)
    assert checkin.scheduled_at < later
    assert needs_attention(world.alice, later).agreed_without_checkin == [case]


def test_the_promise_record_counts_only_settled_promises(world):
    case = world.case
    kept = add_to_case(
        world.alice, case, "commitment", what="a", due_at=NOW() + timedelta(days=1), status="kept"
    )
    pending = add_to_case(
        world.alice, case, "commitment", what="b", due_at=NOW() + timedelta(days=1)
    )
    overdue = add_to_case(
        world.alice, case, "commitment", what="c", due_at=NOW() - timedelta(days=1)
    )
    record = promise_record([kept, pending, overdue])
    assert (record.kept_on_time, record.pending, record.overdue) == (1, 1, 1)
    assert record.on_time_share == 0.5
