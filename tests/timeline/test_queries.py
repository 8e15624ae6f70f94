"""`list_timeline`: every filter alone and together, zoned day ranges, no N+1."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from amends.clients.queries import day_range, list_timeline, with_links
from amends.comms.actions import record_communication, update_communication

from .conftest import at, day, subjects


def comms(user, **filters):
    return subjects(list_timeline(user, **filters))


def test_imported_emails_and_meetings_are_on_the_client_timeline(world, record):
    everything = comms(world.alice, client=world.acme)
    assert {
        record.dana_email.pk,
        record.reply.pk,
        record.invoice.pk,
        record.meeting.pk,
        record.call.pk,
        record.note.pk,
    } == everything
    kinds = {e.kind for e in list_timeline(world.alice, client=world.acme)}
    assert {"comm.email", "comm.meeting", "case.opened", "client.created"} <= kinds


def test_each_channel_alone(world, record):
    assert comms(world.alice, client=world.acme, channel="email") == {
        record.dana_email.pk,
        record.reply.pk,
        record.invoice.pk,
    }
    assert comms(world.alice, client=world.acme, channel="meeting") == {record.meeting.pk}
    assert comms(world.alice, client=world.acme, channel="call") == {record.call.pk}
    assert comms(world.alice, client=world.acme, channel="note") == {record.note.pk}
    several = comms(world.alice, client=world.acme, channel=["call", "meeting"])
    assert several == {record.call.pk, record.meeting.pk}


def test_case_events_and_client_record_are_kinds_of_their_own(world, record):
    case_events = list(list_timeline(world.alice, client=world.acme, channel="case"))
    assert case_events and all(e.case_id and e.kind[:5] != "comm." for e in case_events)
    assert "case.opened" in {e.kind for e in case_events}
    record_entries = list(list_timeline(world.alice, client=world.acme, channel="client"))
    assert {e.kind for e in record_entries} == {
        "client.created",
        "contact.added",
        "engagement.added",
    }


def test_each_direction_alone(world, record):
    assert comms(world.alice, client=world.acme, direction="in") == {
        record.dana_email.pk,
        record.invoice.pk,
        record.call.pk,
    }
    assert comms(world.alice, client=world.acme, direction="out") == {
        record.reply.pk,
        record.meeting.pk,
    }
    assert comms(world.alice, client=world.acme, direction="internal") == {record.note.pk}
    # Directions are about communications: nothing else comes with them.
    entries = list_timeline(world.alice, client=world.acme, direction="in")
    assert all(e.kind[:5] == "comm." for e in entries)


def test_the_contact_filter_finds_messages_calls_and_meetings_they_attended(world, record):
    with_dana = comms(world.alice, client=world.acme, contact=world.contact)
    # The invoice came from procurement, not Dana; the note was with nobody.
    assert with_dana == {record.dana_email.pk, record.reply.pk, record.call.pk, record.meeting.pk}


def test_the_contact_filter_does_not_mistake_one_id_for_another(world, record):
    from amends.comms.models import Communication

    dana = world.contact
    # In JSON text "contact": 7 is the start of "contact": 70; only whole ids match.
    longer = int(f"{dana.pk}0")
    Communication.objects.filter(pk=record.meeting.pk).update(
        attendees=[{"name": "T", "email": "", "contact": longer}]
    )
    assert record.meeting.pk not in comms(world.alice, contact=dana)
    # The id followed by another key (as SQLite keeps the order written) matches.
    Communication.objects.filter(pk=record.meeting.pk).update(
        attendees=[{"contact": dana.pk, "name": "Dana"}]
    )
    assert record.meeting.pk in comms(world.alice, contact=dana)


def test_the_case_filter_follows_a_message_linked_to_the_case_later(world, record):
    on_case = comms(world.alice, case=world.case)
    assert on_case == {record.call.pk}
    email = record.dana_email
    update_communication(world.alice, email, version=email.version, case=world.case)
    assert comms(world.alice, case=world.case) == {record.call.pk, email.pk}
    # ... and the case's own events stay.
    kinds = {e.kind for e in list_timeline(world.alice, case=world.case)}
    assert {"case.opened", "concern.added", "comm.call", "comm.email"} <= kinds
    # Unlinked again, it leaves the case timeline.
    email.refresh_from_db()
    update_communication(world.alice, email, version=email.version, case=None)
    assert comms(world.alice, case=world.case) == {record.call.pk}


def test_a_channel_edited_later_is_filtered_by_what_it_is_now(world, record):
    note = record.note
    update_communication(world.bob, note, version=note.version, channel="call", direction="out")
    assert note.pk in comms(world.alice, client=world.acme, channel="call", direction="out")
    assert note.pk not in comms(world.alice, client=world.acme, channel="note")


def test_filters_combine(world, record):
    assert comms(
        world.alice, client=world.acme, channel="email", direction="in", contact=world.contact
    ) == {record.dana_email.pk}
    assert comms(world.alice, client=world.acme, channel="call", case=world.case) == {
        record.call.pk
    }
    assert not comms(world.alice, client=world.acme, channel="note", contact=world.contact)
    since, before = day_range(day("2026-07-06"), day("2026-07-06"), "Europe/London")
    assert comms(world.alice, client=world.acme, channel="email", since=since, before=before) == {
        record.dana_email.pk,
        record.reply.pk,
    }
    # Case events, but only those of July 2026: the case was opened yesterday.
    since, before = day_range(day("2026-07-01"), day("2026-07-31"), "Europe/London")
    assert not list(
        list_timeline(world.alice, client=world.acme, channel="case", since=since, before=before)
    )


def test_day_ranges_are_the_clients_days(world, record):
    # Dana wrote at 23:30 UTC on 5 July: already 00:30 on 6 July in London.
    since, before = day_range(day("2026-07-06"), day("2026-07-06"), "Europe/London")
    london_6th = comms(world.alice, client=world.acme, since=since, before=before)
    assert record.dana_email.pk in london_6th
    # The invoice came at 23:30 UTC on 6 July: 7 July in London, so not on the 6th.
    assert record.invoice.pk not in london_6th
    assert record.reply.pk in london_6th
    since, before = day_range(day("2026-07-06"), day("2026-07-06"), "UTC")
    utc_6th = comms(world.alice, client=world.acme, since=since, before=before)
    assert record.invoice.pk in utc_6th and record.dana_email.pk not in utc_6th


def test_range_boundaries_are_inclusive_to_the_minute(world, record):
    # The first instant of the day is in, the first instant of the next day is not.
    record_communication(
        world.alice,
        world.acme,
        channel="note",
        direction="internal",
        occurred_at=at(9, 23),
        summary="Midnight in London, first instant of the 10th",
    )
    first_of_10th = list_timeline(world.alice, client=world.acme, channel="note").first()
    since, before = day_range(day("2026-07-10"), None, "Europe/London")
    assert first_of_10th.at == since
    assert first_of_10th.subject_id in comms(world.alice, client=world.acme, since=since)
    since, before = day_range(None, day("2026-07-09"), "Europe/London")
    assert first_of_10th.subject_id not in comms(world.alice, client=world.acme, before=before)


def test_the_cross_client_timeline_shows_only_what_the_user_may_see(world, record):
    alice_sees = comms(world.alice)
    assert record.globex_email.pk not in alice_sees and record.dana_email.pk in alice_sees
    assert comms(world.carol) == {record.globex_email.pk}
    assert {record.globex_email.pk, record.dana_email.pk} <= comms(world.ada)
    # A filter naming someone else's contact or case finds nothing of theirs.
    assert not comms(world.carol, contact=world.contact)
    assert not comms(world.carol, case=world.case)


@pytest.mark.parametrize(
    ("name", "value"), [("channel", "fax"), ("channel", ["email", "x"]), ("direction", "sideways")]
)
def test_unknown_values_are_refused_with_the_field_named(world, name, value):
    with pytest.raises(ValidationError) as caught:
        list(list_timeline(world.alice, **{name: value}))
    assert name in caught.value.message_dict


def test_links_cost_two_queries_whatever_the_page_size(world, record, django_assert_num_queries):
    entries = list(list_timeline(world.alice, client=world.acme))
    with django_assert_num_queries(2):
        linked = with_links(entries)
    by_comm = {e.links.communication.pk: e.links for e in linked if e.links}
    dana_email = record.emails["launch-1@acme.example"]
    reply_email = record.emails["launch-2@firm.example"]
    assert by_comm[record.dana_email.pk].email_id == dana_email.pk
    # Both messages of the thread point at its first message.
    assert by_comm[record.reply.pk].thread_id == by_comm[record.dana_email.pk].thread_id
    assert by_comm[record.reply.pk].thread_id == (reply_email.thread_root_id or dana_email.pk)
    assert by_comm[record.meeting.pk].email_id is None
    assert by_comm[record.meeting.pk].communication.attendees[1]["name"] == "Dana Client"
    # Reading what the page shows costs nothing more.
    with django_assert_num_queries(0):
        for entry in linked:
            if entry.links:
                c = entry.links.communication
                _ = (c.contact and c.contact.name, c.case and c.case.title, c.snippet, c.subject)
