"""Who may reach which page: anonymous visitors sign in first, outsiders get 404 for
anything of a client they are not on, and team administration is for admins only."""

import pytest
from django.test import Client
from django.urls import reverse

from amends.core.middleware import CSP

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_urls(world, call):
    """Every page of Acme's, GET and POST alike."""
    return [
        reverse("clients:detail", args=[world.acme.pk]),
        reverse("clients:edit", args=[world.acme.pk]),
        reverse("clients:contacts", args=[world.acme.pk]),
        reverse("clients:engagements", args=[world.acme.pk]),
        reverse("clients:timeline", args=[world.acme.pk]),
        reverse("clients:contact_edit", args=[world.contact.pk]),
        reverse("clients:engagement_edit", args=[world.engagement.pk]),
        reverse("comms:for_client", args=[world.acme.pk]),
        reverse("comms:detail", args=[call.pk]),
        reverse("comms:edit", args=[call.pk]),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, acme_urls):
    urls = [
        *acme_urls,
        reverse("home"),
        reverse("clients:list"),
        reverse("accounts:tokens"),
        reverse("accounts:team_admin"),
        reverse("accounts:revoke_token", args=[1]),
        reverse("accounts:set_membership"),
        reverse("accounts:remove_membership"),
        reverse("accounts:create_user"),
        reverse("accounts:set_admin", args=[1]),
        reverse("comms:upcoming_remove", args=[1]),
    ]
    for url in urls:
        for method in (client.get, client.post):
            r = method(url)
            assert r.status_code == 302, (method, url)
            assert r["Location"].startswith("/accounts/login/?next="), url


def test_outsider_gets_not_found_for_every_acme_page_and_post(as_carol, acme_urls):
    for url in acme_urls:
        assert as_carol.get(url).status_code == 404, url
        assert as_carol.post(url, {"name": "x"}).status_code == 404, url


def test_outsider_lists_do_not_mention_acme(as_carol, world, call, inbound):
    for url in (reverse("home"), reverse("clients:list")):
        html = as_carol.get(url).content.decode()
        assert "Acme" not in html
        assert "Launch slipped" not in html
        assert "invoice breakdown" not in html
    html = as_carol.get(reverse("clients:list"), {"q": "Acme"}).content.decode()
    assert "Acme Ltd" not in html and "No client matches" in html
    assert "Globex" in as_carol.get(reverse("clients:list")).content.decode()


def test_team_member_sees_the_client(as_bob, world):
    assert as_bob.get(reverse("clients:detail", args=[world.acme.pk])).status_code == 200


def test_admin_sees_every_client(as_ada, world):
    html = as_ada.get(reverse("clients:list")).content.decode()
    assert "Acme Ltd" in html and "Globex" in html


def test_team_administration_is_not_found_for_non_admins(client, world):
    posts = [
        reverse("accounts:set_membership"),
        reverse("accounts:remove_membership"),
        reverse("accounts:create_user"),
        reverse("accounts:set_admin", args=[world.bob.pk]),
    ]
    for person in (world.alice, world.bob, world.carol):
        client.force_login(person)
        assert client.get(reverse("accounts:team_admin")).status_code == 404
        for url in posts:
            r = client.post(
                url,
                {
                    "client": world.acme.pk,
                    "user": person.pk,
                    "role": "lead",
                    "username": "mallory",
                    "is_admin": "on",
                },
            )
            assert r.status_code == 404, url
    world.alice.refresh_from_db()
    assert not world.alice.is_admin


def test_the_content_security_policy_forbids_inline_script(as_alice, world):
    for url in (reverse("home"), reverse("clients:detail", args=[world.acme.pk]), reverse("login")):
        csp = as_alice.get(url)["Content-Security-Policy"]
        assert csp == CSP
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        style_src = next(p for p in csp.split(";") if p.strip().startswith("style-src"))
        assert "'unsafe-inline'" not in style_src


def test_pages_have_no_inline_script_or_style(as_alice, world, call):
    for url in (
        reverse("home"),
        reverse("clients:list"),
        reverse("clients:detail", args=[world.acme.pk]),
        reverse("comms:detail", args=[call.pk]),
        reverse("accounts:tokens"),
    ):
        html = as_alice.get(url).content.decode()
        assert "<script>" not in html and 'style="' not in html and "hx-on" not in html, url
        assert "<script src=" in html  # only files


def test_a_post_without_the_csrf_token_is_refused(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.alice)
    url = reverse("clients:contacts", args=[world.acme.pk])
    r = browser.post(url, {"contact-name": "Forged"})
    assert r.status_code == 403
    assert "This form has expired" in r.content.decode()
    assert not world.acme.contacts.filter(name="Forged").exists()
    # With the token from the page, the same post goes through.
    browser.get(reverse("clients:detail", args=[world.acme.pk]))
    token = browser.cookies["csrftoken"].value
    r = browser.post(url, {"contact-name": "Genuine", "csrfmiddlewaretoken": token})
    assert r.status_code == 303
    assert world.acme.contacts.filter(name="Genuine").exists()


def test_htmx_posts_carry_the_csrf_token_in_a_header(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.alice)
    html = browser.get(reverse("clients:detail", args=[world.acme.pk])).content.decode()
    token = browser.cookies["csrftoken"].value
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    r = browser.post(
        reverse("clients:contacts", args=[world.acme.pk]),
        {"contact-name": "Via htmx"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert r.status_code == 200
