"""The live coach on the composer knows the kind of message being written."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOTE = "Hi Dana,\n\nA quick note: 75% of the hours are used.\n\nAlice, 020 7946 0000\n"


@pytest.mark.parametrize(
    ("kind", "asked_to_apologise"), [("full_response", True), ("budget_note", False)]
)
def test_the_coach_fragment_takes_the_kind(as_alice, world, kind, asked_to_apologise):
    url = reverse("compose:coach", args=[world.case.pk])
    html = as_alice.post(url, {"body": NOTE, "kind": kind}).content.decode()
    assert ("Missing apology" in html) is asked_to_apologise


def test_the_composer_sends_the_kind_with_the_text(as_alice, world):
    page = as_alice.get(reverse("compose:new", args=[world.case.pk])).content.decode()
    assert "hx-include=\"[name='kind']\"" in page
