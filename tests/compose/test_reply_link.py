"""A client's message linked to a case offers a coached reply from that case."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amends.comms.actions import record_communication

pytestmark = pytest.mark.django_db


def test_inbound_message_on_a_case_links_to_the_composer(world, as_alice):
    comm = record_communication(
        world.alice,
        world.acme,
        case=world.case,
        channel="email",
        direction="in",
        subject="Where is the report?",
        summary="We are still waiting.",
    )
    page = as_alice.get(reverse("comms:detail", args=[comm.pk])).content.decode()
    assert reverse("compose:new", args=[world.case.pk]) + "?kind=full_response" in page


def test_messages_without_a_case_or_from_us_do_not(world, as_alice):
    loose = record_communication(
        world.alice, world.acme, channel="email", direction="in", subject="Hello"
    )
    ours = record_communication(
        world.alice,
        world.acme,
        case=world.case,
        channel="email",
        direction="out",
        subject="Update",
    )
    for comm in (loose, ours):
        page = as_alice.get(reverse("comms:detail", args=[comm.pk])).content.decode()
        assert "Write a reply" not in page
