"""Setting mail in triage aside as no client's (a newsletter, spam): it leaves the list
and the domains panel, is kept, is never placed by a later match, and comes back when
restored — on the page and through the API, for admins only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amends.clients.actions import add_email_domain
from amends.comms.actions import import_path
from amends.comms.models import EmailMessage
from amends.comms.queries import list_triage, waiting_domains
from amends.comms.triage_actions import dismiss_message, match_waiting, restore_message
from tests.comms_import import messages as m

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def waiting(world, tmp_path):
    """Two newsletters from news.example and a question from newco.example, in triage."""
    for n, sender, subject in [
        (1, "news@news.example", "Weekly digest"),
        (2, "news@news.example", "Another digest"),
        (3, "sam@newco.example", "Kick-off questions"),
    ]:
        (tmp_path / f"{n}.eml").write_bytes(m.simple(n, sender=sender, subject=subject))
    assert import_path(None, tmp_path).unmatched == 3
    return {e.subject: e for e in EmailMessage.objects.all()}


def test_the_page_dismisses_lists_and_restores(world, waiting):
    browser = Client()
    browser.force_login(world.ada)
    digest = waiting["Weekly digest"]
    response = browser.post(reverse("comms:triage_dismiss", args=[digest.pk]))
    assert response.status_code == 303
    page = browser.get(reverse("comms:triage")).content.decode()
    assert f'id="email-{digest.pk}"' not in page and "Another digest" in page
    assert "set aside as no client" in page  # what was done, once
    assert "Dismissed (1)" in page
    listed = browser.get(reverse("comms:triage"), {"dismissed": "1"}).content.decode()
    assert "Weekly digest" in listed and "Kick-off questions" not in listed
    assert "Restore to triage" in listed
    # The panel counts only the mail still waiting.
    counts = {d.domain: d.messages for d in waiting_domains(world.ada)}
    assert counts == {"news.example": 1, "newco.example": 1}
    browser.post(reverse("comms:triage_restore", args=[digest.pk]))
    page = browser.get(reverse("comms:triage")).content.decode()
    assert f'id="email-{digest.pk}"' in page and "Dismissed (" not in page
    # The message itself was kept whole all along.
    assert EmailMessage.objects.count() == 3


def test_a_dismissed_message_is_never_placed_by_a_later_match(world, waiting):
    digest = dismiss_message(world.ada, waiting["Weekly digest"])
    assert digest.dismissed_at is not None
    add_email_domain(world.ada, world.globex, "news.example")
    match_waiting()
    assert EmailMessage.objects.get(pk=digest.pk).client is None
    assert EmailMessage.objects.get(subject="Another digest").client == world.globex
    restore_message(world.ada, digest)
    match_waiting()
    placed = EmailMessage.objects.get(pk=digest.pk)
    assert placed.client == world.globex and placed.dismissed_at is None


def test_reimporting_keeps_a_dismissed_message_dismissed(world, waiting, tmp_path):
    dismiss_message(world.ada, waiting["Weekly digest"])
    assert import_path(None, tmp_path).duplicates == 3
    assert [e.subject for e in list_triage(world.ada, dismissed=True)] == ["Weekly digest"]


def test_assigning_a_dismissed_message_by_hand_takes_it_back(world, waiting, client, api_ada):
    digest = dismiss_message(world.ada, waiting["Weekly digest"])
    response = client.post(
        f"{API}/triage/{digest.pk}/assign",
        data={"client": world.globex.pk},
        content_type="application/json",
        **api_ada,
    )
    assert response.status_code == 200, response.content
    digest.refresh_from_db()
    assert digest.client == world.globex and digest.dismissed_at is None


def test_the_api_dismisses_lists_and_restores(world, waiting, client, api_ada):
    digest = waiting["Weekly digest"]
    response = client.post(f"{API}/triage/{digest.pk}/dismiss", **api_ada)
    assert response.status_code == 200 and response.json()["dismissed_at"]
    again = client.post(f"{API}/triage/{digest.pk}/dismiss", **api_ada)
    assert again.json()["dismissed_at"] == response.json()["dismissed_at"]  # idempotent
    items = client.get(f"{API}/triage", **api_ada).json()["items"]
    assert digest.pk not in [i["id"] for i in items] and len(items) == 2
    items = client.get(f"{API}/triage", {"dismissed": "true"}, **api_ada).json()["items"]
    assert [i["id"] for i in items] == [digest.pk]
    response = client.post(f"{API}/triage/{digest.pk}/restore", **api_ada)
    assert response.status_code == 200 and response.json()["dismissed_at"] is None
    assert len(client.get(f"{API}/triage", **api_ada).json()["items"]) == 3


def test_only_admins_dismiss_and_outsiders_learn_nothing(
    world, waiting, client, api_alice, api_carol
):
    digest = waiting["Weekly digest"]
    for headers in (api_alice, api_carol):
        for action in ("dismiss", "restore"):
            response = client.post(f"{API}/triage/{digest.pk}/{action}", **headers)
            assert response.status_code == 404
        assert client.get(f"{API}/triage", {"dismissed": "true"}, **headers).status_code == 403
    for user in (world.alice, world.carol):
        browser = Client()
        browser.force_login(user)
        for name in ("comms:triage_dismiss", "comms:triage_restore"):
            assert browser.post(reverse(name, args=[digest.pk])).status_code == 404
        assert browser.get(reverse("comms:triage"), {"dismissed": "1"}).status_code == 404
    assert EmailMessage.objects.get(pk=digest.pk).dismissed_at is None
    anonymous = Client()
    response = anonymous.post(reverse("comms:triage_dismiss", args=[digest.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_placed_message_cannot_be_dismissed(world, waiting, client, api_ada):
    question = waiting["Kick-off questions"]
    add_email_domain(world.ada, world.globex, "newco.example")
    match_waiting()
    response = client.post(f"{API}/triage/{question.pk}/dismiss", **api_ada)
    assert response.status_code == 404
    browser = Client()
    browser.force_login(world.ada)
    response = browser.post(reverse("comms:triage_dismiss", args=[question.pk]), follow=True)
    assert "no longer waiting in triage" in response.content.decode()


def test_dismiss_all_the_mail_waiting_at_a_domain(world, waiting, tmp_path, client, api_ada):
    """The domains panel's "Dismiss all": the newsletters go, mail we sent to the list
    too, the rest stays; a public provider or the firm's own domain is refused."""
    from amends.comms.triage_actions import dismiss_domain

    sent = m.simple(9, sender="alice@firm.example", to="list@news.example", subject="Unsubscribe")
    (tmp_path / "9.eml").write_bytes(sent)
    (tmp_path / "10.eml").write_bytes(m.simple(10, sender="jo@gmail.com", subject="Personal"))
    import_path(None, tmp_path)
    browser = Client()
    browser.force_login(world.ada)
    page = browser.get(reverse("comms:triage")).content.decode()
    assert 'aria-label="Dismiss all at news.example"' in page
    assert 'aria-label="Dismiss all at gmail.com"' not in page  # a public provider
    response = browser.post(
        reverse("comms:triage_domain_dismiss"), {"domain": " News.Example "}, follow=True
    )
    assert "3 messages waiting with people at news.example set aside" in response.content.decode()
    waiting_now = {e.subject for e in list_triage(world.ada)}
    assert waiting_now == {"Kick-off questions", "Personal"}
    assert {e.subject for e in list_triage(world.ada, dismissed=True)} == {
        "Weekly digest",
        "Another digest",
        "Unsubscribe",
    }
    for domain, says in [
        ("gmail.com", "public email provider"),
        ("firm.example", "the firm's own domain"),
        ("not a domain", "Give one email domain"),
    ]:
        with pytest.raises(Exception, match=says):
            dismiss_domain(world.ada, domain)
        response = client.post(
            f"{API}/triage/domains/dismiss",
            data={"domain": domain},
            content_type="application/json",
            **api_ada,
        )
        assert response.status_code == 422 and says in response.content.decode()
    response = client.post(
        f"{API}/triage/domains/dismiss",
        data={"domain": "newco.example"},
        content_type="application/json",
        **api_ada,
    )
    assert response.status_code == 200 and response.json() == {"dismissed": 1}
    assert {e.subject for e in list_triage(world.ada)} == {"Personal"}


def test_only_admins_dismiss_a_domain(world, waiting, client, api_alice, api_carol):
    for headers in (api_alice, api_carol):
        response = client.post(
            f"{API}/triage/domains/dismiss",
            data={"domain": "news.example"},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 403
    for user in (world.alice, world.carol):
        browser = Client()
        browser.force_login(user)
        response = browser.post(reverse("comms:triage_domain_dismiss"), {"domain": "news.example"})
        assert response.status_code == 404
    assert not list_triage(world.ada, dismissed=True).exists()
