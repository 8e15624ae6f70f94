"""The sections of the case page: adding and editing every kind of thing inside a case,
as plain posts and as htmx, stale edits, and hostile input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amends.cases.actions import add_to_case, update_in_case
from amends.cases.models import Action, Concern, Concession
from amends.cases.parts import PARTS
from amends.clients.models import TimelineEntry
from tests.web.conftest import HOSTILE, assert_escaped, htmx
from tests.web.test_case_support import (
    FAST_HASHERS,
    add_data,
    add_fields,
    edit_data,
    local,
    make_parts,
    part_url,
    prefixed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def parts(world):
    return make_parts(world)


def _count(world, kind: str) -> int:
    return PARTS[kind].model._default_manager.filter(case=world.case).count()


@pytest.mark.parametrize("kind", list(PARTS))
@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_adding_each_kind_with_a_plain_post(client, world, kind, persona):
    client.force_login(getattr(world, persona))
    before = _count(world, kind)
    r = client.post(part_url("part_add", world, kind), add_data(kind, world))
    assert r.status_code == 303, r.content.decode()[:2000]
    obj = PARTS[kind].model._default_manager.filter(case=world.case).latest("pk")
    assert r["Location"] == reverse("cases:detail", args=[world.case.pk]) + f"#{kind}-{obj.pk}"
    assert _count(world, kind) == before + 1
    assert obj.created_by == getattr(world, persona)
    assert TimelineEntry.objects.filter(case=world.case, kind=f"{kind}.added").exists()
    page = client.get(r["Location"]).content.decode()
    assert f'id="{kind}-{obj.pk}"' in page


@pytest.mark.parametrize("kind", list(PARTS))
def test_adding_each_kind_with_htmx_returns_the_section(as_bob, world, kind):
    r = as_bob.post(part_url("part_add", world, kind), add_data(kind, world), **htmx())
    assert r.status_code == 200
    html = r.content.decode()
    obj = PARTS[kind].model._default_manager.filter(case=world.case).latest("pk")
    assert html.lstrip().startswith(f'<section id="section-{kind}"')
    assert f'id="{kind}-{obj.pk}"' in html
    assert "added." in html and "data-focus" in html
    # The status panel and the timeline are refreshed out of band.
    assert 'id="case-status" class="case-status" hx-swap-oob="true"' in html
    assert 'id="case-timeline"' in html


def test_the_fields_typed_are_the_fields_saved(as_alice, world):
    r = as_alice.post(part_url("part_add", world, "action"), add_data("action", world))
    assert r.status_code == 303
    action = Action.objects.get(title="Walk Dana through the invoice")
    assert action.owner == world.bob and action.horizon == "short"
    assert action.concern == world.case.concerns.order_by("pk").first()
    assert action.success_measure == "Dana confirms she understands it"


def test_a_concern_keeps_its_kind(as_alice, world):
    r = as_alice.post(part_url("part_add", world, "concern"), add_data("concern", world))
    assert r.status_code == 303
    concern = Concern.objects.get(text="Why did nobody call us?")
    assert concern.kind == "question" and concern.source == "Email from Dana"


def test_a_concession_keeps_its_kind_value_and_cost(as_alice, world):
    r = as_alice.post(part_url("part_add", world, "concession"), add_data("concession", world))
    assert r.status_code == 303
    concession = Concession.objects.get(description="Two free days of design")
    assert concession.kind == "credit" and concession.currency == "GBP"
    assert str(concession.value) == "1200.00" and str(concession.cost) == "800.00"


def test_datetimes_are_typed_in_the_clients_time_zone(as_alice, world, time_machine):
    time_machine.move_to(datetime(2026, 7, 2, 12, 0, tzinfo=UTC))
    data = add_data("commitment", world, due_at="2026-07-03T10:00")
    assert as_alice.post(part_url("part_add", world, "commitment"), data).status_code == 303
    promise = world.case.commitments.get()
    # 10:00 in London in July is 09:00 UTC.
    assert promise.due_at == datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "Fri 3 Jul 2026, 10:00" in html and "Europe/London" in html


def test_an_action_with_a_concern_preselected(as_alice, world):
    concern = world.case.concerns.get()
    r = as_alice.get(part_url("section", world, "action") + f"?concern={concern.pk}", **htmx())
    html = r.content.decode()
    assert '<details class="disclosure add-form" id="add-action" open>' in html
    assert f'<option value="{concern.pk}" selected>' in html


# ---------------------------------------------------------------------------- editing


@pytest.mark.parametrize("kind", list(PARTS))
def test_editing_each_kind_with_a_plain_post(as_alice, world, parts, kind):
    obj = parts[kind]
    field = {
        "concern": ("source", "Phone call"),
        "expectation": ("delivered", "Half of it"),
        "action": ("success_measure", "Dana says yes"),
        "commitment": ("to_whom", "Dana and Sam"),
        "concession": ("description", "15% off March"),
        "checkin": ("agenda", "Only the invoice"),
        "milestone": ("title", "Staging live"),
        "positive": ("text", "Dana sent the copy a week early"),
    }[kind]
    version = obj.version
    r = as_alice.post(part_url("part_edit", world, kind, obj.pk), edit_data(obj, **dict([field])))
    assert r.status_code == 303, r.content.decode()[:3000]
    assert r["Location"].endswith(f"#{kind}-{obj.pk}")
    obj.refresh_from_db()
    assert getattr(obj, field[0]) == field[1]
    assert obj.version == version + 1


@pytest.mark.parametrize("kind", list(PARTS))
def test_editing_each_kind_with_htmx(as_bob, world, parts, kind):
    obj = parts[kind]
    url = part_url("part_edit", world, kind, obj.pk)
    # Edit swaps the item for its form...
    r = as_bob.get(url, **htmx())
    html = r.content.decode()
    assert html.lstrip().startswith(f'<li id="{kind}-{obj.pk}"')
    assert f'name="{kind}-{obj.pk}-version" value="{obj.version}"' in html
    assert "data-focus" in html
    # ...and saving swaps the section back, with the change.
    r = as_bob.post(url, edit_data(obj), **htmx())
    assert r.status_code == 200
    assert r.content.decode().lstrip().startswith(f'<section id="section-{kind}"')
    assert "saved." in r.content.decode()


def test_editing_without_javascript_shows_the_form_on_the_case_page(as_alice, world, parts):
    obj = parts["action"]
    r = as_alice.get(part_url("part_edit", world, "action", obj.pk))
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert 'action="' + part_url("part_edit", world, "action", obj.pk) + '"' in html
    assert "Edit action" in html


def test_an_edit_that_changes_nothing_writes_no_timeline_entry(as_alice, world, parts):
    before = TimelineEntry.objects.count()
    obj = parts["checkin"]
    r = as_alice.post(part_url("part_edit", world, "checkin", obj.pk), edit_data(obj))
    assert r.status_code == 303
    obj.refresh_from_db()
    assert TimelineEntry.objects.count() == before


def test_answering_a_concern_marks_it_answered(as_alice, world):
    concern = world.case.concerns.get()
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "Not yet answered" in html
    data = edit_data(concern, answer="We will send a dated plan every Friday.")
    assert (
        as_alice.post(part_url("part_edit", world, "concern", concern.pk), data).status_code == 303
    )
    concern.refresh_from_db()
    assert concern.status == "answered"
    assert "Not yet answered" not in as_alice.get(part_url("detail", world)).content.decode()


# ---------------------------------------------------------------------------- conflicts


def test_a_stale_edit_is_a_conflict_not_an_overwrite(as_alice, client, world, parts):
    obj = parts["action"]
    stale = edit_data(obj, title="Alice's title")
    update_in_case(world.bob, obj, version=obj.version, title="Bob's title")
    r = as_alice.post(part_url("part_edit", world, "action", obj.pk), stale, **htmx())
    assert r.status_code == 422
    html = r.content.decode()
    assert "changed by someone else" in html
    assert "What is saved now" in html and "Bob&#x27;s title" in html
    # Her version stays in the form, now carrying the current version...
    assert "Alice&#x27;s title" in html
    assert f'name="action-{obj.pk}-version" value="{obj.version}"' in html
    obj.refresh_from_db()
    assert obj.title == "Bob's title"
    # ...so saving again knowingly replaces Bob's change.
    again = edit_data(obj, title="Alice's title")
    assert as_alice.post(part_url("part_edit", world, "action", obj.pk), again).status_code == 303
    obj.refresh_from_db()
    assert obj.title == "Alice's title"


def test_a_stale_edit_without_javascript_is_a_conflict_too(as_alice, world, parts):
    obj = parts["milestone"]
    stale = edit_data(obj, title="Mine")
    update_in_case(world.bob, obj, version=obj.version, title="Theirs")
    r = as_alice.post(part_url("part_edit", world, "milestone", obj.pk), stale)
    assert r.status_code == 422
    assert "changed by someone else" in r.content.decode()
    assert "<html" in r.content.decode()


# ---------------------------------------------------------------------------- hostile input


def test_script_tags_are_escaped(as_alice, world):
    data = add_data("concern", world, text=HOSTILE, source=HOSTILE)
    assert as_alice.post(part_url("part_add", world, "concern"), data).status_code == 303
    assert_escaped(as_alice.get(part_url("detail", world)))
    assert_escaped(as_alice.get(part_url("timeline", world)))


def test_over_long_text_is_refused_with_a_message(as_alice, world):
    before = Concern.objects.count()
    data = add_data("concern", world, text="x" * 5001)
    r = as_alice.post(part_url("part_add", world, "concern"), data, **htmx())
    assert r.status_code == 422
    assert "at most 5000 characters" in r.content.decode()
    assert Concern.objects.count() == before
    r = as_alice.post(
        part_url("part_add", world, "milestone"), add_data("milestone", world, title="m" * 301)
    )
    assert r.status_code == 422 and "at most 300 characters" in r.content.decode()


def test_an_owner_who_is_not_on_the_team_is_refused(as_alice, world, parts):
    r = as_alice.post(
        part_url("part_add", world, "action"), add_data("action", world, owner=world.carol.pk)
    )
    assert r.status_code == 422
    assert "Select a valid choice" in r.content.decode()
    obj = parts["action"]
    r = as_alice.post(
        part_url("part_edit", world, "action", obj.pk), edit_data(obj, owner=world.carol.pk)
    )
    assert r.status_code == 422
    obj.refresh_from_db()
    assert obj.owner is None


def test_a_concern_of_another_case_is_refused(as_alice, world):
    foreign = add_to_case(world.carol, world.other_case, "concern", text="Slides late")
    r = as_alice.post(
        part_url("part_add", world, "action"),
        add_data("action", world, concern=foreign.pk),
        **htmx(),
    )
    assert r.status_code == 422
    assert "Select a valid choice" in r.content.decode()
    assert not Action.objects.filter(concern=foreign).exists()


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("action", {"horizon": "someday"}, "Select a valid choice"),
        ("action", {"deadline": "next tuesday"}, "Enter a valid date"),
        ("concern", {"kind": "rant"}, "Select a valid choice"),
        ("concern", {"raised_at": "2999-01-01T10:00"}, "cannot be in the future"),
        ("concern", {"communication": "99999"}, "Select a valid choice"),
        ("commitment", {"due_at": "not a date"}, "Enter a valid date/time"),
        ("commitment", {"contact": "x"}, "Select a valid choice"),
        ("concession", {"value": "lots"}, "Enter a number"),
        ("concession", {"currency": "gb1"}, "three-letter currency code"),
        ("concession", {"currency": "pounds"}, "at most 3 characters"),
        ("positive", {"noted_at": "2999-01-01T10:00"}, "cannot be in the future"),
        ("checkin", {"scheduled_at": ""}, "This field is required"),
        ("checkin", {"scheduled_at": "9999-12-31T23:59"}, "Enter a date between 1900 and 2999"),
        ("commitment", {"due_at": "0001-01-01T00:00"}, "Enter a date between 1900 and 2999"),
    ],
)
def test_invalid_input_is_a_form_error_never_a_500(as_alice, world, kind, changes, message):
    before = _count(world, kind)
    r = as_alice.post(part_url("part_add", world, kind), add_data(kind, world, **changes))
    assert r.status_code == 422
    assert message in r.content.decode()
    assert _count(world, kind) == before


def test_garbage_versions_and_missing_fields_are_form_errors(as_alice, world, parts):
    obj = parts["checkin"]
    url = part_url("part_edit", world, "checkin", obj.pk)
    for version in ("", "abc", "-1"):
        r = as_alice.post(url, edit_data(obj, version=version))
        assert r.status_code == 422, version
    r = as_alice.post(url, {})
    assert r.status_code == 422
    r = as_alice.post(part_url("part_add", world, "concern"), {}, **htmx())
    assert r.status_code == 422 and "This field is required" in r.content.decode()


def test_a_held_check_in_cannot_be_in_the_future(as_alice, world, parts):
    obj = parts["checkin"]
    future = local(timezone.now() + timedelta(days=1))
    r = as_alice.post(
        part_url("part_edit", world, "checkin", obj.pk), edit_data(obj, held_at=future)
    )
    assert r.status_code == 422 and "cannot be in the future" in r.content.decode()


# ---------------------------------------------------------------------------- what is shown


def test_actions_are_grouped_by_horizon_and_gaps_are_flagged(as_alice, world):
    yesterday = (timezone.now() - timedelta(days=2)).date()
    add_to_case(world.alice, world.case, "action", title="Vague idea", horizon="long")
    add_to_case(
        world.alice,
        world.case,
        "action",
        title="Late one",
        owner=world.alice,
        deadline=yesterday,
        success_measure="Done",
    )
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "Immediate <span" in html and "Short term <span" in html and "Long term <span" in html
    assert "No owner" in html and "No deadline" in html and "No measure of success" in html
    assert "Needs owner, deadline, measure of success before the plan can be agreed." in html
    assert '<span class="overdue">Overdue</span>' in html


def test_the_next_check_in_is_highlighted(as_alice, world):
    now = timezone.now()
    add_to_case(world.alice, world.case, "checkin", scheduled_at=now + timedelta(days=9))
    soon = add_to_case(world.alice, world.case, "checkin", scheduled_at=now + timedelta(days=2))
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert f'<li id="checkin-{soon.pk}" class="item is-next">' in html
    assert html.count("Next check-in</span>") == 1


def test_a_fresh_check_in_form_proposes_the_five_part_agenda(as_alice, world):
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "1. What is going well" in html and "5. Milestones" in html


def test_a_concession_shows_its_value_and_cost(as_alice, world):
    add_to_case(
        world.alice,
        world.case,
        "concession",
        kind="credit",
        description="Credit",
        value="1500.00",
        cost="900.50",
        currency="EUR",
    )
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "Value to the client 1,500.00 EUR" in html and "Cost to us 900.50 EUR" in html


def test_add_fields_cover_every_add_form(world):
    from amends.cases.forms import ADD_FIELDS

    for kind in PARTS:
        assert set(add_fields(kind, world)) == set(ADD_FIELDS[kind]), kind
        assert set(prefixed("x", {"a": 1})) == {"x-a"}


# Too long for any field, a date no zone can store, and a NUL byte the database refuses.
GARBAGE = ["x" * 30000, "9999-12-31T23:59", "nul\x00byte"]


@pytest.mark.parametrize("kind", list(PARTS))
def test_garbage_in_any_field_is_never_a_500(as_alice, world, parts, kind):
    """Every field of the edit form (a superset of the add form's), one garbage value at a
    time: a form error or a save, never a crash."""
    obj = parts[kind]
    for name in PARTS[kind].fields:
        for value in GARBAGE:
            obj.refresh_from_db()
            data = edit_data(obj, **{name: value})
            r = as_alice.post(part_url("part_edit", world, kind, obj.pk), data, **htmx())
            assert r.status_code in (200, 422), (name, value, r.status_code)
