"""The Jobs page: progress, errors, retry, auto-refresh, and who sees what."""

from __future__ import annotations

import pytest
from django.test import Client

from amends.watch.actions import claim_next_job, enqueue_job, report_progress
from amends.watch.models import Job

from .conftest import make_failed

URL = "/jobs/"


@pytest.fixture
def running(world) -> Job:
    """An import on Acme's account, halfway through."""
    job = enqueue_job(world.alice, kind="demo.count", client=world.acme)
    job = claim_next_job("w", job.due_at)
    report_progress(job, 120, 480, "Imported 120 of 480 messages")
    return job


@pytest.fixture
def failed(world) -> Job:
    return make_failed(enqueue_job(world.alice, kind="noop", client=world.acme))


def test_the_page_shows_progress_and_polls_while_a_job_runs(as_bob, running):
    response = as_bob.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Imported 120 of 480 messages" in html and "120 / 480" in html
    assert 'hx-trigger="every 3s"' in html and "Acme Ltd" in html
    assert 'aria-current="page">Jobs</a>' in html


def test_htmx_polls_get_just_the_list(as_bob, running):
    response = as_bob.get(URL, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith("<section") and "<html" not in html
    assert "Imported 120 of 480 messages" in html


def test_polling_stops_when_nothing_is_queued_or_running(as_alice, failed):
    html = as_alice.get(URL).content.decode()
    assert "hx-trigger" not in html
    assert "RuntimeError: the mailbox refused the password" in html
    assert f'action="/jobs/{failed.pk}/retry/"' in html


def test_the_status_filter(as_alice, running, failed):
    html = as_alice.get(URL, {"status": "failed"}).content.decode()
    assert "mailbox refused" in html and "Imported 120" not in html


def test_retry_queues_the_failed_job_again(as_alice, failed):
    response = as_alice.post(f"/jobs/{failed.pk}/retry/")
    assert response.status_code == 303 and response["Location"] == URL
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.attempts == 0
    assert "will run again" in as_alice.get(URL).content.decode()


def test_retrying_a_job_that_has_not_failed_says_why(as_alice, running):
    as_alice.post(f"/jobs/{running.pk}/retry/")
    assert "Only a failed job can be retried" in as_alice.get(URL).content.decode()
    running.refresh_from_db()
    assert running.status == "running"


def test_retry_needs_a_csrf_token(world, failed):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.alice)
    response = browser.post(f"/jobs/{failed.pk}/retry/")
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_retry_is_post_only(as_alice, failed):
    assert as_alice.get(f"/jobs/{failed.pk}/retry/").status_code == 405


def test_an_outsider_sees_none_of_acmes_jobs(as_carol, running, failed):
    html = as_carol.get(URL).content.decode()
    assert "Acme" not in html and "Imported 120" not in html and "mailbox refused" not in html
    assert "No background jobs" in html


def test_an_outsider_cannot_retry_acmes_job(as_carol, failed):
    assert as_carol.post(f"/jobs/{failed.pk}/retry/").status_code == 404
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_a_job_without_a_client_is_seen_by_its_creator_and_admins_only(client, world):
    job = enqueue_job(world.carol, kind="sleep", payload={"seconds": 0})
    make_failed(job, "ValueError: Carol's private trouble")
    for user, sees in ((world.carol, True), (world.ada, True), (world.alice, False)):
        client.force_login(user)
        assert ("Carol&#x27;s private trouble" in client.get(URL).content.decode()) is sees
        status = client.post(f"/jobs/{job.pk}/retry/").status_code
        assert status == (303 if sees else 404)
        make_failed(job, "ValueError: Carol's private trouble")


def test_admins_see_every_job(as_ada, running):
    assert "Imported 120 of 480 messages" in as_ada.get(URL).content.decode()


@pytest.mark.parametrize(
    "method,path", [("get", URL), ("post", "/jobs/1/retry/")], ids=["list", "retry"]
)
def test_anonymous_visitors_are_sent_to_log_in(client, db, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
