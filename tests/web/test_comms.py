"""Recording, reading and editing communications (R1, R22, R23)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amends.comms.actions import record_communication, update_communication
from amends.comms.models import Communication
from tests.web.conftest import HOSTILE, assert_escaped, htmx

pytestmark = pytest.mark.django_db


def _comm(prefix="comm", **overrides):
    data = {
        "channel": "email",
        "direction": "out",
        "occurred_at": "2026-07-01T10:00",
        "contact": "",
        "person": "",
        "case": "",
        "subject": "Sorry about the launch",
        "summary": "Thank you for raising it.",
        "recap_of": "",
    }
    data.update(overrides)
    return {(f"{prefix}-{k}" if prefix else k): v for k, v in data.items()}


def _record_url(world):
    return reverse("comms:for_client", args=[world.acme.pk])


def test_recording_a_communication(as_alice, world, time_machine):
    time_machine.move_to(datetime(2026, 7, 2, 12, 0, tzinfo=UTC))
    r = as_alice.post(
        _record_url(world),
        _comm(contact=world.contact.pk, case=world.case.pk, person=world.alice.pk),
    )
    assert r.status_code == 303
    assert r["Location"] == reverse("clients:detail", args=[world.acme.pk]) + "#communications"
    comm = Communication.objects.get(subject="Sorry about the launch")
    # Typed in the client's time zone (London, summer time): 10:00 BST is 09:00 UTC.
    assert comm.occurred_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert comm.recorded_by == world.alice and comm.case == world.case


def test_recording_with_htmx_reloads_the_client_page(as_alice, world):
    r = as_alice.post(_record_url(world), _comm(occurred_at="2026-01-05T09:30"), **htmx())
    assert r.status_code == 204
    assert r["HX-Redirect"].endswith("#communications")


def test_a_contact_of_another_client_is_refused(as_alice, world, globex_contact):
    r = as_alice.post(_record_url(world), _comm(contact=globex_contact.pk), **htmx())
    assert r.status_code == 422
    html = r.content.decode()
    assert "That contact is not one of this client&#x27;s contacts" in html
    assert 'id="communications"' in html and "<html" not in html
    assert not Communication.objects.filter(subject="Sorry about the launch").exists()


def test_a_case_person_or_call_of_another_client_is_refused(as_alice, world):
    globex_call = record_communication(
        world.carol, world.globex, channel="call", direction="out", subject="Globex call"
    )
    for field, value, message in (
        ("case", world.other_case.pk, "That case is not one of this client"),
        ("person", world.carol.pk, "Choose someone on this client"),
        ("recap_of", globex_call.pk, "Choose one of this client"),
        ("contact", "not-a-number", "That contact is not one of this client"),
    ):
        r = as_alice.post(_record_url(world), _comm(**{field: value}))
        assert r.status_code == 422, field
        assert message in r.content.decode(), field
    assert not Communication.objects.filter(subject="Sorry about the launch").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"channel": "pigeon"}, "Select a valid choice"),
        ({"direction": "sideways"}, "Select a valid choice"),
        ({"occurred_at": "yesterday-ish"}, "Enter a valid date/time"),
        ({"subject": "s" * 301}, "at most 300 characters"),
        ({"summary": "s" * 20001}, "at most 20000 characters"),
        ({"subject": "", "summary": ""}, "Give a subject or a summary"),
        ({"occurred_at": "2999-01-01T10:00"}, "cannot be in the future"),
    ],
)
def test_bad_communications_are_refused_with_a_clear_message(as_alice, world, overrides, message):
    r = as_alice.post(_record_url(world), _comm(**overrides))
    assert r.status_code == 422
    assert message in r.content.decode()
    assert Communication.objects.filter(client=world.acme).count() == 0


def test_a_recap_is_an_email_to_the_client(as_alice, world, call):
    r = as_alice.post(
        _record_url(world), _comm(channel="note", direction="internal", recap_of=call.pk)
    )
    assert r.status_code == 422
    assert "A recap is a written message to the client" in r.content.decode()


def test_recording_the_recap_clears_the_flag(as_alice, world, call):
    detail = reverse("comms:detail", args=[call.pk])
    html = as_alice.get(detail).content.decode()
    assert "No written recap of this call yet" in html
    client_page = reverse("clients:detail", args=[world.acme.pk])
    assert "no recap" in as_alice.get(client_page).content.decode()
    now = timezone.localtime(timezone.now(), world.acme.working_hours.tz)
    r = as_alice.post(
        _record_url(world), _comm(recap_of=call.pk, occurred_at=now.strftime("%Y-%m-%dT%H:%M"))
    )
    assert r.status_code == 303
    html = as_alice.get(detail).content.decode()
    assert "No written recap" not in html and "Sorry about the launch" in html
    assert "no recap" not in as_alice.get(client_page).content.decode()


def test_the_detail_page_shows_the_message_in_the_client_time_zone(as_alice, world, inbound):
    html = as_alice.get(reverse("comms:detail", args=[inbound.pk])).content.decode()
    assert "Where is the invoice breakdown?" in html and "Please send it today." in html
    assert "Europe/London" in html and "Dana Client" in html
    assert "The client is waiting for a reply" in html


def test_hostile_text_in_a_communication_is_escaped(as_alice, world):
    comm = record_communication(
        world.alice,
        world.acme,
        channel="email",
        direction="in",
        subject=HOSTILE,
        summary=f"Hello {HOSTILE}",
    )
    for url in (
        reverse("comms:detail", args=[comm.pk]),
        reverse("comms:edit", args=[comm.pk]),
        reverse("clients:detail", args=[world.acme.pk]),
        reverse("home"),
    ):
        assert_escaped(as_alice.get(url))


def test_editing_a_communication(as_alice, world, call):
    url = reverse("comms:edit", args=[call.pk])
    assert as_alice.get(url).status_code == 200
    r = as_alice.post(
        url,
        _comm(
            prefix="",
            channel="call",
            subject="Launch call (edited)",
            occurred_at="2026-01-10T15:00",
            version=call.version,
        ),
    )
    assert r.status_code == 303 and r["Location"] == reverse("comms:detail", args=[call.pk])
    call.refresh_from_db()
    assert call.subject == "Launch call (edited)"
    assert call.occurred_at == datetime(2026, 1, 10, 15, 0, tzinfo=UTC)  # London in winter


def test_a_stale_communication_edit_shows_the_conflict(as_alice, world, call):
    seen = call.version
    update_communication(world.bob, call, version=seen, subject="Bob's subject")
    r = as_alice.post(
        reverse("comms:edit", args=[call.pk]),
        _comm(
            prefix="",
            channel="call",
            subject="Alice's subject",
            occurred_at="2026-01-10T15:00",
            version=seen,
        ),
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "changed by someone else" in html and "Bob&#x27;s subject" in html
    call.refresh_from_db()
    assert call.subject == "Bob's subject"


def test_an_edit_cannot_link_another_client_contact(as_alice, world, call, globex_contact):
    r = as_alice.post(
        reverse("comms:edit", args=[call.pk]),
        _comm(
            prefix="",
            channel="call",
            contact=globex_contact.pk,
            occurred_at="2026-01-10T15:00",
            version=call.version,
        ),
    )
    assert r.status_code == 422
    call.refresh_from_db()
    assert call.contact == world.contact


def test_all_communications_are_paginated(as_alice, world):
    base = timezone.now() - timedelta(days=60)
    for i in range(35):
        record_communication(
            world.alice,
            world.acme,
            channel="note",
            direction="internal",
            summary=f"Note {i:02d}",
            occurred_at=base + timedelta(hours=i),
        )
    html = as_alice.get(_record_url(world)).content.decode()
    assert "Note 34" in html and "Note 00" not in html and "Page 1 of 2" in html
    html = as_alice.get(_record_url(world), {"page": 2}).content.decode()
    assert "Note 00" in html


def test_the_record_form_starts_with_now_and_me(as_alice, world, time_machine):
    time_machine.move_to(datetime(2026, 7, 2, 12, 0, tzinfo=UTC), tick=False)
    html = as_alice.get(reverse("clients:detail", args=[world.acme.pk])).content.decode()
    assert 'name="comm-occurred_at" value="2026-07-02T13:00"' in html  # London summer time
    assert f'<option value="{world.alice.pk}" selected>' in html
