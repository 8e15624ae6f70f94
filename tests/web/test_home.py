"""The "Needs attention" home page (R1, R21, R22)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amends.accounts.actions import create_user
from amends.cases.actions import add_to_case

pytestmark = pytest.mark.django_db


def test_the_owner_sees_what_needs_attention(as_alice, world, call, inbound):
    now = timezone.now()
    add_to_case(
        world.alice,
        world.case,
        "commitment",
        what="Send the invoice breakdown",
        due_at=now - timedelta(hours=3),
        owner=world.alice,
    )
    add_to_case(
        world.alice,
        world.case,
        "commitment",
        what="Share the revised plan",
        due_at=now + timedelta(hours=20),
    )
    r = as_alice.get(reverse("home"))
    assert r.status_code == 200
    html = r.content.decode()
    case_url = reverse("cases:detail", args=[world.case.pk])
    # The first-response clock of the open case, with its age in working time.
    assert "First response not sent yet" in html and case_url in html
    assert "of working time" in html
    # The client's unanswered email, linked.
    assert "Where is the invoice breakdown?" in html
    assert reverse("comms:detail", args=[inbound.pk]) in html
    # Promises: the overdue one is marked overdue, the other due soon.
    assert "Send the invoice breakdown" in html and "Overdue" in html
    assert "was due 3" in html and "Due soon" in html
    # The call with no recap.
    assert "Calls without a written recap" in html
    assert reverse("comms:detail", args=[call.pk]) in html
    # Times say which time zone they are in.
    assert "Europe/London" in html
    # My open cases.
    assert "My open cases" in html and "Launch slipped and a surprise invoice" in html


def test_an_overdue_action_and_a_due_check_in_are_listed(as_alice, world):
    now = timezone.now()
    add_to_case(
        world.alice,
        world.case,
        "action",
        title="Call the finance team",
        owner=world.alice,
        deadline=(now - timedelta(days=2)).date(),
    )
    add_to_case(world.alice, world.case, "checkin", scheduled_at=now + timedelta(hours=4))
    html = as_alice.get(reverse("home")).content.decode()
    assert "Actions past their deadline" in html and "Call the finance team" in html
    assert "Check-ins due" in html


def test_someone_with_nothing_to_do_is_reassured(client, world):
    dave = create_user(None, username="dave", password=None)
    client.force_login(dave)
    html = client.get(reverse("home")).content.decode()
    assert "Nothing needs you right now" in html
    assert "You are not the point of contact on any open case" in html


def test_the_outsider_sees_only_their_own_clients(as_carol, world, inbound):
    html = as_carol.get(reverse("home")).content.decode()
    assert "Globex training quality" in html
    assert "Acme" not in html and "invoice breakdown" not in html


def test_long_lists_show_the_most_urgent_with_a_link_to_all(as_alice, world):
    now = timezone.now()
    for n in range(30):
        add_to_case(
            world.alice,
            world.case,
            "commitment",
            what=f"Promise number {n:02d}",
            due_at=now - timedelta(hours=60 - n),
        )
    html = as_alice.get(reverse("home")).content.decode()
    assert 'Promises due soon or overdue <span class="count">(30)</span>' in html
    assert "Promise number 00" in html and "Promise number 24" in html  # the most overdue
    assert "Promise number 25" not in html
    assert "The 25 most urgent of 30." in html and "?all=1#att-promises" in html
    everything = as_alice.get(reverse("home") + "?all=1").content.decode()
    assert "Promise number 29" in everything and "most urgent of" not in everything
