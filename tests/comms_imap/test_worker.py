"""Due mailboxes are polled by the worker without anyone clicking, once each."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from amends.comms.mailbox_actions import connect_mailbox, enqueue_poll, update_mailbox
from amends.comms.mailbox_jobs import enqueue_due_polls
from amends.comms.mailboxes import POLL_JOB_KIND
from amends.comms.models import EmailMessage, MailboxAccount
from amends.watch.models import Job
from amends.watch.schedule import run_schedules
from amends.watch.worker import run_one_step

from .test_polling import message

pytestmark = pytest.mark.django_db


def polls() -> list[Job]:
    return list(Job.objects.filter(kind=POLL_JOB_KIND).order_by("id"))


def unreachable(world, **extra) -> MailboxAccount:
    fields = {"host": "127.0.0.1", "port": 1, "username": "x", "password": "y"}
    return connect_mailbox(world.alice, client=world.acme, **{**fields, **extra})


def test_the_worker_polls_a_new_mailbox_by_itself(world, trust_dovecot, mail_user):
    trust_dovecot.deliver(mail_user, message(1), message(2))
    connect_mailbox(
        world.alice,
        host=trust_dovecot.host,
        port=trust_dovecot.port,
        username=mail_user.username,
        password=mail_user.password,
        client=world.acme,
    )

    run_schedules(force=True)
    job = run_one_step()

    assert job is not None and job.kind == POLL_JOB_KIND
    job.refresh_from_db()
    assert job.status == "done"
    assert "2 imported" in job.progress_message
    assert EmailMessage.objects.count() == 2
    assert job.client_id == world.acme.pk


def test_a_due_mailbox_is_enqueued_once(world):
    account = unreachable(world)
    now = timezone.now()

    assert enqueue_due_polls(now) == 1
    assert enqueue_due_polls(now) == 0  # already queued
    assert enqueue_due_polls(now + timedelta(hours=1)) == 0  # still queued
    assert len(polls()) == 1
    assert polls()[0].payload == {"mailbox": account.pk}


def test_a_mailbox_is_due_again_after_its_interval(world):
    account = unreachable(world, poll_interval=120)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run_schedules(start, force=True)
        run_one_step(start)  # fails to connect: recorded, next poll in 120 s
    account.refresh_from_db()
    assert account.consecutive_failures == 1
    assert account.next_poll_at == account.last_polled_at + timedelta(seconds=120)
    assert polls()[0].status == "done"

    assert enqueue_due_polls(start + timedelta(seconds=60)) == 0
    assert enqueue_due_polls(account.next_poll_at + timedelta(seconds=1)) == 1


def test_disabled_mailboxes_are_not_polled(world):
    account = unreachable(world)
    update_mailbox(world.alice, account, version=None, enabled=False)
    assert enqueue_due_polls(timezone.now() + timedelta(days=1)) == 0


def test_a_click_while_a_poll_is_queued_returns_that_poll(world):
    account = unreachable(world)
    first = enqueue_poll(world.alice, account)
    second = enqueue_poll(world.alice, MailboxAccount.objects.get(pk=account.pk))
    assert first is not None and second is not None and first.pk == second.pk
    assert enqueue_due_polls(timezone.now() + timedelta(days=1)) == 0


def test_the_scheduler_runs_at_most_every_so_often(world):
    unreachable(world)
    now = timezone.now()
    run_schedules(now, force=True)
    Job.objects.all().delete()
    MailboxAccount.objects.update(next_poll_at=None)
    assert run_schedules(now + timedelta(seconds=1)) == 0
    assert run_schedules(now + timedelta(minutes=5)) == 1


def test_a_removed_mailbox_job_does_nothing(world):
    account = unreachable(world)
    job = enqueue_poll(world.alice, account)
    MailboxAccount.objects.filter(pk=account.pk).delete()
    ran = run_one_step()
    assert ran is not None and ran.pk == job.pk
    ran.refresh_from_db()
    assert ran.status == "done" and "removed or disabled" in ran.progress_message
