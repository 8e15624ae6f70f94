"""Moving a case along its lifecycle from the case page: a refused move says exactly what
is missing; promises to the client are marked kept or missed (R21)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amends.cases.actions import add_to_case, transition_case, update_in_case
from amends.cases.models import Case
from amends.comms.actions import record_communication
from tests.web.conftest import htmx
from tests.web.test_case_support import FAST_HASHERS, part_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _move(client, world, to, **fields):
    """Post a move with the case's current version, as a plain (no JavaScript) form."""
    data = {"to": to, "version": Case.objects.get(pk=world.case.pk).version, **fields}
    return client.post(part_url("transition", world), data)


def _reply(world):
    return record_communication(
        world.alice,
        world.acme,
        case=world.case,
        channel="email",
        direction="out",
        subject="Sorry, here is what happened",
    )


def _status(world) -> str:
    return Case.objects.get(pk=world.case.pk).status


def _assessing(world):
    _reply(world)
    transition_case(world.alice, world.case, to="acknowledged")
    transition_case(world.alice, world.case, to="assessing")


def test_the_control_lists_the_moves_from_here(as_alice, world):
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert 'name="to" value="acknowledged"' in html
    assert 'name="to" value="lost"' in html
    assert 'name="to" value="agreed"' not in html
    assert "Why was the relationship lost?" in html


def test_a_refused_move_shows_exactly_what_is_missing_htmx(as_alice, world):
    r = as_alice.post(
        part_url("transition", world),
        {"to": "acknowledged", "version": world.case.version},
        **htmx(),
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert html.lstrip().startswith('<div id="case-status"')
    assert 'class="refused" role="alert"' in html
    assert "Record a reply to the client sent after the case opened" in html
    assert _status(world) == "open"


def test_a_refused_move_without_javascript_shows_the_whole_page(as_bob, world):
    r = as_bob.post(
        part_url("transition", world), {"to": "acknowledged", "version": world.case.version}
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "<html" in html and 'class="refused" role="alert"' in html
    assert "This stops the first-response clock." in html


def test_acknowledging_after_a_reply(as_alice, world):
    _reply(world)
    r = as_alice.post(
        part_url("transition", world),
        {"to": "acknowledged", "version": Case.objects.get(pk=world.case.pk).version},
    )
    assert r.status_code == 303
    assert r["Location"].endswith("#case-status")
    assert _status(world) == "acknowledged"


def test_a_move_with_htmx_refreshes_the_header_and_timeline(as_alice, world):
    _reply(world)
    case = Case.objects.get(pk=world.case.pk)
    r = as_alice.post(
        part_url("transition", world), {"to": "acknowledged", "version": case.version}, **htmx()
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "The case is now Acknowledged." in html
    assert '<header id="case-header" class="case-header" hx-swap-oob="true">' in html
    assert "Status: Open → Acknowledged" in html


def test_agreeing_lists_every_missing_piece_then_succeeds(as_alice, world):
    _assessing(world)
    action = add_to_case(world.alice, world.case, "action", title="Send a dated plan")
    r = _move(as_alice, world, "agreed")
    assert r.status_code == 422
    html = r.content.decode()
    for missing in (
        "Concern “We were never told the launch would slip.” is not answered",
        "Action “Send a dated plan” needs an owner, a deadline and a measure of success.",
        "Schedule the next check-in with the client.",
    ):
        assert missing in html, missing
    concern = world.case.concerns.get()
    update_in_case(world.alice, concern, version=concern.version, answer="A plan every Friday")
    update_in_case(
        world.alice,
        action,
        version=action.version,
        owner=world.bob,
        deadline=timezone.now().date() + timedelta(days=3),
        success_measure="Sent",
    )
    add_to_case(world.alice, world.case, "checkin", scheduled_at=timezone.now() + timedelta(days=2))
    assert _move(as_alice, world, "agreed").status_code == 303
    assert _status(world) == "agreed"
    assert "Agreed" in as_alice.get(part_url("detail", world)).content.decode()


def test_marking_lost_needs_a_reason(as_bob, world):
    r = _move(as_bob, world, "lost", reason="   ")
    assert r.status_code == 422
    assert "Say why the relationship was lost." in r.content.decode()
    assert _status(world) == "open"
    assert _move(as_bob, world, "lost", reason="They chose another agency").status_code == 303
    assert _status(world) == "lost"
    html = as_bob.get(part_url("detail", world)).content.decode()
    assert "They chose another agency" in html and "Reopen" in html


def test_resolving_needs_the_clients_confirmation_and_no_overdue_promise(as_alice, world):
    _assessing(world)
    case = Case.objects.get(pk=world.case.pk)
    concern = case.concerns.get()
    update_in_case(world.alice, concern, version=concern.version, answer="Answered")
    add_to_case(world.alice, case, "checkin", scheduled_at=timezone.now() + timedelta(days=2))
    add_to_case(
        world.alice,
        case,
        "action",
        title="Plan",
        owner=world.alice,
        deadline=timezone.now().date(),
        success_measure="Sent",
    )
    transition_case(world.alice, case, to="agreed")
    add_to_case(
        world.alice,
        case,
        "commitment",
        what="Send the invoice",
        due_at=timezone.now() - timedelta(hours=1),
    )
    r = _move(as_alice, world, "resolved", confirmation="")
    assert r.status_code == 422
    html = r.content.decode()
    assert "Promise “Send the invoice” was due" in html
    assert "Record how the client confirmed that the relationship is repaired." in html
    # What was typed stays in the box after the refusal.
    r = _move(as_alice, world, "resolved", confirmation="Dana said thanks on the call")
    assert r.status_code == 422
    assert "Dana said thanks on the call</textarea>" in r.content.decode()


def test_an_impossible_or_garbage_move_is_a_form_error(as_alice, world):
    for data in ({"to": "resolved"}, {"to": "banana"}, {"to": ""}, {}):
        data.setdefault("version", world.case.version)
        r = as_alice.post(part_url("transition", world), data, **htmx())
        assert r.status_code == 422, data
        assert "Select a valid choice" in r.content.decode() or "required" in r.content.decode()
    assert _status(world) == "open"


def test_a_move_on_a_stale_page_is_refused(as_alice, world):
    stale = world.case.version
    _reply(world)  # stops the clock: the case's version moves on
    r = as_alice.post(
        part_url("transition", world), {"to": "lost", "reason": "x", "version": stale}
    )
    assert r.status_code == 422
    assert "The case changed while you were looking at it" in r.content.decode()
    assert _status(world) == "open"


def test_an_over_long_reason_is_refused(as_alice, world):
    r = _move(as_alice, world, "lost", reason="x" * 5001)
    assert r.status_code == 422 and "at most 5000 characters" in r.content.decode()
    assert _status(world) == "open"


# ---------------------------------------------------------------------------- promises


@pytest.fixture
def promise(world):
    return add_to_case(
        world.alice,
        world.case,
        "commitment",
        what="Call Dana back",
        due_at=timezone.now() + timedelta(hours=2),
    )


def test_a_promise_kept_on_time(as_bob, world, promise):
    url = part_url("commitment_kept", world, promise.pk)
    r = as_bob.post(url, {"version": promise.version})
    assert r.status_code == 303 and r["Location"].endswith(f"#commitment-{promise.pk}")
    promise.refresh_from_db()
    assert promise.status == "kept" and promise.outcome == "kept_on_time"
    html = as_bob.get(part_url("detail", world)).content.decode()
    assert "Kept on time" in html
    assert "<strong>100%</strong>" in html  # the share kept on time


def test_a_promise_kept_late_and_one_missed_with_htmx(as_alice, world, promise):
    late = add_to_case(
        world.alice,
        world.case,
        "commitment",
        what="Send the plan",
        due_at=timezone.now() - timedelta(days=1),
    )
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "Overdue" in html
    r = as_alice.post(
        part_url("commitment_kept", world, late.pk), {"version": late.version}, **htmx()
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "Promise marked kept" in html and "Kept late" in html
    r = as_alice.post(
        part_url("commitment_missed", world, promise.pk), {"version": promise.version}, **htmx()
    )
    assert r.status_code == 200
    assert "Missed" in r.content.decode()
    promise.refresh_from_db()
    assert promise.status == "missed"


def test_marking_a_promise_on_a_stale_page_is_refused(as_alice, world, promise):
    stale = promise.version
    update_in_case(world.bob, promise, version=stale, what="Call Dana back today")
    r = as_alice.post(part_url("commitment_kept", world, promise.pk), {"version": stale})
    assert r.status_code == 422
    assert "changed by someone else" in r.content.decode()
    promise.refresh_from_db()
    assert promise.status == "pending"
    r = as_alice.post(part_url("commitment_missed", world, promise.pk), {"version": "abc"})
    assert r.status_code == 422
    promise.refresh_from_db()
    assert promise.status == "pending"
