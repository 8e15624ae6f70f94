"""The responsiveness rules (R1): business time, reply pairing, medians, first responses,
awaiting lists, and the tone trend (R33). Time is frozen at NOW (conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.clients.actions import create_client
from amends.comms import clocks
from amends.comms.models import Communication

from .conftest import NOW, at

H = timedelta(hours=1)


def client_clocks(world, client=None, user=None):
    return clocks.client_responsiveness(user or world.alice, client or world.acme, NOW)


# --- reply times in business hours ---------------------------------------------------


def test_a_reply_over_the_weekend_counts_only_working_hours(world, say):
    # Friday 16:30 in London, answered Monday 10:00: one hour each side of the weekend.
    msg = say("in", at(10, 15, 30))
    say("out", at(13, 9))

    c = client_clocks(world)

    assert c.replies.count == 1
    assert c.replies.median == 2 * H
    assert c.replies.slowest.message_id == msg.pk
    assert c.awaiting == []


def test_the_same_instants_count_in_each_clients_own_time_zone(world, say):
    tokyo = create_client(None, name="Kyoto Works", owner=world.alice, timezone="Asia/Tokyo")
    # Monday 09:00 UTC is 18:00 in Tokyo (after hours) and 05:00 in New York (before).
    # Tuesday 01:00 UTC is 10:00 in Tokyo and still Monday 21:00 in New York.
    for client in (tokyo, world.globex):
        say("in", at(13, 9), client=client)
        say("out", at(14, 1), client=client)

    assert client_clocks(world, tokyo).replies.median == H
    globex = client_clocks(world, world.globex, user=world.carol)
    assert globex.replies.median == timedelta(hours=8, minutes=30)  # 09:00–17:30 Monday


def test_every_client_message_is_paired_with_our_next_reply(world, say):
    first = say("in", at(13, 9))  # 10:00 in London
    say("in", at(13, 11))  # a follow-up while the client is already waiting
    say("out", at(13, 14))
    say("in", at(14, 9))  # a new conversation
    say("out", at(14, 10))
    say("in", at(15, 8))  # still waiting at NOW (13:00 London)

    c = client_clocks(world)

    assert c.replies.count == 3
    assert c.replies.median == 3 * H  # 5h, 3h, 1h
    assert c.replies.slowest.message_id == first.pk
    assert c.replies.slowest.took == 5 * H
    # Conversations: the first message ever and the one after our reply.
    assert c.first_responses.count == 2
    assert c.first_responses.median == 3 * H  # median of 5h and 1h
    assert [a.waiting for a in c.awaiting] == [4 * H]


def test_notes_and_internal_messages_are_not_replies(world, say):
    say("in", at(13, 9))
    say("out", at(13, 10), channel="note")
    say("internal", at(13, 11))

    c = client_clocks(world)

    assert c.replies.count == 0
    assert len(c.awaiting) == 1


def test_a_call_answers_an_email(world, say):
    say("in", at(13, 9))
    say("out", at(13, 9, 30), channel="call")
    assert client_clocks(world).replies.median == timedelta(minutes=30)


def test_only_the_last_30_days_count(world, say):
    say("in", at(1, 9, month=6))
    say("out", at(1, 10, month=6))
    say("in", at(13, 9))
    say("out", at(13, 10))

    c = client_clocks(world)

    assert c.replies.count == 1
    assert c.first_responses.count == 1  # our June reply closed the old conversation


def test_a_message_sent_while_an_older_one_still_waits_starts_no_conversation(world, say):
    say("in", at(1, 9, month=6))  # before the window, never answered until July
    say("in", at(13, 9))
    say("out", at(13, 10))

    c = client_clocks(world)

    assert c.replies.count == 1
    assert c.first_responses.count == 0


def test_a_reply_inside_the_window_to_an_older_message_closes_its_conversation(world, say):
    say("in", at(10, 9, month=6))
    say("out", at(20, 9, month=6))
    say("in", at(13, 9))
    say("out", at(13, 10))

    assert client_clocks(world).first_responses.count == 1


def test_nothing_said_means_no_figures(world):
    c = client_clocks(world)

    assert c.awaiting == []
    assert (c.replies.count, c.replies.median, c.replies.slowest) == (0, None, None)
    assert c.first_responses.count == 0
    assert c.tone.direction == "unknown"
    assert c.tone.scored == 0
    assert len(c.tone.points) == clocks.TREND_WEEKS
    assert not c.has_activity


def test_the_median_of_an_odd_and_an_even_count(world, say):
    for start, took in ((at(13, 8), 1), (at(13, 10), 2), (at(14, 8), 4)):
        say("in", start)
        say("out", start + took * H)
    assert client_clocks(world).replies.median == 2 * H
    say("in", at(15, 8))
    say("out", at(15, 11))
    assert client_clocks(world).replies.median == timedelta(hours=2, minutes=30)


# --- cases -----------------------------------------------------------------------------


def test_a_case_shows_its_own_messages_and_its_first_response_clock(world, say):
    in_case = say("in", at(14, 9), case=world.case)
    say("in", at(14, 10))  # the same client, not about the case

    c = clocks.case_responsiveness(world.alice, world.case, NOW)

    assert [a.message for a in c.awaiting] == [in_case]
    # Opened Tuesday 06:00 UTC (07:00 London): 8.5h on Tuesday and 4h on Wednesday.
    assert c.case_first_response_running
    assert c.case_first_response == timedelta(hours=12, minutes=30)


def test_the_first_reply_stops_the_case_clock(world, say):
    say("in", at(14, 9), case=world.case)
    say("out", at(15, 10), case=world.case)
    world.case.refresh_from_db()

    c = clocks.case_responsiveness(world.alice, world.case, NOW)

    assert not c.case_first_response_running
    assert c.case_first_response == timedelta(hours=10, minutes=30)
    assert c.replies.count == 1
    assert c.awaiting == []


# --- who sees what -------------------------------------------------------------------------


def test_the_overview_lists_only_my_clients_oldest_wait_first(world, say):
    say("in", at(15, 8))
    say("in", at(13, 15), client=world.globex)

    mine = clocks.overview(world.alice, NOW)
    theirs = clocks.overview(world.carol, NOW)
    everyone = clocks.overview(world.ada, NOW)

    assert [r.client for r in mine] == [world.acme]
    assert [r.client for r in theirs] == [world.globex]
    assert [r.client for r in everyone] == [world.globex, world.acme]


def test_active_only_leaves_out_quiet_clients(world, say):
    assert clocks.overview(world.ada, NOW, active_only=True) == []
    say("in", at(15, 8))
    assert [r.client for r in clocks.overview(world.ada, NOW, active_only=True)] == [world.acme]


def test_the_overview_costs_the_same_queries_for_one_client_or_many(world, say):
    say("in", at(13, 9))
    say("out", at(13, 10))
    with CaptureQueriesContext(connection) as one:
        clocks.overview(world.ada, NOW)
    for n in range(3):
        other = create_client(None, name=f"Client {n}", owner=world.bob)
        say("in", at(13, 9), client=other)
        say("out", at(13, 11), client=other)
        say("in", at(14, 9), client=other)
    with CaptureQueriesContext(connection) as many:
        rows = clocks.overview(world.ada, NOW)
    assert len(many) == len(one)
    assert sum(r.replies.count for r in rows) == 4


# --- tone trend ------------------------------------------------------------------------


def _toned(say, when, value, **kw):
    msg = say("in", when, **kw)
    Communication.objects.filter(pk=msg.pk).update(tone=value)
    return msg


def test_a_clear_drop_in_tone_is_flagged_as_souring(world, say):
    _toned(say, at(5, 9, month=5), 0.8)
    _toned(say, at(20, 9, month=5), 0.6)
    _toned(say, at(1, 9), -0.5)
    _toned(say, at(14, 9), -0.3)

    trend = client_clocks(world).tone

    assert trend.souring and trend.direction == "souring"
    assert (trend.earlier_mean, trend.earlier_count) == (0.7, 2)
    assert (trend.recent_mean, trend.recent_count) == (-0.4, 2)
    assert "-0.40" in trend.reason and "+0.70" in trend.reason
    weeks = {p.week_start.isoformat(): (p.mean, p.count) for p in trend.points}
    assert weeks["2026-05-04"] == (0.8, 1)
    assert weeks["2026-07-13"] == (-0.3, 1)
    assert trend.points[-1].week_start.isoformat() == "2026-07-13"
    assert trend.points[0].week_start.isoformat() == "2026-04-27"


@pytest.mark.parametrize(
    ("earlier", "recent", "direction"),
    [
        ((0.5, 0.5), (0.4, 0.3), "steady"),
        ((-0.2, -0.4), (0.5, 0.6), "warming"),
        ((0.5, 0.5), (-0.9,), "unknown"),  # one recent message is not a trend
        ((), (0.1, 0.2), "unknown"),
    ],
)
def test_tone_direction(world, say, earlier, recent, direction):
    for i, value in enumerate(earlier):
        _toned(say, at(5 + i, 9, month=5), value)
    for i, value in enumerate(recent):
        _toned(say, at(6 + i, 9), value)
    assert client_clocks(world).tone.direction == direction


def test_weeks_start_on_monday_in_the_clients_time_zone(world, say):
    # Sunday 12 July 23:30 UTC is Monday 00:30 in London but Sunday 19:30 in New York.
    _toned(say, at(12, 23, 30), 0.5)
    _toned(say, at(12, 23, 30), 0.5, client=world.globex)

    london = client_clocks(world).tone.points
    new_york = client_clocks(world, world.globex, user=world.carol).tone.points

    assert (london[-1].count, london[-2].count) == (1, 0)
    assert (new_york[-1].count, new_york[-2].count) == (0, 1)


def test_a_case_trend_reads_only_the_case_messages(world, say):
    _toned(say, at(14, 9), -0.8, case=world.case)
    _toned(say, at(14, 10), 0.9)
    trend = clocks.case_responsiveness(world.alice, world.case, NOW).tone
    assert trend.scored == 1 and trend.points[-1].mean == -0.8


def test_our_messages_and_unscored_ones_are_not_in_the_trend(world, say):
    say("out", at(14, 9), "Thank you, wonderful!")
    msg = say("in", at(14, 10))
    Communication.objects.filter(pk=msg.pk).update(tone=None)
    assert client_clocks(world).tone.scored == 0
