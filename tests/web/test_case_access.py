"""Who may reach the case pages: anonymous visitors sign in first, outsiders get 404 for
every page and every post of a case they may not see, the client's team gets through."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amends.cases.actions import add_to_case, open_case
from amends.cases.models import Case
from amends.cases.parts import PARTS
from amends.clients.models import TimelineEntry
from tests.web.conftest import htmx
from tests.web.test_case_support import FAST_HASHERS, add_data, edit_data, make_parts, part_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def parts(world):
    return make_parts(world)


@pytest.fixture
def pages(world, parts) -> list[str]:
    """Every GET page of Acme's case."""
    case = world.case.pk
    return [
        reverse("cases:detail", args=[case]),
        reverse("cases:edit", args=[case]),
        reverse("cases:timeline", args=[case]),
        reverse("cases:new") + f"?client={world.acme.pk}",
        *[reverse("cases:section", args=[case, kind]) for kind in [*PARTS, "communication"]],
        *[reverse("cases:part_edit", args=[case, kind, obj.pk]) for kind, obj in parts.items()],
    ]


@pytest.fixture
def posts(world, parts) -> list[tuple[str, dict[str, Any]]]:
    """Every POST of Acme's case, each with data that would succeed for its team."""
    case = world.case
    commitment = parts["commitment"]
    return [
        (reverse("cases:new"), {"client": world.acme.pk, "title": "Another", "severity": "low"}),
        (reverse("cases:edit", args=[case.pk]), {"title": "Hacked", "version": case.version}),
        (
            reverse("cases:transition", args=[case.pk]),
            {"to": "lost", "reason": "x", "version": case.version},
        ),
        (
            reverse("cases:communication_add", args=[case.pk]),
            {
                "communication-new-channel": "email",
                "communication-new-direction": "out",
                "communication-new-subject": "x",
                "communication-new-occurred_at": "2020-01-01T10:00",
            },
        ),
        (reverse("cases:commitment_kept", args=[case.pk, commitment.pk]), {}),
        (reverse("cases:commitment_missed", args=[case.pk, commitment.pk]), {}),
        *[(part_url("part_add", world, kind), add_data(kind, world)) for kind in PARTS],
        *[
            (part_url("part_edit", world, kind, obj.pk), edit_data(obj))
            for kind, obj in parts.items()
        ],
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, world, pages, posts):
    for url in [reverse("cases:list"), reverse("cases:new"), *pages]:
        r = client.get(url)
        assert r.status_code == 302, url
        assert r["Location"].startswith("/accounts/login/?next="), url
    for url, data in posts:
        r = client.post(url, data)
        assert r.status_code == 302, url
        assert r["Location"].startswith("/accounts/login/?next="), url


def test_outsider_gets_not_found_for_every_page_and_post(as_carol, world, pages, posts):
    before = (Case.objects.count(), TimelineEntry.objects.count())
    for url in pages:
        assert as_carol.get(url).status_code == 404, url
        assert as_carol.get(url, **htmx()).status_code == 404, url
    for url, data in posts:
        assert as_carol.post(url, data).status_code == 404, url
        assert as_carol.post(url, data, **htmx()).status_code == 404, url
    # Nothing was written, and nothing about Acme's case leaked.
    assert (Case.objects.count(), TimelineEntry.objects.count()) == before
    world.case.refresh_from_db()
    assert world.case.title == "Launch slipped and a surprise invoice"


def test_outsider_gets_not_found_even_with_the_wrong_method(as_carol, world, parts):
    for url in (
        reverse("cases:transition", args=[world.case.pk]),
        reverse("cases:commitment_kept", args=[world.case.pk, parts["commitment"].pk]),
        reverse("cases:part_add", args=[world.case.pk, "concern"]),
    ):
        assert as_carol.get(url).status_code == 404, url


def test_outsider_list_does_not_mention_acme(as_carol, world):
    html = as_carol.get(reverse("cases:list"), {"open": "all"}).content.decode()
    assert "Globex training quality" in html
    assert "Launch slipped" not in html and "Acme" not in html


def test_outsider_cannot_filter_by_or_open_a_case_for_acme(as_carol, world):
    r = as_carol.get(reverse("cases:list"), {"client": world.acme.pk})
    assert r.status_code == 200
    assert "Launch slipped" not in r.content.decode()
    assert as_carol.get(reverse("cases:new"), {"client": world.acme.pk}).status_code == 404


@pytest.mark.parametrize("persona", ["alice", "bob", "ada"])
def test_the_team_and_admins_see_every_page(client, world, pages, persona):
    client.force_login(getattr(world, persona))
    for url in [reverse("cases:list"), reverse("cases:new"), *pages]:
        r = client.get(url)
        assert r.status_code in (200, 303), url


def test_a_part_of_another_case_is_not_found_through_this_one(as_alice, world):
    second = open_case(world.alice, world.acme, title="Second case")
    other = add_to_case(world.alice, second, "milestone", title="Elsewhere")
    url = reverse("cases:part_edit", args=[world.case.pk, "milestone", other.pk])
    assert as_alice.get(url).status_code == 404
    assert as_alice.post(url, edit_data(other, title="Moved")).status_code == 404
    promise = add_to_case(
        world.alice, second, "commitment", what="Elsewhere", due_at=world.case.opened_at
    )
    url = reverse("cases:commitment_kept", args=[world.case.pk, promise.pk])
    assert as_alice.post(url).status_code == 404
    promise.refresh_from_db()
    assert promise.status == "pending"


def test_unknown_sections_and_wrong_methods(as_alice, world):
    assert as_alice.get(part_url("section", world, "nonsense"), **htmx()).status_code == 404
    assert as_alice.post(part_url("part_add", world, "communication")).status_code == 404
    assert as_alice.get(part_url("transition", world)).status_code == 405
    assert as_alice.post(part_url("detail", world)).status_code == 405
    assert as_alice.delete(reverse("cases:list")).status_code == 405
