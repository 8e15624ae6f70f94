"""The API for reading an imported email, linking it and quoting it."""

from __future__ import annotations

import pytest

from amends.cases.models import Concern
from amends.comms.models import Communication
from tests.api.conftest import Api, error_of
from tests.comms_messages import messages as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, api_alice) -> Api:
    return Api(client, api_alice)


@pytest.fixture
def carol(client, api_carol) -> Api:
    return Api(client, api_carol)


def test_read_an_email(alice, store):
    message = store(m.GMAIL_HTML)
    response = alice.get(f"/emails/{message.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["from_address"] == "dana@acme.example"
    assert body["to"] == ["alice@firm.example"]
    assert body["communication"] == message.communication_id
    assert body["new"] == "Thanks for the call. The new date works for us."
    assert body["quoted"].startswith("On Tue, 7 Jul 2026")
    assert body["signature"].startswith("-- ")
    assert "Can we agree" in body["html"]["quoted"]
    assert "Marketing director" in body["html"]["signature"]
    assert body["thread_root"] == message.pk
    assert body["attachments"] == []


def test_hostile_html_is_sanitised_in_the_api_too(alice, store):
    body = alice.get(f"/emails/{store(m.HOSTILE_HTML).pk}").json()
    html = body["html"]["new"]
    for needle in ("<script", "evil.example", "onerror", "javascript:", "<iframe"):
        assert needle not in html
    assert any("remote images not loaded" in p for p in body["problems"])


def test_attachments_are_listed_and_downloaded(alice, store):
    message = store(m.NESTED_WITH_ATTACHMENTS)
    body = alice.get(f"/emails/{message.pk}").json()
    pdf = body["attachments"][2]
    assert pdf["filename"] == "contract.pdf" and pdf["content_type"] == "application/pdf"
    assert pdf["url"] == f"/api/v1/emails/{message.pk}/attachments/2"
    response = alice.get(pdf["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="contract.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF")
    error_of(alice.get(f"/emails/{message.pk}/attachments/4"), 404, "not_found")
    error_of(alice.get(f"/emails/{message.pk}/attachments/-1"), 422, "invalid")


def test_the_thread(alice, store):
    first = store(m.OUTLOOK_HTML)
    second = store(m.GMAIL_HTML)
    body = alice.get(f"/emails/{second.pk}/thread").json()
    assert body["count"] == 2
    assert [e["id"] for e in body["items"]] == [first.pk, second.pk]
    assert {e["thread_root"] for e in body["items"]} == {first.pk}


def test_link_a_thread_to_a_case(alice, world, store):
    first = store(m.OUTLOOK_HTML)
    second = store(m.GMAIL_HTML)
    response = alice.send(
        "POST", f"/emails/{second.pk}/link", {"case": world.case.pk, "whole_thread": True}
    )
    assert response.status_code == 200, response.content
    assert sorted(response.json()["communications"]) == sorted(
        [first.communication_id, second.communication_id]
    )
    assert set(
        Communication.objects.filter(
            pk__in=[first.communication_id, second.communication_id]
        ).values_list("case_id", flat=True)
    ) == {world.case.pk}


def test_link_refuses_cases_of_other_clients_or_unknown(alice, world, store):
    message = store(m.OUTLOOK_HTML)
    for case in (world.other_case.pk, 999_999):
        response = alice.send("POST", f"/emails/{message.pk}/link", {"case": case})
        error_of(response, 422, "invalid")
    assert Communication.objects.get(pk=message.communication_id).case_id is None


def test_concern_from_a_quote(alice, world, store):
    message = store(m.OUTLOOK_HTML)
    response = alice.send(
        "POST",
        f"/emails/{message.pk}/concern",
        {"case": world.case.pk, "quote": "We are still waiting – this is not acceptable."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    concern = Concern.objects.get(pk=body["id"])
    assert concern.communication_id == message.communication_id
    assert concern.source.startswith("Email from Dana Client, 7 Jul 2026 09:30")
    assert body["text"] == "We are still waiting – this is not acceptable."


def test_concern_quote_must_be_in_the_message(alice, world, store):
    message = store(m.OUTLOOK_HTML)
    before = Concern.objects.count()
    for quote in ("You promised a refund.", "", "  ", "x" * 5001, "a\x00b"):
        response = alice.send(
            "POST", f"/emails/{message.pk}/concern", {"case": world.case.pk, "quote": quote}
        )
        assert response.status_code == 422, quote
    assert Concern.objects.count() == before


def test_outsiders_get_404(carol, world, store):
    message = store(m.NESTED_WITH_ATTACHMENTS)
    for path in (
        f"/emails/{message.pk}",
        f"/emails/{message.pk}/thread",
        f"/emails/{message.pk}/attachments/0",
    ):
        error_of(carol.get(path), 404, "not_found")
    error_of(
        carol.send("POST", f"/emails/{message.pk}/link", {"case": world.other_case.pk}),
        404,
        "not_found",
    )
    error_of(
        carol.send(
            "POST",
            f"/emails/{message.pk}/concern",
            {"case": world.other_case.pk, "quote": "See the signed contract attached."},
        ),
        404,
        "not_found",
    )
