"""GET /clients/{id}/timeline, /cases/{id}/timeline and /timeline, with filters."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.conftest import Api, error_of, ok


@pytest.fixture
def alice(client, api_alice):
    return Api(client, api_alice)


@pytest.fixture
def carol(client, api_carol):
    return Api(client, api_carol)


def comm_ids(body):
    return {e["communication"] for e in body["items"] if e["kind"][:5] == "comm."}


def test_entries_carry_their_communication_email_and_thread(alice, world, record):
    body = ok(alice.get(f"/clients/{world.acme.pk}/timeline", {"limit": 200}))
    by_comm = {e["communication"]: e for e in body["items"] if e["communication"]}
    dana = record.emails["launch-1@acme.example"]
    entry = by_comm[record.dana_email.pk]
    assert entry["email"] == dana.pk and entry["thread"] == (dana.thread_root_id or dana.pk)
    assert entry["channel"] == "email" and entry["direction"] == "in"
    assert entry["contact"] == world.contact.pk
    assert by_comm[record.reply.pk]["thread"] == entry["thread"]
    meeting = by_comm[record.meeting.pk]
    assert meeting["email"] is None and meeting["thread"] is None
    assert meeting["channel"] == "meeting"
    opened = next(e for e in body["items"] if e["kind"] == "case.opened")
    assert opened["communication"] is None and opened["channel"] is None


def test_every_filter_as_a_query_parameter(alice, world, record):
    url = f"/clients/{world.acme.pk}/timeline"
    assert comm_ids(ok(alice.get(url, {"channel": "meeting"}))) == {record.meeting.pk}
    assert comm_ids(ok(alice.get(f"{url}?channel=call&channel=note"))) == {
        record.call.pk,
        record.note.pk,
    }
    assert comm_ids(ok(alice.get(url, {"direction": "internal"}))) == {record.note.pk}
    assert comm_ids(ok(alice.get(url, {"contact": world.contact.pk, "channel": "email"}))) == {
        record.dana_email.pk,
        record.reply.pk,
    }
    assert comm_ids(ok(alice.get(url, {"case": world.case.pk, "direction": "in"}))) == {
        record.call.pk
    }
    # Dates are the client's days (London); moments are exact.
    day = ok(alice.get(url, {"since": "2026-07-06", "until": "2026-07-06", "channel": "email"}))
    assert comm_ids(day) == {record.dana_email.pk, record.reply.pk}
    moment = ok(alice.get(url, {"since": "2026-07-06T00:00:00Z", "until": "2026-07-06T23:59:59Z"}))
    assert comm_ids(moment) == {record.reply.pk, record.invoice.pk}
    case_events = ok(alice.get(url, {"channel": "case", "limit": 200}))["items"]
    assert case_events and all(e["case"] and e["communication"] is None for e in case_events)


def test_the_case_timeline_takes_the_same_filters(alice, world, record):
    url = f"/cases/{world.case.pk}/timeline"
    assert comm_ids(ok(alice.get(url, {"channel": "call"}))) == {record.call.pk}
    assert comm_ids(ok(alice.get(url, {"channel": "email"}))) == set()
    assert ok(alice.get(url, {"direction": "out"}))["count"] == 0
    kinds = {e["kind"] for e in ok(alice.get(url, {"channel": "case"}))["items"]}
    assert "case.opened" in kinds and "comm.call" not in kinds


def test_the_timeline_across_clients(alice, carol, client, api_ada, world, record):
    assert record.globex_email.pk not in comm_ids(ok(alice.get("/timeline", {"limit": 200})))
    assert comm_ids(ok(carol.get("/timeline", {"limit": 200}))) == {record.globex_email.pk}
    ada = Api(client, api_ada)
    both = comm_ids(ok(ada.get("/timeline", {"channel": "email", "limit": 200})))
    assert {record.globex_email.pk, record.dana_email.pk} <= both
    only_acme = comm_ids(ok(ada.get("/timeline", {"client": world.acme.pk, "channel": "email"})))
    assert record.globex_email.pk not in only_acme and record.dana_email.pk in only_acme
    # The whole page is paginated like every list.
    page = ok(alice.get("/timeline", {"limit": 2, "offset": 1}))
    assert len(page["items"]) == 2 and page["count"] > 3


def test_outsiders_get_nothing_of_acme(carol, world, record):
    error_of(
        carol.get(f"/clients/{world.acme.pk}/timeline", {"channel": "email"}), 404, "not_found"
    )
    error_of(carol.get(f"/cases/{world.case.pk}/timeline"), 404, "not_found")
    error_of(carol.get("/timeline", {"client": world.acme.pk}), 404, "not_found")
    error_of(carol.get("/timeline", {"contact": world.contact.pk}), 404, "not_found")
    error_of(carol.get("/timeline", {"case": world.case.pk}), 404, "not_found")
    text = carol.get("/timeline", {"limit": 200}).content.decode()
    assert "Acme" not in text and "launch" not in text.lower()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-02-30"}, "since"),
        ({"until": "0001-01-01"}, "until"),
        ({"since": "2026-07-06T10:00:00"}, "since"),  # no offset
        ({"contact": "abc"}, "contact"),
        ({"case": "0"}, "case"),
        ({"client": str(2**70)}, "client"),
    ],
)
def test_bad_filters_are_422_naming_the_field(alice, params, field, world):
    error = error_of(alice.get("/timeline", params), 422, "invalid")
    assert list(error["fields"]) == [field], error


def test_an_offset_needs_encoding_in_a_query_string(alice, world, record):
    url = f"/api/v1/clients/{world.acme.pk}/timeline?since={quote('2026-07-07T00:00:00+01:00')}"
    assert record.invoice.pk in comm_ids(ok(alice.get(url)))
