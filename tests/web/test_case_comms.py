"""Communications on the case page: recording one stops the first-response clock (R1);
calls without a written recap are flagged (R22); every message is kept (R23)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from amends.comms.actions import record_communication
from amends.comms.models import Communication
from tests.web.conftest import HOSTILE, assert_escaped, htmx
from tests.web.test_case_support import FAST_HASHERS, local, part_url, prefixed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _comm(**overrides):
    data = {
        "channel": "email",
        "direction": "out",
        "occurred_at": local(timezone.now() - timedelta(minutes=5)),
        "contact": "",
        "person": "",
        "subject": "Sorry: here is what happened",
        "summary": "Thank you for telling us.",
        "recap_of": "",
    }
    data.update(overrides)
    return prefixed("communication-new", data)


def _url(world):
    return part_url("communication_add", world)


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_recording_a_reply_stops_the_clock(client, world, persona):
    client.force_login(getattr(world, persona))
    r = client.post(_url(world), _comm(contact=world.contact.pk, person=world.bob.pk))
    assert r.status_code == 303
    comm = Communication.objects.get(subject="Sorry: here is what happened")
    assert r["Location"].endswith(f"#communication-{comm.pk}")
    assert comm.case == world.case and comm.client == world.acme
    assert comm.recorded_by == getattr(world, persona) and comm.person == world.bob
    world.case.refresh_from_db()
    assert world.case.first_response_at == comm.occurred_at
    html = client.get(part_url("detail", world)).content.decode()
    assert "Sorry: here is what happened" in html and "Stopped" in html


def test_recording_with_htmx_refreshes_the_clock_and_the_concern_form(as_alice, world):
    r = as_alice.post(_url(world), _comm(), **htmx())
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<section id="section-communication"')
    assert "Recorded: Email to the client" in html
    assert '<span class="badge badge-ok">Stopped</span>' in html  # status panel, out of band
    # The concern form can now link to the new message.
    assert '<section id="section-concern" class="card case-section"' in html
    assert "Sorry: here is what happened" in html.split('id="section-concern"')[1]


def test_when_is_typed_in_the_clients_zone(as_alice, world, time_machine):
    time_machine.move_to(datetime(2026, 7, 2, 12, 0, tzinfo=UTC))
    assert as_alice.post(_url(world), _comm(occurred_at="2026-07-02T11:30")).status_code == 303
    comm = Communication.objects.get(subject="Sorry: here is what happened")
    assert comm.occurred_at == datetime(2026, 7, 2, 10, 30, tzinfo=UTC)


def test_a_call_without_a_recap_is_flagged_until_one_is_sent(as_alice, world):
    call = record_communication(
        world.alice,
        world.acme,
        case=world.case,
        channel="call",
        direction="out",
        subject="Catch-up call",
        occurred_at=timezone.now() - timedelta(days=4),
    )
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "No written recap of this call yet" in html
    r = as_alice.post(_url(world), _comm(subject="Recap of our call", recap_of=call.pk))
    assert r.status_code == 303
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "No written recap of this call yet" not in html
    assert "recap of an earlier call" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"occurred_at": "2999-01-01T10:00"}, "cannot be in the future"),
        ({"occurred_at": ""}, "This field is required"),
        ({"channel": "pigeon"}, "Select a valid choice"),
        ({"direction": "sideways"}, "Select a valid choice"),
        ({"subject": "", "summary": ""}, "Write a subject or a summary."),
        ({"subject": "s" * 301}, "at most 300 characters"),
        ({"person": "999999"}, "Select a valid choice"),
        ({"occurred_at": "0001-01-01T00:00"}, "Enter a date between 1900 and 2999"),
    ],
)
def test_bad_input_is_a_form_error(as_alice, world, changes, message):
    before = Communication.objects.count()
    r = as_alice.post(_url(world), _comm(**changes), **htmx())
    assert r.status_code == 422
    assert message in r.content.decode()
    assert Communication.objects.count() == before


def test_links_to_another_clients_records_are_refused(as_alice, world, globex_contact):
    globex_call = record_communication(
        world.carol, world.globex, channel="call", direction="out", subject="Globex call"
    )
    for changes in (
        {"contact": globex_contact.pk},
        {"recap_of": globex_call.pk},
        {"person": world.carol.pk},
    ):
        r = as_alice.post(_url(world), _comm(**changes))
        assert r.status_code == 422, changes
        assert "Select a valid choice" in r.content.decode()
    assert not Communication.objects.filter(subject="Sorry: here is what happened").exists()


def test_a_hostile_message_is_escaped(as_alice, world):
    r = as_alice.post(_url(world), _comm(subject=HOSTILE, summary=HOSTILE))
    assert r.status_code == 303
    assert_escaped(as_alice.get(part_url("detail", world)))
