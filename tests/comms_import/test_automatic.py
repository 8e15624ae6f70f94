"""Mail no person wrote (R1, R33): delivery failures and automatic replies are recorded
as "sent automatically", so they start no reply clock, get no tone, and a bounce is tied
to the client whose address failed, saying which.

The bounces are real: flufl.bounce's test messages, as a hundred mail servers wrote them
(Exim, Postfix, qmail, Exchange, GroupWise, Yahoo, AOL…), fetched by `make test-data`
(scripts/fetch_test_data.py). Mail people wrote (talon's replies from a dozen mail
programs, HyperKitty's and Mailman's list mail) must never be taken for one."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.urls import reverse

from amends.clients.queries import list_timeline
from amends.comms import automatic
from amends.comms.actions import import_path
from amends.comms.clocks import client_responsiveness
from amends.comms.importing import ParsedMessage, open_source, parse_message, read_item
from amends.comms.models import Communication, EmailMessage

MAIL = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "mail"


def corpus(name: str) -> list[tuple[str, ParsedMessage]]:
    folder = MAIL / name
    if not folder.is_dir():
        pytest.skip(f"{name} not fetched: run `make test-data` (scripts/fetch_test_data.py)")
    found = []
    for item in open_source(folder).items:
        item = read_item(item, 10**8)
        parsed = parse_message(item.data) if item.data is not None else None
        if isinstance(parsed, ParsedMessage):
            found.append((item.label.rsplit("/", 1)[-1], parsed))
    return found


def test_real_delivery_failures_are_told_with_the_addresses_that_failed():
    messages = corpus("flufl-bounce")
    assert len(messages) == 117
    kinds = Counter(parsed.automatic for _, parsed in messages)
    assert kinds == {"bounce": 114, "auto-reply": 1, "": 2}
    by_name = {name: parsed for name, parsed in messages}
    # One a person wrote (a reply that only looks like a GroupWise report), and one from
    # Microsoft's gateway that names no address anywhere: left as mail.
    assert by_name["groupwise_03.txt"].automatic == ""
    assert by_name["qmail_08.txt#1"].automatic == "auto-reply"
    assert by_name["simple_38.txt"].undelivered == ["userx@example.com"]
    assert by_name["simple_35.txt"].undelivered == ["calvin@example.com"]  # a delay
    with_addresses = [p for _, p in messages if p.automatic == "bounce" and p.undelivered]
    assert len(with_addresses) > 100
    for parsed in with_addresses:
        assert all("@" in a and a == a.casefold() for a in parsed.undelivered)


@pytest.mark.parametrize(
    "name", ["talon-replies", "hyperkitty", "mailman-email", "mailman-handlers"]
)
def test_mail_people_wrote_is_never_taken_for_a_bounce(name):
    messages = corpus(name)
    assert messages
    assert [n for n, parsed in messages if parsed.automatic] == []


def test_a_real_bounce_among_real_mail_and_nothing_else():
    flagged = [(n, p.automatic, p.undelivered) for n, p in corpus("mail-parser") if p.automatic]
    assert flagged == [("mail_malformed_2", "bounce", ["abh@netpar.com.br"])]


def _message(headers: str, body: str = "Thanks.\n") -> bytes:
    return (headers.strip() + "\n\n" + body).encode()


BASE = (
    "From: Dana Client <dana@acme.example>\nTo: alice@firm.example\n"
    "Date: Tue, 7 Jul 2026 09:00:00 +0000\nMessage-ID: <x@acme.example>\n"
)


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        ("Subject: Automatic reply: Launch\nAuto-Submitted: auto-replied", "auto-reply"),
        ("Subject: Out of office\nAuto-Submitted: auto-generated", "auto-reply"),
        ("Subject: Away\nX-Autoreply: yes", "auto-reply"),
        ("Subject: Away\nX-Autorespond: Away until Monday", "auto-reply"),
        ("Subject: Away\nPrecedence: auto_reply", "auto-reply"),
        ("Subject: Launch\nAuto-Submitted: no", ""),
        ("Subject: Newsletter\nPrecedence: bulk", ""),
        # Outlook asks others not to answer automatically: a person's mail all the same.
        ("Subject: Launch\nX-Auto-Response-Suppress: All", ""),
        # A delivery problem a person writes about is no delivery report.
        ("Subject: Re: Delivery problem with the release", ""),
    ],
)
def test_automatic_replies_are_told_by_their_headers(extra, kind):
    parsed = parse_message(_message(BASE + extra))
    assert isinstance(parsed, ParsedMessage)
    assert (parsed.automatic, parsed.undelivered) == (kind, [])


def test_a_header_quoted_in_the_body_is_not_the_message_s_own():
    body = "Forwarding what I got:\n\nAuto-Submitted: auto-replied\nX-Autoreply: yes\n"
    parsed = parse_message(_message(BASE + "Subject: Fwd: odd", body))
    assert isinstance(parsed, ParsedMessage) and parsed.automatic == ""


ASK = _message(
    """
From: Dana Client <dana@acme.example>
To: Alice Owner <alice@firm.example>
Subject: Where is the launch?
Date: Mon, 6 Jul 2026 09:00:00 +0000
Message-ID: <ask@acme.example>
""",
    "We were promised a launch on the 1st. This is unacceptable and we are furious.\n",
)
REPLY = _message(
    """
From: Alice Owner <alice@firm.example>
To: Dana Client <dana@acme.example>
Subject: Re: Where is the launch?
Date: Mon, 6 Jul 2026 11:00:00 +0000
Message-ID: <reply@firm.example>
In-Reply-To: <ask@acme.example>
""",
    "I am sorry. Here is what happened, and what we will do by Friday.\n",
)
# The client's own mail server (postmaster@acme.example: the client's domain) reports
# that Alice's reply could not be delivered.
BOUNCE = _message(
    """
From: Mail Delivery System <postmaster@acme.example>
To: alice@firm.example
Subject: Undeliverable: Re: Where is the launch?
Date: Mon, 6 Jul 2026 11:01:00 +0000
Message-ID: <bounce@mx.acme.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="REPORT"
""",
    """--REPORT
Content-Type: text/plain

Delivery has failed to these recipients: dana@acme.example
The mailbox is full. This is a fatal error, rejected, failed, terrible.

--REPORT
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example

Final-Recipient: rfc822; dana@acme.example
Action: failed
Status: 5.2.2

--REPORT
Content-Type: text/rfc822-headers

From: Alice Owner <alice@firm.example>
To: Dana Client <dana@acme.example>
Message-ID: <reply@firm.example>
Subject: Re: Where is the launch?

--REPORT--
""",
)
AWAY = _message(
    """
From: Dana Client <dana@acme.example>
To: Alice Owner <alice@firm.example>
Subject: Automatic reply: Re: Where is the launch?
Date: Mon, 6 Jul 2026 11:02:00 +0000
Message-ID: <away@acme.example>
Auto-Submitted: auto-replied
""",
    "I am out of the office until Monday, with no access to email. Terrible timing, sorry.\n",
)
STRANGER_BOUNCE = _message(
    """
From: MAILER-DAEMON@mail.elsewhere.example
To: alice@firm.example
Subject: Mail delivery failed: returning message to sender
Date: Tue, 7 Jul 2026 08:00:00 +0000
Message-ID: <b2@mail.elsewhere.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"
""",
    """--R
Content-Type: text/plain

This message was created automatically by mail delivery software.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.elsewhere.example

Final-Recipient: rfc822; nobody@elsewhere.example
Action: failed
Status: 5.1.1

--R--
""",
)


def _write(folder: Path, **messages: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in messages.items():
        (folder / f"{name}.eml").write_bytes(data)
    return folder


@pytest.mark.django_db
def test_a_bounce_and_an_away_message_start_no_clock_and_sour_no_tone(world, tmp_path):
    folder = _write(tmp_path / "mail", ask=ASK, reply=REPLY, bounce=BOUNCE, away=AWAY)
    summary = import_path(None, folder)
    assert (summary.imported, summary.unmatched, summary.rejected) == (4, 0, [])
    comms = {c.subject: c for c in Communication.objects.filter(client=world.acme, channel="email")}
    bounce = comms["Undeliverable: Re: Where is the launch?"]
    away = comms["Automatic reply: Re: Where is the launch?"]
    assert (bounce.direction, away.direction) == ("auto", "auto")
    assert bounce.tone is None and away.tone is None
    assert bounce.contact == world.contact  # the failed address is Dana's
    assert comms["Where is the launch?"].direction == "in"
    assert comms["Where is the launch?"].tone is not None
    # What came after Dana's message is no one's: only her message waits — again, since
    # the reply of 11:00 was returned (see the next tests).
    clocks = client_responsiveness(world.alice, world.acme, datetime(2026, 7, 8, tzinfo=UTC))
    assert [a.message.subject for a in clocks.awaiting] == ["Where is the launch?"]
    assert clocks.tone.scored == 1
    # On the timeline as "sent automatically", and found by that filter.
    automatic_only = list_timeline(world.alice, client=world.acme, direction="auto")
    assert {e.subject_id for e in automatic_only} == {bounce.pk, away.pk}
    assert "Email sent automatically: Undeliverable" in str(bounce)
    # The report includes the headers of Alice's reply: it joins that reply's thread.
    emails = {e.message_id: e for e in EmailMessage.objects.all()}
    returned = emails["bounce@mx.acme.example"]
    assert returned.in_reply_to == "reply@firm.example"
    assert returned.thread_root_id == emails["ask@acme.example"].pk


@pytest.mark.django_db
def test_the_message_page_says_what_was_not_delivered_and_an_outsider_sees_nothing(
    world, tmp_path, client
):
    import_path(None, _write(tmp_path / "mail", ask=ASK, bounce=BOUNCE, away=AWAY))
    bounce = EmailMessage.objects.get(message_id="bounce@mx.acme.example")
    away = EmailMessage.objects.get(message_id="away@acme.example")
    assert (bounce.automatic, bounce.undelivered) == (automatic.BOUNCE, ["dana@acme.example"])
    assert bounce.in_reply_to == "reply@firm.example"
    client.force_login(world.alice)
    page = client.get(reverse("comms:thread", args=[bounce.pk])).content.decode()
    assert "Not delivered." in page and "dana@acme.example" in page
    away_page = client.get(reverse("comms:thread", args=[away.pk])).content.decode()
    assert "Sent automatically" in away_page and "Not delivered." not in away_page
    client.force_login(world.carol)
    assert client.get(reverse("comms:thread", args=[bounce.pk])).status_code == 404
    assert client.get(reverse("comms:detail", args=[bounce.communication_id])).status_code == 404


@pytest.mark.django_db
def test_a_bounce_about_no_client_waits_in_triage_and_teaches_no_contact(world, tmp_path, client):
    import_path(None, _write(tmp_path / "mail", stranger=STRANGER_BOUNCE))
    waiting = EmailMessage.objects.get(message_id="b2@mail.elsewhere.example")
    assert (waiting.client_id, waiting.direction) == (None, "auto")
    client.force_login(world.ada)
    page = client.get(reverse("comms:triage")).content.decode()
    assert "MAILER-DAEMON@mail.elsewhere.example".lower() in page.lower()
    assert ">automatic</span>" in page
    response = client.post(
        reverse("comms:triage_assign", args=[waiting.pk]), {"client": world.acme.pk}
    )
    assert response.status_code in (302, 303)
    waiting.refresh_from_db()
    assert waiting.client_id == world.acme.pk and waiting.direction == "auto"
    assert not world.acme.contacts.filter(email__icontains="elsewhere").exists()
    assert Communication.objects.get(pk=waiting.communication_id).direction == "auto"


@pytest.mark.django_db
def test_real_bounces_imported_for_a_client_wait_for_nothing(world, tmp_path):
    folder = MAIL / "flufl-bounce"
    if not folder.is_dir():
        pytest.skip("flufl-bounce not fetched: run `make test-data`")
    summary = import_path(None, folder, client=world.acme)
    assert summary.imported == 117 and summary.rejected == []
    directions = Counter(
        Communication.objects.filter(client=world.acme).values_list("direction", flat=True)
    )
    assert directions == {"auto": 115, "in": 2}
    assert not Communication.objects.filter(direction="auto", tone__isnull=False).exists()
    clocks = client_responsiveness(world.alice, world.acme, datetime(2030, 1, 1, tzinfo=UTC))
    assert len(clocks.awaiting) <= 2  # only the two a person wrote


@pytest.mark.django_db
def test_an_email_that_was_not_delivered_needs_attention_until_we_write_again(
    world, tmp_path, client, api_alice, api_carol
):
    import time_machine

    from amends.cases.queries import needs_attention

    with time_machine.travel(datetime(2026, 7, 6, 12, tzinfo=UTC), tick=False):
        import_path(None, _write(tmp_path / "mail", ask=ASK, reply=REPLY, bounce=BOUNCE))
        now = datetime(2026, 7, 7, 9, tzinfo=UTC)
    bounce = EmailMessage.objects.get(message_id="bounce@mx.acme.example")
    assert [m.pk for m in needs_attention(world.alice, now).not_delivered] == [bounce.pk]
    assert needs_attention(world.carol, now).not_delivered == []
    with time_machine.travel(now, tick=False):
        client.force_login(world.alice)
        page = client.get(reverse("home")).content.decode()
        assert "Emails that were not delivered" in page and "dana@acme.example" in page
        client.force_login(world.carol)
        assert "Emails that were not delivered" not in client.get(reverse("home")).content.decode()
        mine = client.get("/api/v1/me/attention", **api_alice).json()["not_delivered"]
        assert [i["subject"] for i in mine] == ["Re: Where is the launch?"]  # what it returns
        assert [(i["email"], i["undelivered"]) for i in mine] == [
            (bounce.pk, ["dana@acme.example"])
        ]
        assert client.get("/api/v1/me/attention", **api_carol).json()["not_delivered"] == []
        email = client.get(f"/api/v1/emails/{bounce.pk}", **api_alice).json()
        assert (email["automatic"], email["undelivered"]) == ("bounce", ["dana@acme.example"])
        assert client.get(f"/api/v1/emails/{bounce.pk}", **api_carol).status_code == 404
    # Two weeks on, or once someone has written to Acme again, it is no longer listed.
    assert needs_attention(world.alice, datetime(2026, 7, 21, 12, tzinfo=UTC)).not_delivered == []
    again = REPLY.replace(b"<reply@firm.example>", b"<again@firm.example>").replace(
        b"Mon, 6 Jul 2026 11:00:00", b"Mon, 6 Jul 2026 15:00:00"
    )
    import_path(None, _write(tmp_path / "later", again=again))
    assert needs_attention(world.alice, now).not_delivered == []


@pytest.mark.django_db
@pytest.mark.parametrize("bounce_first", [False, True], ids=["reply-first", "bounce-first"])
def test_a_reply_mail_servers_returned_is_no_reply(world, tmp_path, bounce_first):
    now = datetime(2026, 7, 7, 9, tzinfo=UTC)
    import_path(None, _write(tmp_path / "ask", ask=ASK))
    first, second = (("bounce", BOUNCE), ("reply", REPLY))
    if not bounce_first:
        first, second = second, first
    import_path(None, _write(tmp_path / "one", **{first[0]: first[1]}))
    import_path(None, _write(tmp_path / "two", **{second[0]: second[1]}))
    reply = Communication.objects.get(subject="Re: Where is the launch?", direction="out")
    assert reply.undelivered and reply.version == 2
    assert not reply.is_reply_to_client
    # Dana's message waits again, and no reply time is counted for it.
    clocks = client_responsiveness(world.alice, world.acme, now)
    assert [a.message.subject for a in clocks.awaiting] == ["Where is the launch?"]
    assert clocks.replies.count == 0


@pytest.mark.django_db
def test_a_reply_returned_from_one_recipient_still_reached_the_other(world, tmp_path, client):
    to_two = REPLY.replace(
        b"To: Dana Client <dana@acme.example>",
        b"To: Dana Client <dana@acme.example>, Pat <pat@acme.example>",
    )
    import_path(None, _write(tmp_path / "mail", ask=ASK, reply=to_two, bounce=BOUNCE))
    reply = Communication.objects.get(subject="Re: Where is the launch?", direction="out")
    assert not reply.undelivered
    clocks = client_responsiveness(world.alice, world.acme, datetime(2026, 7, 7, tzinfo=UTC))
    assert clocks.awaiting == []
    # The page of a reply returned from everyone says so; an outsider sees neither.
    import_path(None, _write(tmp_path / "other", again=REPLY.replace(b"<reply@", b"<r2@")))
    bounced = BOUNCE.replace(b"<reply@firm.example>", b"<r2@firm.example>").replace(
        b"<bounce@", b"<bounce2@"
    )
    import_path(None, _write(tmp_path / "b2", bounce=bounced))
    returned = Communication.objects.get(email__message_id="r2@firm.example")
    assert returned.undelivered
    client.force_login(world.alice)
    page = client.get(reverse("comms:detail", args=[returned.pk])).content.decode()
    assert "not delivered" in page
    timeline = client.get(reverse("clients:timeline", args=[world.acme.pk])).content.decode()
    assert "not delivered" in timeline
    email = EmailMessage.objects.get(message_id="r2@firm.example")
    thread = client.get(reverse("comms:thread", args=[email.pk])).content.decode()
    assert "Mail servers returned this email from every recipient" in thread
    delivered = EmailMessage.objects.get(message_id="reply@firm.example")
    assert (
        "Mail servers returned this email"
        not in client.get(reverse("comms:thread_message", args=[delivered.pk])).content.decode()
    )
    client.force_login(world.carol)
    assert client.get(reverse("comms:detail", args=[returned.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("bounce_first", [False, True], ids=["reply-first", "bounce-first"])
def test_a_returned_first_response_starts_the_case_clock_again(world, tmp_path, bounce_first):
    from amends.cases.actions import open_case
    from amends.cases.models import Case
    from amends.clients.models import TimelineEntry

    case = open_case(
        world.alice,
        world.acme,
        title="The launch slipped",
        opened_at=datetime(2026, 7, 6, 8, tzinfo=UTC),
    )
    import_path(None, _write(tmp_path / "ask", ask=ASK))
    order = [("bounce", BOUNCE), ("reply", REPLY)]
    for name, data in order if bounce_first else order[::-1]:
        import_path(None, _write(tmp_path / name, **{name: data}))
    case = Case.objects.get(pk=case.pk)
    assert case.first_response_at is None  # the reply never arrived: still running
    notes = TimelineEntry.objects.filter(case=case, kind="case.first_response").order_by("pk")
    assert [n.summary for n in notes] == [
        "First response sent: the first-response clock stopped",
        "The first response was returned by mail servers: the first-response clock runs again",
    ]
    # A reply that arrives stops it.
    later = REPLY.replace(b"<reply@firm.example>", b"<later@firm.example>").replace(
        b"Mon, 6 Jul 2026 11:00:00", b"Mon, 6 Jul 2026 14:00:00"
    )
    import_path(None, _write(tmp_path / "later", later=later))
    case = Case.objects.get(pk=case.pk)
    assert case.first_response_at == datetime(2026, 7, 6, 14, tzinfo=UTC)


@pytest.mark.django_db
def test_mail_stored_before_is_told_apart_by_mail_reclassify(world, tmp_path):
    import io

    from django.core.management import call_command

    from amends.comms.models import MessageReference

    # Dana's postmaster copied her on the report; she sends it back, answering it.
    forward = _message(
        """
From: Dana Client <dana@acme.example>
To: Alice Owner <alice@firm.example>
Subject: Fwd: Undeliverable: Re: Where is the launch?
Date: Mon, 6 Jul 2026 12:00:00 +0000
Message-ID: <fwd@acme.example>
In-Reply-To: <bounce@mx.acme.example>
""",
        "Our mail server says your answer never came. Please send it again.\n",
    )
    mail = _write(tmp_path / "mail", ask=ASK, reply=REPLY, bounce=BOUNCE, away=AWAY, fwd=forward)
    import_path(None, mail)
    # As an earlier version stored them: inbound, scored, the bounce with no reference,
    # the root of a thread of its own, with the forward in it.
    old = EmailMessage.objects.filter(
        message_id__in=["bounce@mx.acme.example", "away@acme.example"]
    )
    old.update(automatic="", undelivered=[], direction="in", in_reply_to="")
    bounce_pk = EmailMessage.objects.get(message_id="bounce@mx.acme.example").pk
    EmailMessage.objects.filter(
        message_id__in=["bounce@mx.acme.example", "fwd@acme.example"]
    ).update(thread_root_id=bounce_pk)
    MessageReference.objects.filter(message__message_id="bounce@mx.acme.example").delete()
    Communication.objects.filter(direction="auto").update(direction="in", tone=-0.8)
    Communication.objects.update(undelivered=False)
    now = datetime(2026, 7, 8, tzinfo=UTC)
    waiting = client_responsiveness(world.alice, world.acme, now).awaiting
    assert len(waiting) == 3  # the robots, and Dana's forward
    out = io.StringIO()
    call_command("mail-reclassify", stdout=out)
    assert out.getvalue().strip() == (
        "Looked at 5 email(s): 1 delivery failure(s) and 1 automatic reply now sent "
        "automatically; 1 email(s) of ours marked not delivered."
    )
    bounce = EmailMessage.objects.get(message_id="bounce@mx.acme.example")
    assert (bounce.direction, bounce.automatic, bounce.undelivered) == (
        "auto",
        "bounce",
        ["dana@acme.example"],
    )
    comm = Communication.objects.get(pk=bounce.communication_id)
    assert (comm.direction, comm.tone) == ("auto", None)
    assert str(comm).startswith("Email sent automatically")
    # It answers, and has joined the thread of, the reply it returned.
    ask = EmailMessage.objects.get(message_id="ask@acme.example")
    assert (bounce.in_reply_to, bounce.thread_root_id) == ("reply@firm.example", ask.pk)
    fwd = EmailMessage.objects.get(message_id="fwd@acme.example")
    assert (fwd.client_id, fwd.thread_root_id) == (ask.client_id, ask.pk), fwd.direction
    clocks = client_responsiveness(world.alice, world.acme, now)
    assert [a.message.subject for a in clocks.awaiting] == [
        "Where is the launch?",
        "Fwd: Undeliverable: Re: Where is the launch?",
    ]
    # Run again: nothing left to tell apart.
    out = io.StringIO()
    call_command("mail-reclassify", stdout=out)
    assert out.getvalue().startswith("Looked at 3 email(s): 0 delivery failure(s)")


@pytest.mark.django_db
def test_mail_reclassify_reads_large_batches_a_part_at_a_time(world, tmp_path, monkeypatch):
    from amends.comms import automatic_actions

    import_path(None, _write(tmp_path / "mail", ask=ASK, bounce=BOUNCE, away=AWAY))
    EmailMessage.objects.update(automatic="", direction="in")
    monkeypatch.setattr(automatic_actions, "MAX_BYTES_AT_ONCE", 1)  # a message a part
    reads = []
    real = automatic_actions.RawMessage.objects.filter

    def counted(*args, **kwargs):
        reads.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(automatic_actions.RawMessage.objects, "filter", counted)
    summary = automatic_actions.reclassify_stored_mail(batch_size=10)
    assert (summary.seen, summary.bounces, summary.auto_replies) == (3, 1, 1)
    assert [len(r["pk__in"]) for r in reads] == [1, 1, 1]


def _edit(client, comm: Communication, **changes: str) -> None:
    """Post the communication's edit page as a user would, with `changes`."""
    from zoneinfo import ZoneInfo

    local = comm.occurred_at.astimezone(ZoneInfo(comm.client.timezone))
    data = {
        "channel": comm.channel,
        "direction": comm.direction,
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        "contact": comm.contact_id or "",
        "person": comm.person_id or "",
        "case": comm.case_id or "",
        "subject": comm.subject,
        "summary": comm.summary,
        "recap_of": comm.recap_of_id or "",
        "version": comm.version,
        **changes,
    }
    response = client.post(reverse("comms:edit", args=[comm.pk]), data)
    assert response.status_code == 303, response.content.decode()[:2000]


@pytest.mark.django_db
def test_a_direction_set_by_hand_follows_through(world, tmp_path, client):
    """A user marks a message "sent automatically" (or takes it back) on its edit page:
    the message page's notice, the tone, the timeline entry and the case's first-response
    clock all follow."""
    from amends.cases.actions import open_case
    from amends.cases.models import Case
    from amends.clients.models import TimelineEntry

    case = open_case(
        world.alice, world.acme, title="The launch", opened_at=datetime(2026, 7, 6, 8, tzinfo=UTC)
    )
    import_path(None, _write(tmp_path / "mail", ask=ASK, reply=REPLY))
    ask = Communication.objects.get(subject="Where is the launch?")
    reply = Communication.objects.get(subject="Re: Where is the launch?")
    assert ask.tone is not None and ask.tone < 0
    assert Case.objects.get(pk=case.pk).first_response_at == reply.occurred_at
    client.force_login(world.alice)

    # Alice's reply was in fact her mail program's automatic acknowledgement.
    email = EmailMessage.objects.get(communication=reply)
    page = client.get(reverse("comms:thread", args=[email.pk])).content.decode()
    assert "message-automatic" not in page
    _edit(client, reply, direction="auto")
    email.refresh_from_db()
    assert email.direction == "auto"
    page = client.get(reverse("comms:thread", args=[email.pk])).content.decode()
    assert page.count("message-automatic") == 1 and "Sent automatically" in page
    entry = TimelineEntry.objects.get(
        subject_type="communication", subject_id=reply.pk, kind="comm.email"
    )
    assert entry.summary.startswith("Email sent automatically: Re: Where is the launch?")
    assert Case.objects.get(pk=case.pk).first_response_at is None  # no reply: runs again
    note = TimelineEntry.objects.filter(case=case, kind="case.first_response").latest("pk")
    assert note.summary == (
        "The first response was recorded as “sent automatically”: the first-response clock"
        " runs again"
    )
    clocks = client_responsiveness(world.alice, world.acme, datetime(2026, 7, 8, tzinfo=UTC))
    assert [a.message.subject for a in clocks.awaiting] == ["Where is the launch?"]

    # Dana's message marked automatic: no tone; marked hers again: scored again.
    _edit(client, ask, direction="auto")
    ask.refresh_from_db()
    assert ask.tone is None
    assert EmailMessage.objects.get(communication=ask).direction == "auto"
    _edit(client, ask, direction="in")
    ask.refresh_from_db()
    assert ask.tone is not None and ask.tone < 0
    page = client.get(
        reverse("comms:thread", args=[EmailMessage.objects.get(communication=ask).pk])
    ).content.decode()
    assert page.count("message-automatic") == 1  # the thread's other message, the reply

    # The reply taken back as Alice's: it stops the clock again.
    reply.refresh_from_db()
    _edit(client, reply, direction="out")
    assert Case.objects.get(pk=case.pk).first_response_at == reply.occurred_at
    assert EmailMessage.objects.get(communication=reply).direction == "out"
