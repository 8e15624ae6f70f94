"""The jobs API: progress, filters, retry, and who sees what."""

from __future__ import annotations

import pytest

from amends.watch.actions import claim_next_job, enqueue_job, report_progress
from amends.watch.models import Job
from tests.api.conftest import Api, error_of

from .conftest import make_failed


@pytest.fixture
def running(world) -> Job:
    job = enqueue_job(world.alice, kind="demo.count", client=world.acme, payload={"to": 480})
    job = claim_next_job("w", job.due_at)
    report_progress(job, 120, 480, "Imported 120 of 480 messages")
    return job


@pytest.fixture
def failed(world) -> Job:
    return make_failed(enqueue_job(world.alice, kind="noop", client=world.acme))


def test_a_job_shows_its_progress(client, api_alice, running):
    body = Api(client, api_alice).get(f"/jobs/{running.pk}").json()
    assert body["status"] == "running" and body["kind"] == "demo.count"
    assert body["progress"] == {
        "done": 120,
        "total": 480,
        "percent": 25,
        "message": "Imported 120 of 480 messages",
    }
    assert body["client"] == running.client_id and body["attempts"] == 1


def test_the_list_filters_by_status_and_kind(client, api_alice, running, failed):
    api = Api(client, api_alice)
    assert api.get("/jobs").json()["count"] == 2
    failed_only = api.get("/jobs", {"status": "failed"}).json()
    assert [j["id"] for j in failed_only["items"]] == [failed.pk]
    assert failed_only["items"][0]["last_error"].startswith("RuntimeError")
    assert [j["id"] for j in api.get("/jobs", {"kind": "demo.count"}).json()["items"]] == [
        running.pk
    ]
    error_of(api.get("/jobs", {"status": "sleeping"}), 422, "invalid")


def test_retry_queues_a_failed_job(client, api_alice, failed):
    response = Api(client, api_alice).post(f"/jobs/{failed.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "queued" and response.json()["attempts"] == 0


def test_retry_refuses_a_job_that_has_not_failed(client, api_alice, running):
    body = error_of(Api(client, api_alice).post(f"/jobs/{running.pk}/retry"), 422, "invalid")
    assert "Only a failed job" in body["message"]


def test_an_outsider_gets_404_for_acmes_job(client, api_carol, running, failed):
    api = Api(client, api_carol)
    error_of(api.get(f"/jobs/{running.pk}"), 404, "not_found")
    error_of(api.post(f"/jobs/{failed.pk}/retry"), 404, "not_found")
    assert api.get("/jobs").json() == {"count": 0, "items": []}
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_anonymous_gets_401(client, db):
    for response in (Api(client).get("/jobs"), Api(client).post("/jobs/1/retry")):
        error_of(response, 401, "unauthorized")
