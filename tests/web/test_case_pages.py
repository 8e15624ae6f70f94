"""The case list, opening a case, the case page itself, its timeline, and editing its
details (a new point of contact is a hand-off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amends.cases.actions import open_case, transition_case, update_case
from amends.cases.models import Case
from amends.clients.actions import add_engagement
from amends.clients.models import TimelineEntry
from tests.web.conftest import HOSTILE, assert_escaped, htmx
from tests.web.test_case_support import FAST_HASHERS, local, part_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _new(world, **overrides):
    data = {
        "client": world.acme.pk,
        "title": "Reports arrive late",
        "severity": "medium",
        "summary": "Three monthly reports were late.",
        "engagement": "",
        "point_of_contact": "",
        "opened_at": "",
    }
    data.update(overrides)
    return data


def _details(case, **overrides):
    data = {
        "title": case.title,
        "severity": case.severity,
        "summary": case.summary,
        "point_of_contact": case.point_of_contact_id,
        "engagement": case.engagement_id or "",
        "opened_at": local(case.opened_at),
        "version": case.version,
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------- the list


def test_the_list_shows_badges_and_the_running_clock(as_bob, world):
    html = as_bob.get(reverse("cases:list")).content.decode()
    assert "Launch slipped and a surprise invoice" in html
    assert '<span class="badge status-open">Open</span>' in html
    assert '<span class="badge sev-high">High</span>' in html
    assert "Running " in html  # no reply yet: the clock's age is shown
    assert "Globex" not in html


def test_the_list_filters_by_status_client_and_open(as_alice, world):
    transition_case(world.alice, world.case, to="lost", reason="They left")
    open_case(world.alice, world.acme, title="Reports arrive late")
    url = reverse("cases:list")
    html = as_alice.get(url).content.decode()
    assert "Reports arrive late" in html and "Launch slipped" not in html
    html = as_alice.get(url, {"open": "all"}).content.decode()
    assert "Reports arrive late" in html and "Launch slipped" in html
    html = as_alice.get(url, {"open": "all", "status": "lost"}).content.decode()
    assert "Reports arrive late" not in html and "Launch slipped" in html
    html = as_alice.get(url, {"open": "all", "client": world.acme.pk}).content.decode()
    assert "Reports arrive late" in html


def test_invalid_filters_are_reported_not_a_500(as_alice, world):
    for params in (
        {"status": "bogus"},
        {"client": "abc"},
        {"client": world.globex.pk},
        {"open": "maybe"},
        {"page": "999"},
    ):
        r = as_alice.get(reverse("cases:list"), params)
        assert r.status_code == 200, params
    html = as_alice.get(reverse("cases:list"), {"client": world.globex.pk}).content.decode()
    assert "Select a valid choice" in html and "Globex training" not in html


# ---------------------------------------------------------------------------- new case


def test_opening_a_case_for_a_client(as_bob, world):
    r = as_bob.post(reverse("cases:new"), _new(world))
    assert r.status_code == 303
    case = Case.objects.get(title="Reports arrive late")
    assert r["Location"] == reverse("cases:detail", args=[case.pk])
    # The point of contact defaults to the client's owner; the clock starts now.
    assert case.point_of_contact == world.alice and case.created_by == world.bob
    assert abs(case.opened_at - timezone.now()) < timedelta(minutes=1)
    assert TimelineEntry.objects.filter(case=case, kind="case.opened").exists()


def test_opening_with_htmx_redirects_to_the_case(as_alice, world):
    r = as_alice.post(reverse("cases:new"), _new(world), **htmx())
    assert r.status_code == 204
    case = Case.objects.get(title="Reports arrive late")
    assert r["HX-Redirect"] == reverse("cases:detail", args=[case.pk])


def test_the_form_names_the_clients_time_zone(as_alice, world):
    html = as_alice.get(reverse("cases:new"), {"client": world.acme.pk}).content.decode()
    assert "In Europe/London time." in html
    assert "Alice Owner (the client&#x27;s owner)" in html
    assert "Carol" not in html  # only Acme's team can be its point of contact
    html = as_alice.get(reverse("cases:new")).content.decode()
    assert "In the client&#x27;s time zone." in html


def test_a_backdated_opening_is_read_in_the_clients_time_zone(as_alice, world, time_machine):
    time_machine.move_to(datetime(2026, 7, 2, 12, 0, tzinfo=UTC))
    r = as_alice.post(
        reverse("cases:new"),
        _new(
            world,
            opened_at="2026-07-01T09:15",
            point_of_contact=world.bob.pk,
            engagement=world.engagement.pk,
        ),
    )
    assert r.status_code == 303
    case = Case.objects.get(title="Reports arrive late")
    assert case.opened_at == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)  # 09:15 BST
    assert case.point_of_contact == world.bob and case.engagement == world.engagement


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opened_at": "2999-01-01T10:00"}, "cannot be in the future"),
        ({"title": ""}, "This field is required"),
        ({"title": "t" * 201}, "at most 200 characters"),
        ({"severity": "apocalyptic"}, "Select a valid choice"),
        ({"client": ""}, "This field is required"),
        ({"opened_at": "yesterday-ish"}, "Enter a valid date/time"),
        ({"summary": "s" * 10001}, "at most 10000 characters"),
        ({"opened_at": "0001-01-01T00:00"}, "Enter a date between 1900 and 2999"),
    ],
)
def test_opening_refuses_bad_input_with_a_message(as_alice, world, changes, message):
    before = Case.objects.count()
    r = as_alice.post(reverse("cases:new"), _new(world, **changes))
    assert r.status_code == 422
    assert message in r.content.decode()
    assert Case.objects.count() == before


def test_a_point_of_contact_or_engagement_from_elsewhere_is_refused(as_alice, world):
    globex_work = add_engagement(world.carol, world.globex, name="Training")
    for changes in ({"point_of_contact": world.carol.pk}, {"engagement": globex_work.pk}):
        r = as_alice.post(reverse("cases:new"), _new(world, **changes))
        assert r.status_code == 422, changes
        assert "Select a valid choice" in r.content.decode()
    assert not Case.objects.filter(title="Reports arrive late").exists()


def test_a_client_the_user_may_not_see_is_not_found(as_alice, world):
    r = as_alice.post(reverse("cases:new"), _new(world, client=world.globex.pk))
    assert r.status_code == 404
    assert as_alice.post(reverse("cases:new"), _new(world, client="abc")).status_code == 404


def test_a_hostile_title_is_escaped(as_alice, world):
    r = as_alice.post(reverse("cases:new"), _new(world, title=HOSTILE, summary=HOSTILE))
    assert r.status_code == 303
    assert_escaped(as_alice.get(r["Location"]))
    assert_escaped(as_alice.get(reverse("cases:list")))


# ---------------------------------------------------------------------------- case page


def test_the_case_page_shows_header_clocks_guidance_and_sections(as_bob, world):
    html = as_bob.get(part_url("detail", world)).content.decode()
    for text in (
        "Launch slipped and a surprise invoice",
        "Acme Ltd",
        "Alice Owner",  # point of contact
        "High severity",
        "Europe/London",
        "What the method asks next",
        "Reply to the client now",
        "Record a reply to the client sent after the case opened",
        "Running",
        "Promises kept on time",
        "Move the case",
        "Acknowledge",
        "Mark lost",
        "We were never told the launch would slip.",
        "Not yet answered",
        "Concerns",
        "Expectations",
        "Actions",
        "Promises to the client",
        "Concessions",
        "Check-ins",
        "Milestones",
        "Positives",
        "Communications",
        "Timeline",
        "R5, R6",
        "R18",
    ):
        assert text in html, text


def test_times_are_shown_in_the_clients_zone_with_the_zone_named(as_carol, world):
    case = world.other_case  # Globex, New York
    update_case(
        world.carol, case, version=case.version, opened_at=datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    )
    html = as_carol.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Mon 5 Jan 2026, 10:00 EST" in html
    assert "America/New_York" in html


def test_the_guidance_ticks_the_steps_done(as_alice, world):
    from amends.comms.actions import record_communication

    record_communication(
        world.alice, world.acme, case=world.case, channel="email", direction="out", subject="Sorry"
    )
    transition_case(world.alice, world.case, to="acknowledged")
    html = as_alice.get(part_url("detail", world)).content.decode()
    assert "Listen before solving" in html
    assert '<li class="step-done">' in html and '<li class="step-todo">' in html
    assert "Stopped" in html  # the first-response clock


def test_the_timeline_page_lists_what_happened(as_bob, world):
    html = as_bob.get(part_url("timeline", world)).content.decode()
    assert "Case opened: Launch slipped and a surprise invoice (High)" in html
    assert "Concern: “We were never told the launch would slip.”" in html
    assert as_bob.get(part_url("timeline", world), {"page": "nope"}).status_code == 200


# ---------------------------------------------------------------------------- details


def test_editing_details_and_handing_off(as_alice, world):
    case = world.case
    r = as_alice.post(
        part_url("edit", world),
        _details(case, title="Launch slipped", point_of_contact=world.bob.pk),
    )
    assert r.status_code == 303
    case.refresh_from_db()
    assert case.title == "Launch slipped" and case.point_of_contact == world.bob
    handoff = TimelineEntry.objects.get(case=case, kind="case.handoff")
    assert handoff.summary == "Point of contact handed from Alice Owner to Bob Member"
    assert (
        "handed from Alice Owner to Bob Member"
        in as_alice.get(part_url("detail", world)).content.decode()
    )


def test_editing_details_with_htmx(as_bob, world):
    r = as_bob.get(part_url("edit", world), **htmx())
    html = r.content.decode()
    assert html.lstrip().startswith('<header id="case-header"')
    assert 'name="version"' in html and "In Europe/London time." in html
    r = as_bob.post(part_url("edit", world), _details(world.case, severity="critical"), **htmx())
    assert r.status_code == 200
    html = r.content.decode()
    assert "Critical severity" in html and 'hx-swap-oob="true"' in html


def test_an_untouched_opened_at_is_not_rewritten(as_alice, world):
    case = world.case
    before = case.opened_at
    assert as_alice.post(part_url("edit", world), _details(case)).status_code == 303
    case.refresh_from_db()
    assert case.opened_at == before


def test_a_stale_details_edit_is_a_conflict(as_alice, world):
    case = world.case
    stale = _details(case, title="Alice's title")
    update_case(world.bob, case, version=case.version, title="Bob's title")
    r = as_alice.post(part_url("edit", world), stale)
    assert r.status_code == 422
    html = r.content.decode()
    assert "changed by someone else" in html and "Bob&#x27;s title" in html
    case.refresh_from_db()
    assert case.title == "Bob's title"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opened_at": "2999-01-01T10:00"}, "cannot be in the future"),
        ({"point_of_contact": ""}, "This field is required"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"version": "abc"}, "Enter a whole number"),
    ],
)
def test_details_refuse_bad_input(as_alice, world, changes, message):
    r = as_alice.post(part_url("edit", world), _details(world.case, **changes), **htmx())
    assert r.status_code == 422
    assert message in r.content.decode()


def test_a_point_of_contact_off_the_team_is_refused(as_alice, world):
    r = as_alice.post(
        part_url("edit", world), _details(world.case, point_of_contact=world.carol.pk)
    )
    assert r.status_code == 422 and "Select a valid choice" in r.content.decode()
    world.case.refresh_from_db()
    assert world.case.point_of_contact == world.alice
