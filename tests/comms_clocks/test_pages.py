"""The responsiveness panels on the home, client and case pages, and the tone pictures:
shown to the team, nothing to an outsider, and no script or remote reference anywhere."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from amends.comms.models import Communication

from .conftest import at

HOSTILE = "This is unacceptable and we are furious. Nobody answers. Terrible service."


@pytest.fixture
def history(world, say):
    """A week of talk with Acme, one message still waiting, and a scored tone."""
    say("in", at(13, 9), subject="Where is the launch date?", case=world.case)
    say("out", at(13, 11))
    waiting = say("in", at(15, 8), HOSTILE, subject="Still nothing from you", case=world.case)
    for when, value in ((at(5, 9, month=5), 0.8), (at(20, 9, month=5), 0.7)):
        msg = say("in", when)
        Communication.objects.filter(pk=msg.pk).update(tone=value)
    return waiting


def test_home_shows_responsiveness_across_my_clients(as_alice, history):
    html = as_alice.get(reverse("home")).content.decode()
    panel = html[html.index('id="responsiveness"') :]
    assert "Acme Ltd" in panel
    assert "Median reply, 30 days" in panel
    assert "Souring" in panel  # warm in May, neutral and hostile this month
    assert "Globex" not in panel


def test_home_shows_no_panel_without_activity(as_alice):
    assert 'id="responsiveness"' not in as_alice.get(reverse("home")).content.decode()


def test_client_page_shows_the_clocks_and_the_tone(as_alice, world, history):
    html = as_alice.get(reverse("clients:detail", args=[world.acme.pk])).content.decode()
    panel = html[html.index('id="responsiveness"') :]
    assert "Still nothing from you" in panel
    assert "waiting 4h 0m" in panel
    assert "median <strong>2h 0m</strong> over 1 message" in panel
    assert reverse("comms:client_tone", args=[world.acme.pk]) in panel
    assert "Weekly figures" in panel and "<table" in panel


def test_case_page_shows_the_case_clocks(as_bob, world, history):
    html = as_bob.get(reverse("cases:detail", args=[world.case.pk])).content.decode()
    panel = html[html.index('id="responsiveness"') :]
    # Our reply of 13 July came before the case was opened: the case clock still runs.
    assert "Not sent yet: waiting 12h 30m" in panel
    assert "Still nothing from you" in panel
    assert reverse("comms:case_tone", args=[world.case.pk]) in panel


@pytest.mark.parametrize("name", ["client_tone", "case_tone"])
def test_the_tone_picture_is_a_clean_svg(as_alice, world, history, name):
    pk = world.acme.pk if name == "client_tone" else world.case.pk
    response = as_alice.get(reverse(f"comms:{name}", args=[pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    svg = response.content.decode()
    assert svg.startswith("<svg") and "<title>" in svg
    assert "<script" not in svg.lower()
    assert "href" not in svg.lower()
    assert "<?" not in svg and "<!--" not in svg
    assert re.findall(r"(?:https?:)?//[^\s\"'<>)]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "@import" not in svg and "url(" not in svg


def test_an_empty_trend_still_draws(as_alice, world):
    response = as_alice.get(reverse("comms:client_tone", args=[world.acme.pk]))
    assert response.status_code == 200 and b"<script" not in response.content


@pytest.mark.parametrize(
    ("name", "key"), [("client_tone", "acme"), ("case_tone", "case"), ("client_tone", "nope")]
)
def test_an_outsider_gets_404_for_the_pictures(as_carol, world, history, name, key):
    pk = {"acme": world.acme.pk, "case": world.case.pk, "nope": 999999}[key]
    assert as_carol.get(reverse(f"comms:{name}", args=[pk])).status_code == 404


def test_an_outsider_sees_no_acme_on_home(as_carol, world, history):
    html = as_carol.get(reverse("home")).content.decode()
    assert "Acme" not in html


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(reverse("comms:client_tone", args=[world.acme.pk]))
    assert response.status_code == 302


def test_the_pages_keep_the_strict_csp(as_alice, world, history):
    for url in (reverse("home"), reverse("clients:detail", args=[world.acme.pk])):
        response = as_alice.get(url)
        assert "style-src 'self';" in response["Content-Security-Policy"]
        html = response.content.decode()
        start = html.index('id="responsiveness"')
        panel = html[start : html.index("</section>", start)]
        assert "style=" not in panel and "<script" not in panel and "<svg" not in panel
