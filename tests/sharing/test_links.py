"""Share links from the team's side and the client's: secret, expiring, revocable,
logged; the same 404 for every dead link; strict headers; feedback with CSRF and a brake."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from amends.clients.models import TimelineEntry
from amends.core.errors import ValidationError
from amends.sharing.actions import (
    FEEDBACK_PER_HOUR,
    create_share_link,
    revoke_share_link,
    truncate_ip,
)
from amends.sharing.models import ClientFeedback, ShareLink, ShareView

from .conftest import form_token, page_url, pdf_url


def test_only_a_digest_is_stored(world, link):
    obj, raw = link
    assert len(raw) >= 43
    assert obj.digest == ShareLink.digest_of(raw) and raw not in obj.digest
    assert not ShareLink.objects.filter(digest=raw).exists()


def test_expiry_is_required_bounded_and_defaults_to_90_days(world):
    link, _ = create_share_link(world.alice, world.case)
    assert timedelta(days=89) < link.expires_at - timezone.now() <= timedelta(days=90)
    with pytest.raises(ValidationError):
        create_share_link(world.alice, world.case, expires_at=timezone.now() - timedelta(1))
    with pytest.raises(ValidationError):
        create_share_link(world.alice, world.case, expires_at=timezone.now() + timedelta(400))
    with pytest.raises(ValidationError):
        create_share_link(world.alice, world.case, label="x" * 201)


def test_the_page_works_with_no_login_and_strict_headers(world, link):
    r = HttpClient().get(page_url(link[1]))
    assert r.status_code == 200
    assert r["Cache-Control"].startswith("no-store")
    assert r["Referrer-Policy"] == "no-referrer"
    assert "noindex" in r["X-Robots-Tag"]
    assert "script-src 'self'" in r["Content-Security-Policy"]
    html = r.content.decode()
    assert "Our plan together: Acme Ltd" in html and "<script" not in html
    assert "style=" not in html
    assert "Your point of contact: <strong>Alice</strong>" in html


def test_pdf_download(world, link):
    r = HttpClient().get(pdf_url(link[1]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert "attachment" in r["Content-Disposition"]
    assert r["Cache-Control"].startswith("no-store") and r["Referrer-Policy"] == "no-referrer"


def test_every_view_is_logged_with_a_truncated_address(world, link):
    c = HttpClient(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 1000)
    c.get(page_url(link[1]))
    c.get(pdf_url(link[1]))
    views = list(ShareView.objects.filter(link=link[0]).order_by("id"))
    assert [v.kind for v in views] == ["page", "pdf"]
    assert views[0].ip == "203.0.113.0/24" and len(views[0].user_agent) == 300
    assert truncate_ip("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert truncate_ip("not an ip") == ""


def _dead_links(world):
    revoked, r1 = create_share_link(world.alice, world.case)
    revoke_share_link(world.alice, revoked)
    _expiring, r2 = create_share_link(
        world.alice, world.case, expires_at=timezone.now() + timedelta(days=1)
    )
    return {"revoked": r1, "expired": r2, "unknown": "A" * 43, "short": "abc"}


def test_dead_links_all_get_the_same_404(world):
    dead = _dead_links(world)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        bodies = set()
        for name, raw in dead.items():
            for url in (page_url(raw), pdf_url(raw)):
                r = HttpClient().get(url)
                assert r.status_code == 404, (name, url)
                assert r["Cache-Control"].startswith("no-store")
                bodies.add(r.content)
            r = HttpClient().post(page_url(raw), {"text": "hello"})
            assert r.status_code == 404
        assert len(bodies) == 1, "an expired, revoked and unknown link must look alike"
    assert not ShareView.objects.exists() and not ClientFeedback.objects.exists()


def test_feedback_needs_no_login_and_lands_on_the_timeline(world, link):
    browser = HttpClient(enforce_csrf_checks=True)
    r = browser.get(page_url(link[1]))
    assert not r.cookies, "the public page sets no cookie"
    token = form_token(browser, link[1])
    r = browser.post(
        page_url(link[1]),
        {"form_token": token, "name": "Dana", "text": "The new dates work for us."},
        HTTP_ORIGIN="null",  # what a browser sends under Referrer-Policy: no-referrer
    )
    assert r.status_code == 303 and "thanks=1" in r["Location"]
    fb = ClientFeedback.objects.get()
    assert fb.case == world.case and fb.name == "Dana" and fb.link == link[0]
    entry = TimelineEntry.objects.filter(case=world.case, kind="client_feedback").get()
    assert "The new dates work for us." in entry.summary and entry.actor is None
    assert "Thank you" in browser.get(r["Location"]).content.decode()


def test_feedback_needs_the_signed_form_token_of_this_link(world, link):
    c = HttpClient()
    _other, other_raw = create_share_link(world.alice, world.case)
    for bad in ["", "forged", form_token(c, other_raw)]:
        r = c.post(page_url(link[1]), {"form_token": bad, "text": "Hello"})
        assert r.status_code == 422 and "nothing was sent" in r.content.decode()
        assert "Hello</textarea>" in r.content.decode()
    good = form_token(c, link[1])
    r = c.post(
        page_url(link[1]), {"form_token": good, "text": "Hi"}, HTTP_ORIGIN="https://evil.example"
    )
    assert r.status_code == 422
    with time_machine.travel(timezone.now() + timedelta(hours=13)):
        r = c.post(page_url(link[1]), {"form_token": good, "text": "Hi"})
        assert r.status_code == 422
    assert not ClientFeedback.objects.exists()


def test_feedback_is_bounded_and_rate_limited(world, link):
    c = HttpClient()
    t = form_token(c, link[1])
    assert c.post(page_url(link[1]), {"form_token": t, "text": ""}).status_code == 422
    assert c.post(page_url(link[1]), {"form_token": t, "text": "x" * 2001}).status_code == 422
    assert c.post(page_url(link[1]), {"form_token": t, "text": "nul\x00"}).status_code in (
        303,
        422,
    )
    ClientFeedback.objects.all().delete()
    for i in range(FEEDBACK_PER_HOUR):
        r = c.post(page_url(link[1]), {"form_token": t, "text": f"note {i}"})
        assert r.status_code == 303
    r = c.post(page_url(link[1]), {"form_token": t, "text": "one too many"})
    assert r.status_code == 429 and "try again later" in r.content.decode()
    assert ClientFeedback.objects.count() == FEEDBACK_PER_HOUR
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert c.post(page_url(link[1]), {"form_token": t, "text": "later"}).status_code == 303


# ------------------------------------------------------------------ the team's side


def test_case_page_shows_the_share_panel(as_alice, world, link):
    html = as_alice.get(reverse("cases:detail", args=[world.case.pk])).content.decode()
    assert "Shared with the client" in html and "Dana at Acme" in html
    assert link[1] not in html


def test_create_shows_the_secret_once_and_revoke_kills_it(as_bob, world):
    r = as_bob.post(
        reverse("sharing:create_link", args=[world.case.pk]), {"label": "Dana", "days": "30"}
    )
    assert r.status_code == 201 and r["Cache-Control"].startswith("no-store")
    url = re.search(r'value="(http[^"]+/share/[^"]+/)"', r.content.decode()).group(1)
    link = ShareLink.objects.get(label="Dana")
    assert timedelta(days=29) < link.expires_at - timezone.now() <= timedelta(days=30)
    assert HttpClient().get(url).status_code == 200
    page = as_bob.get(reverse("sharing:manage", args=[world.case.pk])).content.decode()
    assert url not in page and "Dana" in page
    r = as_bob.post(reverse("sharing:revoke_link", args=[link.pk]))
    assert r.status_code == 303
    assert HttpClient().get(url).status_code == 404
    kinds = set(TimelineEntry.objects.filter(case=world.case).values_list("kind", flat=True))
    assert {"share_link_created", "share_link_revoked"} <= kinds


def test_bad_create_input_is_a_form_error(as_alice, world):
    r = as_alice.post(reverse("sharing:create_link", args=[world.case.pk]), {"days": "9999"})
    assert r.status_code == 422 and not ShareLink.objects.exists()


def test_publish_update_shows_on_the_page(as_alice, world, link):
    url = reverse("sharing:publish_update", args=[world.case.pk])
    assert as_alice.post(url, {"text": ""}).status_code == 422
    assert as_alice.post(url, {"text": "Fix deployed to staging."}).status_code == 303
    assert "Fix deployed to staging." in HttpClient().get(page_url(link[1])).content.decode()


def test_outsiders_get_404_everywhere(as_carol, world, link):
    case = world.case.pk
    assert as_carol.get(reverse("sharing:manage", args=[case])).status_code == 404
    r = as_carol.post(reverse("sharing:create_link", args=[case]), {"days": "30"})
    assert r.status_code == 404
    assert as_carol.post(reverse("sharing:revoke_link", args=[link[0].pk])).status_code == 404
    r = as_carol.post(reverse("sharing:publish_update", args=[case]), {"text": "x"})
    assert r.status_code == 404
    link[0].refresh_from_db()
    assert link[0].revoked_at is None and ShareLink.objects.count() == 1


def test_team_pages_need_a_login(client, world, link):
    r = client.get(reverse("sharing:manage", args=[world.case.pk]))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_the_case_page_forms_carry_show_to_the_client(as_alice, world, link):
    from amends.cases.models import Action
    from tests.web.test_case_support import add_data, edit_data, part_url

    html = as_alice.get(reverse("cases:detail", args=[world.case.pk])).content.decode()
    assert "Show to the client" in html
    r = as_alice.post(part_url("part_add", world, "action"), add_data("action", world))
    assert r.status_code in (200, 303)
    action = Action.objects.get(case=world.case)
    assert action.for_client is True
    assert action.title in HttpClient().get(page_url(link[1])).content.decode()
    data = edit_data(action)
    data.pop(f"action-{action.pk}-for_client")
    r = as_alice.post(part_url("part_edit", world, "action", action.pk), data)
    assert r.status_code in (200, 303)
    action.refresh_from_db()
    assert action.for_client is False
    assert action.title not in HttpClient().get(page_url(link[1])).content.decode()


def test_the_case_page_says_which_items_the_client_does_not_see(world, as_alice):
    """Items are shown to the client by default; the team sees which ones are not."""
    from amends.cases.actions import add_to_case

    due = timezone.now() + timedelta(days=2)
    shown = add_to_case(world.alice, world.case, "commitment", what="Send the plan", due_at=due)
    hidden = add_to_case(
        world.alice, world.case, "commitment", what="Chase the CDN", due_at=due, for_client=False
    )
    concern = add_to_case(world.alice, world.case, "concern", text="The launch slipped")
    html = as_alice.get(reverse("cases:detail", args=[world.case.pk])).content.decode()

    def item(kind: str, pk: int) -> str:
        start = html.index(f'id="{kind}-{pk}"')
        return html[start : html.index("</li>", start)]

    assert "Internal only" in item("commitment", hidden.pk)
    assert "Internal only" not in item("commitment", shown.pk)
    assert "Internal only" not in item("concern", concern.pk)  # concerns have no such choice
