"""Email out through a real SMTP server on loopback, and the client's reply back (R1, R23)."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from amends.comms.actions import import_path
from amends.comms.models import Communication, EmailMessage, RawMessage
from amends.comms.queries import awaiting_reply
from amends.core.errors import NotFound, ValidationError
from amends.outbox import mail
from amends.outbox.actions import send_case_email

pytestmark = pytest.mark.django_db


def _send(world, **kw):
    fields = {
        "to": ["dana@acme.example"],
        "subject": "About the launch",
        "text": "Dear Dana,\n\nThank you for raising this.\n.\nA line with a dot.\n",
    }
    fields.update(kw)
    return send_case_email(world.alice, world.case, **fields)


def test_sent_mail_arrives_byte_identical_to_what_is_kept(world, smtp_server):
    comm = _send(world, html="<p>Dear Dana,</p>", attachments=[("plan.txt", "text/plain", b"x")])
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    email = comm.email
    assert got.data == bytes(email.raw.data)
    assert got.rcpt_tos == ["dana@acme.example"]
    assert got.mail_from == "alice@firm.example"
    parsed = message_from_bytes(got.data, policy=default)
    assert parsed["From"] == "Alice Owner <alice@firm.example>"
    assert parsed["Reply-To"] == "Alice Owner <alice@firm.example>"
    assert parsed["Message-ID"].endswith("@amends.test>")
    assert parsed.get_body(("html",)) is not None
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["plan.txt"]
    assert email.direction == "out" and email.client == world.acme
    assert email.thread_root_id == email.pk
    assert comm.case == world.case and comm.direction == "out" and comm.channel == "email"
    assert comm.person == world.alice
    world.case.refresh_from_db()
    assert world.case.first_response_at is not None  # the first-response clock stopped


def _reply_eml(original: EmailMessage, *, style: str) -> bytes:
    when = timezone.now().strftime("%a, %d %b %Y %H:%M:%S +0000")
    refs = " ".join(f"<{r}>" for r in [*original.references, original.message_id])
    if style == "outlook":
        subject = f"RE: {original.subject}"
        quote = (
            "________________________________\r\nFrom: Alice Owner <alice@firm.example>\r\n"
            f"Subject: {original.subject}\r\n\r\nDear Dana,"
        )
        mid = "<AM0PR01MB0001.outlook@acme.example>"
    else:
        subject = f"Re: {original.subject}"
        quote = "On Mon, Alice Owner <alice@firm.example> wrote:\r\n> Dear Dana,"
        mid = "<CAGmail0001@mail.gmail.com>"
    return (
        f"From: Dana Client <dana@acme.example>\r\nTo: Alice Owner <alice@firm.example>\r\n"
        f"Subject: {subject}\r\nDate: {when}\r\nMessage-ID: {mid}\r\n"
        f"In-Reply-To: <{original.message_id}>\r\nReferences: {refs}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Still not happy, I am afraid.\r\n\r\n{quote}\r\n"
    ).encode()


@pytest.mark.parametrize("style", ["outlook", "gmail"])
def test_the_clients_reply_threads_back(world, smtp_server, tmp_path: Path, style):
    comm = _send(world)
    sent = comm.email
    path = tmp_path / "reply.eml"
    later = time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True)
    later.start()
    path.write_bytes(_reply_eml(sent, style=style))
    summary = import_path(world.alice, path, client=world.acme)
    assert summary.imported == 1
    reply = EmailMessage.objects.exclude(pk=sent.pk).get()
    assert reply.thread_root_id == sent.pk
    assert reply.client == world.acme and reply.direction == "in"
    assert reply.communication is not None
    assert reply.communication.client == world.acme
    # It waits for our reply: the awaiting-reply clock runs again.
    waiting = [a.message for a in awaiting_reply(world.alice, timezone.now(), client=world.acme)]
    assert reply.communication in waiting
    # Our answer to the answer carries the whole chain.
    again = _send(world, subject=f"Re: {sent.subject}", in_reply_to=reply)
    out = again.email
    assert out.in_reply_to == reply.message_id
    assert out.references[-1] == reply.message_id and sent.message_id in out.references
    assert out.thread_root_id == sent.pk
    assert reply.communication not in [
        a.message for a in awaiting_reply(world.alice, timezone.now(), client=world.acme)
    ]
    later.stop()


def test_refused_recipient_records_nothing(world, smtp_server):
    smtp_server.refuse = {"dana@acme.example"}
    with pytest.raises(ValidationError, match=r"refused dana@acme\.example"):
        _send(world)
    assert not RawMessage.objects.exists() and not EmailMessage.objects.exists()
    assert not Communication.objects.filter(direction="out").exists()
    assert smtp_server.messages == []
    world.case.refresh_from_db()
    assert world.case.first_response_at is None


def test_one_refused_recipient_sends_to_nobody(world, smtp_server):
    smtp_server.refuse = {"nobody@acme.example"}
    with pytest.raises(ValidationError):
        _send(world, to=["dana@acme.example", "nobody@acme.example"])
    assert smtp_server.messages == [] and not EmailMessage.objects.exists()


def test_smtp_down_records_nothing(world, settings):
    from tests.smtp_support import free_port

    settings.AMENDS_SMTP_HOST = "127.0.0.1"
    settings.AMENDS_SMTP_PORT = free_port()  # nobody listens
    settings.AMENDS_SMTP_SECURITY = "none"
    settings.AMENDS_SMTP_TIMEOUT = 5
    with pytest.raises(ValidationError, match="Cannot reach the SMTP server"):
        _send(world)
    assert (
        not EmailMessage.objects.exists()
        and not Communication.objects.filter(direction="out").exists()
    )


def test_not_configured_is_a_clear_error(world, settings):
    settings.AMENDS_SMTP_HOST = ""
    with pytest.raises(ValidationError, match="AMENDS_SMTP_HOST"):
        _send(world)
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("subject", "Hello\r\nBcc: everyone@evil.example"),
        ("subject", "Hello\nX-Injected: 1"),
        ("to", ["dana@acme.example\r\nBcc: x@evil.example"]),
        ("to", ["not an address"]),
        ("cc", ["x@evil.example\nBcc: y@evil.example"]),
    ],
)
def test_header_injection_is_refused(world, smtp_server, field, value):
    with pytest.raises(ValidationError) as exc:
        _send(world, **{field: value})
    assert field in exc.value.message_dict
    assert smtp_server.messages == [] and not EmailMessage.objects.exists()


def test_attachment_name_injection_is_refused(world, smtp_server):
    with pytest.raises(ValidationError):
        _send(world, attachments=[("a.txt\r\nX-Evil: 1", "text/plain", b"x")])
    with pytest.raises(ValidationError):
        _send(world, attachments=[("a.txt", "text/plain\r\nX-Evil: 1", b"x")])
    assert smtp_server.messages == []


def test_bounded_sizes(world, smtp_server, settings):
    with pytest.raises(ValidationError):
        _send(world, subject="x" * 301)
    with pytest.raises(ValidationError):
        _send(world, text="")
    with pytest.raises(ValidationError):
        _send(world, to=[f"p{i}@acme.example" for i in range(51)])
    settings.AMENDS_MAX_MESSAGE_BYTES = 10_000
    with pytest.raises(ValidationError, match="too large"):
        _send(world, attachments=[("big.bin", "application/octet-stream", b"x" * 20_000)])
    assert smtp_server.messages == []


def test_outsider_cannot_send_from_a_case(world, smtp_server):
    with pytest.raises(NotFound):
        send_case_email(world.carol, world.case, to=["dana@acme.example"], subject="s", text="t")
    assert smtp_server.messages == []


def test_reply_to_another_clients_email_is_refused(world, smtp_server):
    comm = _send(world)
    other = comm.email
    EmailMessage.objects.filter(pk=other.pk).update(client=world.globex)
    other.refresh_from_db()
    with pytest.raises(ValidationError, match="not one of this client"):
        _send(world, in_reply_to=other)


def test_no_sender_address(world, smtp_server, settings):
    world.alice.email = ""
    world.alice.save()
    settings.AMENDS_MAIL_FROM = ""
    with pytest.raises(ValidationError, match="no email address"):
        _send(world)
    settings.AMENDS_MAIL_FROM = "team@firm.example"
    comm = _send(world)
    assert comm.email.from_address == "team@firm.example"


# --- TLS paths (unit: a fake smtplib) -------------------------------------------------


class FakeSMTP:
    calls: list[tuple] = []

    def __init__(self, host, port, timeout=None, context=None):
        FakeSMTP.calls.append(("connect", type(self).__name__, host, port, timeout))

    def ehlo(self):
        FakeSMTP.calls.append(("ehlo",))

    def starttls(self, context=None):
        FakeSMTP.calls.append(("starttls", context is not None))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user, password))

    def mail(self, sender):
        return 250, b"ok"

    def rcpt(self, rcpt):
        return 250, b"ok"

    def data(self, raw):
        FakeSMTP.calls.append(("data", len(raw)))
        return 250, b"ok"

    def rset(self):
        pass

    def quit(self):
        FakeSMTP.calls.append(("quit",))

    def close(self):
        pass


class FakeSSL(FakeSMTP):
    pass


@pytest.mark.parametrize(
    "security,port,expected",
    [
        ("starttls", 0, ("FakeSMTP", 587, True)),
        ("ssl", 0, ("FakeSSL", 465, False)),
        ("none", 0, ("FakeSMTP", 25, False)),
        ("starttls", 2525, ("FakeSMTP", 2525, True)),
    ],
)
def test_security_settings(world, settings, monkeypatch, security, port, expected):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSSL)
    FakeSMTP.calls = []
    settings.AMENDS_SMTP_HOST = "smtp.firm.example"
    settings.AMENDS_SMTP_PORT = port
    settings.AMENDS_SMTP_SECURITY = security
    settings.AMENDS_SMTP_USER = "mailer"
    settings.AMENDS_SMTP_PASSWORD = "s3cret"
    settings.AMENDS_SMTP_TIMEOUT = 7
    _send(world)
    kind, used_port, tls = expected
    assert FakeSMTP.calls[0] == ("connect", kind, "smtp.firm.example", used_port, 7)
    assert (("starttls", True) in FakeSMTP.calls) is tls
    assert ("login", "mailer", "s3cret") in FakeSMTP.calls
    assert FakeSMTP.calls[-1] == ("quit",)


def test_unknown_security_is_refused(world, settings):
    settings.AMENDS_SMTP_HOST = "smtp.firm.example"
    settings.AMENDS_SMTP_SECURITY = "tls-please"
    with pytest.raises(ValidationError, match="none, starttls or ssl"):
        _send(world)


def test_content_type_parsing():
    assert mail.clean_content_type("f", "text/calendar; method=REQUEST") == (
        "text",
        "calendar",
        {"method": "REQUEST"},
    )
    with pytest.raises(ValidationError):
        mail.clean_content_type("f", "text")


def test_outgoing_html_is_sanitised(world, smtp_server):
    hostile = (
        '<p onclick="steal()">Dear Dana,</p><script>alert(1)</script>'
        '<a href="javascript:alert(2)">plan</a><style>p{}</style>'
    )
    _send(world, html=hostile)
    got = message_from_bytes(smtp_server.messages[0].data, policy=default)
    html = got.get_body(("html",)).get_content()
    assert "Dear Dana," in html
    for bad in ("<script", "onclick", "javascript:", "<style", "alert(1)"):
        assert bad not in html
