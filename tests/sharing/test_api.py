"""The sharing API: links (secret shown once), revocation, views, client updates."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlparse

from django.test import Client as HttpClient
from django.utils import timezone

from amends.sharing.models import ShareLink

BASE = "/api/v1"


def _post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_create_list_view_and_revoke(client, world, api_alice):
    r = _post(client, f"{BASE}/cases/{world.case.pk}/share-links", {"label": "Dana"}, api_alice)
    assert r.status_code == 201, r.content
    body = r.json()
    url = urlparse(body["url"]).path
    assert body["state"] == "active" and body["label"] == "Dana"
    assert HttpClient().get(url).status_code == 200
    listed = client.get(f"{BASE}/cases/{world.case.pk}/share-links", **api_alice).json()
    assert listed["count"] == 1 and "url" not in listed["items"][0]
    assert url.split("/")[2] not in json.dumps(listed)
    views = client.get(f"{BASE}/share-links/{body['id']}/views", **api_alice).json()
    assert views["count"] == 1 and views["items"][0]["kind"] == "page"
    r = client.delete(f"{BASE}/share-links/{body['id']}", **api_alice)
    assert r.status_code == 204
    assert HttpClient().get(url).status_code == 404
    listed = client.get(f"{BASE}/cases/{world.case.pk}/share-links", **api_alice).json()
    assert listed["items"][0]["state"] == "revoked"


def test_expiry_is_bounded(client, world, api_alice):
    url = f"{BASE}/cases/{world.case.pk}/share-links"
    too_late = (timezone.now() + timedelta(days=400)).isoformat()
    r = _post(client, url, {"expires_at": too_late}, api_alice)
    assert r.status_code == 422 and "expires_at" in r.json()["error"]["fields"]
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert _post(client, url, {"expires_at": past}, api_alice).status_code == 422
    assert _post(client, url, {"label": "x" * 201}, api_alice).status_code == 422
    assert not ShareLink.objects.exists()


def test_client_updates(client, world, api_alice, link):
    url = f"{BASE}/cases/{world.case.pk}/client-updates"
    assert _post(client, url, {"text": ""}, api_alice).status_code == 422
    r = _post(client, url, {"text": "Staging is fixed."}, api_alice)
    assert r.status_code == 201 and r.json()["by"] == world.alice.pk
    assert client.get(url, **api_alice).json()["count"] == 1
    page = HttpClient().get(f"/share/{link[1]}/").content.decode()
    assert "Staging is fixed." in page


def test_outsiders_get_404(client, world, api_carol, link):
    case = world.case.pk
    assert client.get(f"{BASE}/cases/{case}/share-links", **api_carol).status_code == 404
    assert _post(client, f"{BASE}/cases/{case}/share-links", {}, api_carol).status_code == 404
    assert client.delete(f"{BASE}/share-links/{link[0].pk}", **api_carol).status_code == 404
    assert client.get(f"{BASE}/share-links/{link[0].pk}/views", **api_carol).status_code == 404
    assert client.get(f"{BASE}/cases/{case}/client-updates", **api_carol).status_code == 404
    r = _post(client, f"{BASE}/cases/{case}/client-updates", {"text": "x"}, api_carol)
    assert r.status_code == 404
    link[0].refresh_from_db()
    assert link[0].revoked_at is None


def test_parts_carry_the_for_client_flag(client, world, api_alice):
    url = f"{BASE}/cases/{world.case.pk}/actions"
    r = _post(client, url, {"title": "Call Dana", "for_client": False}, api_alice)
    assert r.status_code == 201 and r.json()["for_client"] is False
    r = _post(client, f"{BASE}/cases/{world.case.pk}/milestones", {"title": "Live"}, api_alice)
    assert r.json()["for_client"] is True
