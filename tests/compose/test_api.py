"""The composer's API: drafts, versions, send, templates, rendering."""

from __future__ import annotations

import json

from amends.compose.models import Draft

BASE = "/api/v1"


def _call(client, headers, method, path, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(BASE + path, **kwargs, **headers)


def test_drafts_are_created_saved_and_versioned(client, world, api_alice):
    r = _call(
        client,
        api_alice,
        "post",
        f"/cases/{world.case.pk}/drafts",
        {"kind": "first_response", "subject": "S", "body": "One"},
    )
    assert r.status_code == 201, r.content
    draft = r.json()
    assert draft["version"] == 1 and draft["status"] == "draft"
    r = _call(client, api_alice, "patch", f"/drafts/{draft['id']}", {"version": 1, "body": "Two"})
    assert r.status_code == 200 and r.json()["body"] == "Two" and r.json()["subject"] == "S"
    stale = _call(
        client, api_alice, "patch", f"/drafts/{draft['id']}", {"version": 1, "body": "Three"}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_edit"
    versions = _call(client, api_alice, "get", f"/drafts/{draft['id']}/versions").json()
    assert versions["count"] == 1 and versions["items"][0]["body"] == "One"
    listed = _call(client, api_alice, "get", f"/cases/{world.case.pk}/drafts").json()
    assert [d["id"] for d in listed["items"]] == [draft["id"]]


def test_an_outsider_gets_404_everywhere(client, world, api_carol, api_alice):
    draft = _call(
        client, api_alice, "post", f"/cases/{world.case.pk}/drafts", {"subject": "S", "body": "One"}
    ).json()
    for method, path, body in [
        ("get", f"/cases/{world.case.pk}/drafts", None),
        ("get", f"/drafts/{draft['id']}", None),
        ("patch", f"/drafts/{draft['id']}", {"version": 1, "body": "x"}),
        ("get", f"/drafts/{draft['id']}/versions", None),
        ("post", f"/drafts/{draft['id']}/send", {"version": 1, "to": ["x@y.example"]}),
        ("post", f"/cases/{world.case.pk}/render/first_response", {}),
    ]:
        r = _call(client, api_carol, method, path, body)
        assert r.status_code == 404, (method, path, r.content)
        assert b"Acme" not in r.content and b"Dana" not in r.content


def test_rendering_fills_out_a_template_with_the_case(client, rich, api_alice):
    r = _call(client, api_alice, "post", f"/cases/{rich.case.pk}/render/full_response", {})
    out = r.json()
    assert r.status_code == 200
    assert "Dear Dana" in out["body"] and "Send the revised launch plan" in out["body"]
    assert "What we will do:" in out["bullets"]
    bad = _call(client, api_alice, "post", f"/cases/{rich.case.pk}/render/nonsense", {})
    assert bad.status_code == 422


def test_only_admins_change_templates(client, world, api_alice, api_ada):
    templates = _call(client, api_alice, "get", "/templates").json()
    assert {t["kind"] for t in templates} >= {"first_response", "budget_note", "handoff_intro"}
    refused = _call(
        client, api_alice, "patch", "/templates/budget_note", {"version": 1, "subject": "x"}
    )
    assert refused.status_code == 403
    hostile = _call(
        client,
        api_ada,
        "patch",
        "/templates/budget_note",
        {"version": 1, "body": "{% include 'base.html' %}"},
    )
    assert hostile.status_code == 422 and "body" in hostile.json()["error"]["fields"]
    ok = _call(
        client,
        api_ada,
        "patch",
        "/templates/budget_note",
        {"version": 1, "subject": "Budget: {{ budget.percentage }}%"},
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2


def test_sending_through_the_api(client, rich, api_alice, smtp_server):
    draft = _call(
        client,
        api_alice,
        "post",
        f"/cases/{rich.case.pk}/drafts",
        {"subject": "The launch", "body": "Dear Dana, sorry for any inconvenience."},
    ).json()
    blocked = _call(
        client,
        api_alice,
        "post",
        f"/drafts/{draft['id']}/send",
        {"version": 1, "to": ["dana@acme.example"]},
    )
    assert blocked.status_code == 422 and not smtp_server.messages
    sent = _call(
        client,
        api_alice,
        "post",
        f"/drafts/{draft['id']}/send",
        {"version": 1, "to": ["dana@acme.example"], "acknowledge": True},
    )
    assert sent.status_code == 200, sent.content
    assert sent.json()["draft"]["status"] == "sent" and sent.json()["communication"]
    assert len(smtp_server.messages) == 1
    assert Draft.objects.get().sent_communication_id == sent.json()["communication"]
    again = _call(
        client,
        api_alice,
        "post",
        f"/drafts/{draft['id']}/send",
        {"version": 1, "to": ["dana@acme.example"], "acknowledge": True},
    )
    assert again.status_code == 422
