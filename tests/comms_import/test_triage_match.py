"""Matching that learns, for the mail already waiting: once a client, a contact or an
email domain is added — or one message is assigned from triage — the messages waiting in
triage that now match are tied to their client, as an import would tie them today."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from amends.cases.actions import open_case
from amends.clients.actions import add_contact, create_client, update_client, update_contact
from amends.clients.models import TimelineEntry
from amends.comms.actions import Matcher, assign_message, import_path, place_batch_in_clients
from amends.comms.models import Communication, EmailMessage
from amends.comms.queries import list_emails, list_unmatched
from amends.comms.triage_actions import TRIAGE_MATCH_JOB, match_waiting
from amends.search.queries import search
from amends.watch.models import Job
from amends.watch.worker import run_one_step
from tests.comms_import import messages as m
from tests.comms_import.test_import import ago, write

pytestmark = pytest.mark.django_db


def _run_jobs() -> None:
    while run_one_step() is not None:
        pass


def _newco_mail(tmp_path):
    """Three messages with Newco, which is no client yet, and one from a stranger."""
    write(
        tmp_path,
        {
            "1.eml": m.simple(
                1,
                sender="Sam New <sam@newco.example>",
                subject="Kick-off",
                body=b"Looking forward to the quarterly roadmap.\n",
            ),
            "2.eml": m.simple(
                2,
                sender="Alice Owner <alice@firm.example>",
                to="sam@newco.example",
                subject="Re: Kick-off",
                extra=b"In-Reply-To: <m1@acme.example>\n",
            ),
            "3.eml": m.simple(3, sender="pat@newco.example", subject="Invoice question"),
            "4.eml": m.simple(4, sender="someone@elsewhere.example", subject="Cold pitch"),
        },
    )
    summary = import_path(None, tmp_path)
    assert summary.unmatched == 4
    assert not Job.objects.filter(kind=TRIAGE_MATCH_JOB).exists()


def _client_of(message_number: int):
    return EmailMessage.objects.get(message_id=f"m{message_number}@acme.example").client


def test_a_new_clients_domain_ties_the_waiting_mail_to_it(world, tmp_path):
    _newco_mail(tmp_path)
    newco = create_client(None, name="Newco", owner=world.alice, email_domains="newco.example")
    assert Job.objects.filter(kind=TRIAGE_MATCH_JOB, status="queued").count() == 1
    _run_jobs()
    assert [_client_of(n) for n in (1, 2, 3, 4)] == [newco, newco, newco, None]
    reply = EmailMessage.objects.get(message_id="m2@acme.example")
    first = EmailMessage.objects.get(message_id="m1@acme.example")
    assert reply.thread_root_id == first.pk  # threaded within the client
    assert (reply.direction, reply.communication.person) == ("out", world.alice)
    assert first.communication.direction == "in"
    assert Communication.objects.filter(client=newco, channel="email").count() == 3
    assert TimelineEntry.objects.filter(client=newco, summary__contains="Kick-off").exists()
    assert [e.subject for e in list_unmatched(world.ada)] == ["Cold pitch"]
    # Found by search, by the client's team only.
    assert search(world.alice, "quarterly roadmap").total == 1
    assert search(world.carol, "quarterly roadmap").total == 0
    assert list(list_emails(world.carol, client=newco)) == []
    job = Job.objects.get(kind=TRIAGE_MATCH_JOB)
    assert job.status == "done"
    assert job.progress_message.startswith("3 messages from triage now match a client")


def test_assigning_one_message_brings_the_senders_other_messages(world, tmp_path):
    _newco_mail(tmp_path)
    first = EmailMessage.objects.get(message_id="m1@acme.example")
    assign_message(world.ada, first, world.globex)  # Sam becomes Globex's contact
    _run_jobs()
    # Sam's thread follows; Pat (same domain, not a contact) and the stranger wait.
    assert [_client_of(n) for n in (1, 2, 3, 4)] == [world.globex, world.globex, None, None]
    reply = EmailMessage.objects.get(message_id="m2@acme.example")
    assert reply.thread_root_id == first.pk
    assert reply.communication.contact.email == "sam@newco.example"


def test_a_contact_added_or_given_an_address_later_matches(world, tmp_path):
    _newco_mail(tmp_path)
    pat = add_contact(world.alice, world.acme, name="Pat")  # no address yet: nothing to match
    assert not Job.objects.filter(kind=TRIAGE_MATCH_JOB).exists()
    update_contact(world.alice, pat, version=pat.version, email="pat@newco.example")
    _run_jobs()
    assert _client_of(3) == world.acme
    assert EmailMessage.objects.get(message_id="m3@acme.example").communication.contact == pat
    add_contact(world.alice, world.acme, name="Sam", email="SAM@newco.example")
    _run_jobs()
    assert [_client_of(n) for n in (1, 2, 4)] == [world.acme, world.acme, None]


def test_a_domain_added_to_a_client_matches(world, tmp_path):
    _newco_mail(tmp_path)
    acme = world.acme
    update_client(world.alice, acme, version=acme.version, name="Acme Group")
    assert not Job.objects.filter(kind=TRIAGE_MATCH_JOB).exists()  # no new domain
    acme.refresh_from_db()
    update_client(
        world.alice, acme, version=acme.version, email_domains="acme.example, newco.example"
    )
    _run_jobs()
    assert [_client_of(n) for n in (1, 2, 3, 4)] == [world.acme, world.acme, world.acme, None]


def test_one_job_waits_at_a_time_and_none_when_triage_is_empty(world, tmp_path):
    add_contact(world.alice, world.acme, name="Early", email="early@acme.example")
    assert not Job.objects.filter(kind=TRIAGE_MATCH_JOB).exists()  # nothing waits
    _newco_mail(tmp_path)
    for name in ("One", "Two", "Three"):
        add_contact(world.alice, world.acme, name=name, email=f"{name.lower()}@acme.example")
    assert Job.objects.filter(kind=TRIAGE_MATCH_JOB).count() == 1
    _run_jobs()
    assert [_client_of(n) for n in (1, 2, 3, 4)] == [None, None, None, None]  # no match
    assert match_waiting() == 0


def test_a_message_assigned_by_hand_is_never_moved(world, tmp_path):
    _newco_mail(tmp_path)
    sam_first = EmailMessage.objects.get(message_id="m1@acme.example")
    assign_message(world.ada, sam_first, world.globex)
    # Newco's domain goes to Acme afterwards: Sam's messages stay Globex's (a contact
    # match comes first), Pat's join Acme.
    acme = world.acme
    update_client(
        world.alice, acme, version=acme.version, email_domains="acme.example, newco.example"
    )
    _run_jobs()
    assert [_client_of(n) for n in (1, 2, 3, 4)] == [world.globex, world.globex, world.acme, None]


def _thread_mail(tmp_path):
    """A thread with Newco (a question, our answer, their follow-up) in which a stranger
    answered too, and someone answered the stranger: all waiting in triage."""
    write(
        tmp_path,
        {
            "1.eml": m.simple(1, sender="sam@newco.example", subject="Roadmap", date=ago(hours=9)),
            "2.eml": m.simple(
                2,
                sender="Alice <alice@firm.example>",
                to="sam@newco.example",
                subject="Re: Roadmap",
                date=ago(hours=8),
                extra=b"In-Reply-To: <m1@acme.example>\nReferences: <m1@acme.example>\n",
            ),
            "3.eml": m.simple(
                3,
                sender="lee@elsewhere.example",
                subject="Re: Roadmap",
                date=ago(hours=7),
                extra=b"In-Reply-To: <m1@acme.example>\nReferences: <m1@acme.example>\n",
            ),
            "4.eml": m.simple(
                4,
                sender="kim@other.example",
                to="lee@elsewhere.example",
                subject="Re: Roadmap",
                date=ago(hours=6),
                extra=b"In-Reply-To: <m3@acme.example>\n"
                b"References: <m1@acme.example> <m3@acme.example>\n",
            ),
            "5.eml": m.simple(
                5,
                sender="sam@newco.example",
                subject="Re: Roadmap",
                date=ago(hours=5),
                extra=b"In-Reply-To: <m2@acme.example>\n"
                b"References: <m1@acme.example> <m2@acme.example>\n",
            ),
            "6.eml": m.simple(
                6,
                sender="lee@elsewhere.example",
                subject="Re: Roadmap",
                date=ago(hours=4),
                extra=b"In-Reply-To: <m2@acme.example>\n"
                b"References: <m1@acme.example> <m2@acme.example>\n",
            ),
        },
    )
    import_path(None, tmp_path)
    roots = {e.message_id: e.thread_root_id for e in EmailMessage.objects.all()}
    first = EmailMessage.objects.get(message_id="m1@acme.example").pk
    assert set(roots.values()) == {first}  # one thread, in triage


def _roots() -> dict[str, str]:
    by_pk = {e.pk: e.message_id for e in EmailMessage.objects.all()}
    return {e.message_id: by_pk[e.thread_root_id] for e in EmailMessage.objects.all()}


@pytest.mark.parametrize("chunk", [500, 1])
def test_a_thread_is_placed_the_same_however_it_is_split(world, tmp_path, monkeypatch, chunk):
    """The job places the waiting mail in chunks: a thread cut across them ends the same.
    The stranger's answers stay in triage: the first with its reply, the second (to a
    message placed in a later chunk) on its own."""
    from amends.comms import triage_actions

    monkeypatch.setattr(triage_actions, "_PLACE_CHUNK", chunk)
    _thread_mail(tmp_path)
    newco = create_client(None, name="Newco", owner=world.alice, email_domains="newco.example")
    case = open_case(
        world.alice, newco, title="Late roadmap", opened_at=timezone.now() - timedelta(hours=10)
    )
    assert match_waiting() == 3
    assert [_client_of(n) for n in (1, 2, 3, 4, 5, 6)] == [newco, newco, None, None, newco, None]
    roots = _roots()
    assert [roots[f"m{n}@acme.example"] for n in (1, 2, 3, 4, 5, 6)] == [
        "m1@acme.example",
        "m1@acme.example",
        "m3@acme.example",
        "m3@acme.example",
        "m1@acme.example",
        "m6@acme.example",
    ]
    # Our answer stopped the case's first-response clock; their mail has a tone.
    ours = EmailMessage.objects.get(message_id="m2@acme.example").communication
    case.refresh_from_db()
    assert case.first_response_at == ours.occurred_at
    theirs = EmailMessage.objects.get(message_id="m5@acme.example").communication
    assert (theirs.direction, ours.direction) == ("in", "out")
    assert theirs.tone is not None and ours.tone is None
    assert TimelineEntry.objects.filter(client=newco, kind="comm.email").count() == 3
    found = search(world.alice, "Roadmap").hits
    assert sorted(h.kind for h in found) == [
        "case",
        "communication",
        "communication",
        "communication",
    ]
    assert search(world.carol, "Roadmap").total == 0


def test_a_message_assigned_meanwhile_is_left_as_it_is(world, tmp_path):
    """Between the job's look at triage and its placing, an admin assigned one of the
    messages: the job leaves it with the admin's client."""
    _newco_mail(tmp_path)
    newco = create_client(None, name="Newco", owner=world.alice, email_domains="newco.example")
    matcher = Matcher()
    waiting = {
        e.pk: matcher.match_addresses(e.from_address, e.to_addresses)
        for e in EmailMessage.objects.filter(message_id__in=["m1@acme.example", "m3@acme.example"])
    }
    third = EmailMessage.objects.get(message_id="m3@acme.example")
    assign_message(world.ada, third, world.globex)
    with transaction.atomic():  # nothing for a client that is gone
        assert place_batch_in_clients(list(waiting.items()), {}, ()) == 0
    with transaction.atomic():
        placed = place_batch_in_clients(list(waiting.items()), {newco.pk: newco}, ())
    assert placed == 1
    assert [_client_of(n) for n in (1, 3)] == [newco, world.globex]
    assert Communication.objects.filter(client=newco).count() == 1


def test_a_chunk_that_fails_is_placed_one_message_at_a_time(world, tmp_path, monkeypatch, caplog):
    from amends.comms import triage_actions

    def broken(*args, **kwargs):
        raise RuntimeError("the batch broke")

    _newco_mail(tmp_path)
    newco = create_client(None, name="Newco", owner=world.alice, email_domains="newco.example")
    monkeypatch.setattr(triage_actions, "place_batch_in_clients", broken)
    assert match_waiting() == 3
    assert [_client_of(n) for n in (1, 2, 3, 4)] == [newco, newco, newco, None]
    reply = EmailMessage.objects.get(message_id="m2@acme.example")
    assert reply.thread_root_id == EmailMessage.objects.get(message_id="m1@acme.example").pk
    assert "trying one at a time" in caplog.text


@pytest.mark.parametrize("how", ["in-chunks", "one-at-a-time", "assigned"])
def test_replies_left_in_triage_are_rooted_in_triage(world, tmp_path, monkeypatch, how):
    """Sam (Newco, no client yet) starts a thread; Lee, at a domain no client has,
    answers twice. Newco's mail goes to a client; Lee's two replies stay in triage as a
    thread of their own, rooted at Lee's first — never at Sam's message, now a client's,
    though it is earlier — whichever way Sam's message was placed."""
    from amends.comms import triage_actions

    write(
        tmp_path,
        {
            "1.eml": m.simple(1, sender="sam@newco.example", date="Mon, 6 Jul 2026 09:00:00 +0000"),
            "2.eml": m.simple(
                2,
                sender="lee@other.example",
                date="Tue, 7 Jul 2026 09:00:00 +0000",
                extra=b"In-Reply-To: <m1@acme.example>\n",
            ),
            "3.eml": m.simple(
                3,
                sender="lee@other.example",
                date="Wed, 8 Jul 2026 09:00:00 +0000",
                extra=b"References: <m1@acme.example> <m2@acme.example>\n"
                b"In-Reply-To: <m2@acme.example>\n",
            ),
        },
    )
    import_path(None, tmp_path)
    by_id = {e.message_id: e for e in EmailMessage.objects.all()}
    sam, lee1, lee2 = (by_id[f"m{i}@acme.example"] for i in (1, 2, 3))
    assert {lee1.thread_root_id, lee2.thread_root_id} == {sam.pk}  # all in triage together
    if how == "assigned":
        assign_message(world.ada, sam, world.globex)
    else:
        if how == "one-at-a-time":

            def refuse(*args, **kwargs):
                raise RuntimeError("placed one at a time instead")

            monkeypatch.setattr(triage_actions, "place_batch_in_clients", refuse)
        update_client(
            world.ada, world.globex, version=world.globex.version, email_domains="newco.example"
        )
        _run_jobs()
    sam.refresh_from_db()
    assert sam.client == world.globex and sam.thread_root_id == sam.pk
    for lee in (lee1, lee2):
        lee.refresh_from_db()
        assert lee.client is None and lee.thread_root_id == lee1.pk
