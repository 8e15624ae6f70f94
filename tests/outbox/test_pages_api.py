"""The outbox pages and API: the team uses them, an outsider gets 404 everywhere."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from django.utils import timezone

from amends.cases.actions import add_to_case
from amends.comms.models import Communication, EmailMessage
from amends.outbox import actions
from amends.outbox.models import Agenda, CallPrep

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _post(client, path, body, headers):
    return client.post(API + path, json.dumps(body), content_type="application/json", **headers)


def _patch(client, path, body, headers):
    return client.patch(API + path, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def things(world):
    checkin = add_to_case(
        world.alice, world.case, "checkin", scheduled_at=timezone.now() + timedelta(days=2)
    )
    call = actions.prepare_call(world.alice, world.case)
    agenda = actions.create_agenda(world.alice, world.case)
    return {"call": call, "agenda": agenda, "checkin": checkin}


def _pages(world, things):
    case, call, agenda = world.case.pk, things["call"].pk, things["agenda"].pk
    return [
        f"/outbox/case/{case}/email/",
        f"/outbox/case/{case}/call/new/",
        f"/outbox/call/{call}/",
        f"/outbox/call/{call}/edit/",
        f"/outbox/case/{case}/agenda/new/",
        f"/outbox/agenda/{agenda}/",
    ]


def test_the_team_sees_every_page(as_alice, world, things):
    for url in _pages(world, things):
        response = as_alice.get(url)
        assert response.status_code == 200, url
        assert b"style=" not in response.content and b"<script>" not in response.content
    sheet = as_alice.get(f"/outbox/call/{things['call'].pk}/").content.decode()
    assert 'media="print"' in sheet and "print.css" in sheet
    assert "We were never told the launch would slip." in sheet
    case_page = as_alice.get(f"/cases/{world.case.pk}/").content.decode()
    assert f"/outbox/call/{things['call'].pk}/" in case_page
    assert f"/outbox/agenda/{things['agenda'].pk}/" in case_page


def test_an_outsider_gets_404_on_every_page(client, world, things):
    client.force_login(world.carol)
    posts = [
        f"/outbox/call/{things['call'].pk}/outcome/",
        f"/outbox/agenda/{things['agenda'].pk}/send/",
    ]
    for url in _pages(world, things):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"outcome": "x"}).status_code == 404, url
    for url in posts:
        assert client.post(url, {"outcome": "x", "to": "x@evil.example"}).status_code == 404
    assert not Communication.objects.filter(channel="call").exists()


def test_anonymous_is_sent_to_log_in(client, world, things):
    for url in _pages(world, things):
        assert client.get(url).status_code == 302


def test_prepare_a_call_and_record_the_outcome_through_the_pages(as_alice, world):
    response = as_alice.get(f"/outbox/case/{world.case.pk}/call/new/")
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "version"}
    data["scheduled_at"] = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data["facts"] = "The launch moved twice."
    response = as_alice.post(f"/outbox/case/{world.case.pk}/call/new/", data)
    assert response.status_code == 303
    call = CallPrep.objects.get()
    assert call.facts == "The launch moved twice."
    response = as_alice.post(f"/outbox/call/{call.pk}/outcome/", {"outcome": "Agreed."})
    assert response.status_code == 303
    call.refresh_from_db()
    assert call.communication is not None and call.recap_draft_id
    assert response["Location"] == f"/compose/draft/{call.recap_draft_id}/"


def test_invalid_call_form_is_422(as_alice, world):
    response = as_alice.post(f"/outbox/case/{world.case.pk}/call/new/", {"scheduled_at": "x"})
    assert response.status_code == 422
    assert not CallPrep.objects.exists()


def test_send_an_email_through_the_page(as_alice, world, smtp_server):
    url = f"/outbox/case/{world.case.pk}/email/"
    response = as_alice.post(
        url, {"to": "dana@acme.example", "subject": "Hello", "text": "Dear Dana"}
    )
    assert response.status_code == 303
    assert len(smtp_server.messages) == 1
    smtp_server.refuse = {"*"}
    response = as_alice.post(
        url, {"to": "dana@acme.example", "subject": "Again", "text": "Dear Dana"}
    )
    assert response.status_code == 422
    assert "refused" in response.content.decode()
    assert EmailMessage.objects.count() == 1


def test_agenda_pages_edit_and_send(as_alice, world, things, smtp_server):
    agenda = things["agenda"]
    response = as_alice.post(
        f"/outbox/agenda/{agenda.pk}/",
        {
            "version": agenda.version,
            "checkin": things["checkin"].pk,
            "duration_minutes": 45,
            "affirmations": "Thanks for the quick feedback",
            "current_state": "s",
            "moving_forward": "m",
            "check_ins": "c",
            "milestones": "ms",
        },
    )
    assert response.status_code == 303
    response = as_alice.post(f"/outbox/agenda/{agenda.pk}/send/", {"to": ""})
    assert response.status_code == 303
    agenda.refresh_from_db()
    assert agenda.sent_at is not None and agenda.duration_minutes == 45
    sent = message_from_bytes(smtp_server.messages[0].data, policy=default)
    assert "Thanks for the quick feedback" in sent.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in sent.iter_attachments()] == ["invitation.ics"]


# --- API --------------------------------------------------------------------------------


def test_api_send_email(client, world, api_alice, smtp_server):
    response = _post(
        client,
        f"/cases/{world.case.pk}/emails",
        {"to": ["dana@acme.example"], "subject": "Hi", "text": "Hello", "html": "<p>Hello</p>"},
        api_alice,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "email" and body["direction"] == "out"
    assert body["case"] == world.case.pk
    assert len(smtp_server.messages) == 1


def test_api_send_without_smtp_is_a_clear_422(client, world, api_alice, settings):
    settings.AMENDS_SMTP_HOST = ""
    response = _post(
        client,
        f"/cases/{world.case.pk}/emails",
        {"to": ["dana@acme.example"], "subject": "Hi", "text": "Hello"},
        api_alice,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert "AMENDS_SMTP_HOST" in response.json()["error"]["message"]


def test_api_header_injection_is_422(client, world, api_alice, smtp_server):
    response = _post(
        client,
        f"/cases/{world.case.pk}/emails",
        {"to": ["dana@acme.example"], "subject": "Hi\r\nBcc: x@evil.example", "text": "Hello"},
        api_alice,
    )
    assert response.status_code == 422
    assert "subject" in response.json()["error"]["fields"]
    assert smtp_server.messages == []


def test_api_calls_and_agendas(client, world, api_alice, things, smtp_server):
    response = _post(client, f"/cases/{world.case.pk}/calls", {}, api_alice)
    assert response.status_code == 201
    call = response.json()
    assert "We were never told" in call["concerns"]
    response = _patch(
        client, f"/calls/{call['id']}", {"version": 1, "choices_made": "We chose X"}, api_alice
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    response = _patch(client, f"/calls/{call['id']}", {"version": 1, "facts": "x"}, api_alice)
    assert response.status_code == 409
    response = _post(
        client,
        f"/calls/{call['id']}/outcome",
        {"outcome": "Agreed", "held_at": (timezone.now() - timedelta(minutes=5)).isoformat()},
        api_alice,
    )
    assert response.status_code == 200
    assert response.json()["communication"] and response.json()["recap_draft"]
    assert client.get(API + f"/cases/{world.case.pk}/calls", **api_alice).json()["count"] == 2
    agenda = things["agenda"]
    response = client.get(API + f"/agendas/{agenda.pk}", **api_alice)
    assert response.status_code == 200 and "1. What is going well" in response.json()["text"]
    response = _post(client, f"/agendas/{agenda.pk}/send", {"to": ["dana@acme.example"]}, api_alice)
    assert response.status_code == 200, response.content
    assert response.json()["sent_at"]
    assert Agenda.objects.get(pk=agenda.pk).sent_communication.direction == "out"


def test_api_outsider_gets_404_everywhere(client, world, api_carol, things, smtp_server):
    call, agenda = things["call"], things["agenda"]
    checks = [
        ("get", f"/cases/{world.case.pk}/calls", None),
        ("get", f"/calls/{call.pk}", None),
        ("get", f"/cases/{world.case.pk}/agendas", None),
        ("get", f"/agendas/{agenda.pk}", None),
        (
            "post",
            f"/cases/{world.case.pk}/emails",
            {"to": ["a@b.example"], "subject": "s", "text": "t"},
        ),
        ("post", f"/cases/{world.case.pk}/calls", {}),
        ("patch", f"/calls/{call.pk}", {"version": 1, "facts": "x"}),
        ("post", f"/calls/{call.pk}/outcome", {"outcome": "x"}),
        ("post", f"/cases/{world.case.pk}/agendas", {}),
        ("patch", f"/agendas/{agenda.pk}", {"version": 1, "milestones": "x"}),
        ("post", f"/agendas/{agenda.pk}/send", {}),
    ]
    for method, path, body in checks:
        if method == "get":
            response = client.get(API + path, **api_carol)
        elif method == "post":
            response = _post(client, path, body, api_carol)
        else:
            response = _patch(client, path, body, api_carol)
        assert response.status_code == 404, (method, path, response.content)
    assert smtp_server.messages == []
