"""Polling a live mailbox on a real Dovecot: exact bytes, only what is new, resumable,
UIDVALIDITY, and every failure recorded on the account without crashing anything."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from amends.comms.mailbox_actions import connect_mailbox
from amends.comms.mailboxes import check_connection, decrypt_secret, poll_mailbox
from amends.comms.models import Communication, EmailMessage, MailboxAccount, RawMessage

pytestmark = pytest.mark.django_db(transaction=False)


def message(n: int, *, sender: str = "dana@acme.example", body: bytes = b"") -> bytes:
    date = format_datetime(timezone.now() - timedelta(hours=10 - n))
    return (
        f"From: Dana Client <{sender}>\r\n"
        "To: Alice Owner <alice@firm.example>\r\n"
        f"Subject: Launch update {n}\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: <launch-{n}-{hashlib.sha1(sender.encode()).hexdigest()[:6]}@acme.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Hello, this is message {n}. Caf\u00e9 \u2014 quoted.\r\n".encode()
        + body
    )


def kept(data: bytes) -> bytes:
    return bytes(RawMessage.objects.get(sha256=hashlib.sha256(data).hexdigest()).data)


def account_for(world, dovecot, user, **extra) -> MailboxAccount:
    fields = {
        "host": dovecot.host,
        "port": dovecot.port,
        "username": user.username,
        "password": user.password,
        "client": world.acme,
    }
    fields.update(extra)
    return connect_mailbox(world.alice, **fields)


def test_a_poll_imports_every_message_byte_for_byte(world, trust_dovecot, mail_user):
    sent = [message(1), message(2), message(3)]
    trust_dovecot.deliver(mail_user, *sent)
    account = account_for(world, trust_dovecot, mail_user)

    result = poll_mailbox(account)

    assert (result.error, result.seen, result.imported) == ("", 3, 3)
    for data in sent:
        assert kept(data) == data
    emails = EmailMessage.objects.order_by("subject")
    assert [e.client_id for e in emails] == [world.acme.pk] * 3
    port = trust_dovecot.port
    assert emails[0].source.startswith(f"imap://{mail_user.username}@127.0.0.1:{port}/INBOX;UIDV")
    assert Communication.objects.filter(client=world.acme, channel="email").count() == 3
    account.refresh_from_db()
    assert (account.last_uid, account.imported_count, account.last_error) == (3, 3, "")
    assert account.uidvalidity and account.last_polled_at and account.consecutive_failures == 0
    assert account.next_poll_at == account.last_polled_at + timedelta(seconds=300)


def test_polling_again_imports_nothing_and_a_new_message_alone(world, trust_dovecot, mail_user):
    trust_dovecot.deliver(mail_user, message(1), message(2))
    account = account_for(world, trust_dovecot, mail_user)
    poll_mailbox(account)

    again = poll_mailbox(account)
    assert (again.seen, again.imported) == (0, 0)
    assert EmailMessage.objects.count() == 2

    trust_dovecot.deliver(mail_user, message(3))
    third = poll_mailbox(account)
    assert (third.seen, third.imported, third.duplicates) == (1, 1, 0)
    assert EmailMessage.objects.count() == 3
    account.refresh_from_db()
    assert (account.last_uid, account.imported_count) == (3, 3)


def test_the_server_keeps_the_messages_unread(world, trust_dovecot, mail_user):
    trust_dovecot.deliver(mail_user, message(1))
    poll_mailbox(account_for(world, trust_dovecot, mail_user))
    imap = trust_dovecot.client(mail_user)
    try:
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search("ALL"))
    finally:
        imap.logout()
    assert all(b"\\Seen" not in f for f in flags.values())


def test_an_interrupted_poll_resumes_after_the_last_committed_batch(
    world, trust_dovecot, mail_user, monkeypatch
):
    trust_dovecot.deliver(mail_user, *[message(n) for n in range(1, 6)])
    account = account_for(world, trust_dovecot, mail_user)
    calls = []

    def stop_after_two_batches(result, total):
        calls.append(result.seen)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker is killed mid-poll

    with pytest.raises(KeyboardInterrupt):
        poll_mailbox(account, progress=stop_after_two_batches, batch_size=2)
    account.refresh_from_db()
    assert account.last_uid == 4
    assert EmailMessage.objects.count() == 4

    result = poll_mailbox(account, batch_size=2)
    assert (result.seen, result.imported) == (1, 1)
    assert EmailMessage.objects.count() == 5


def test_a_new_uidvalidity_reads_the_folder_again_without_duplicates(
    world, trust_dovecot, mail_user
):
    trust_dovecot.deliver(mail_user, message(1), message(2), folder="Clients")
    account = account_for(world, trust_dovecot, mail_user, folder="Clients")
    poll_mailbox(account)
    account.refresh_from_db()
    first_validity = account.uidvalidity

    trust_dovecot.recreate_folder(mail_user, "Clients")
    trust_dovecot.deliver(mail_user, message(1), message(2), message(3), folder="Clients")
    result = poll_mailbox(account)

    account.refresh_from_db()
    assert account.uidvalidity != first_validity
    assert (result.seen, result.imported, result.duplicates) == (3, 1, 2)
    assert (account.last_uid, EmailMessage.objects.count()) == (3, 3)


def test_an_oversized_message_is_rejected_with_its_reason(
    world, trust_dovecot, mail_user, settings
):
    settings.AMENDS_MAX_MESSAGE_BYTES = 4000
    big = message(2, body=(b"y" * 76 + b"\r\n") * 80)
    trust_dovecot.deliver(mail_user, message(1), big, message(3))
    account = account_for(world, trust_dovecot, mail_user)

    result = poll_mailbox(account)

    assert (result.seen, result.imported) == (3, 2)
    assert len(result.rejected) == 1
    assert result.rejected[0]["uid"] == 2
    assert "larger than" in result.rejected[0]["reason"]
    account.refresh_from_db()
    assert account.rejected == result.rejected
    assert account.last_uid == 3  # the poll moved past it: it is not fetched again


def test_a_wrong_password_is_recorded_and_the_next_poll_waits_longer(
    world, trust_dovecot, mail_user
):
    account = account_for(world, trust_dovecot, mail_user, password="not-the-password")

    first = poll_mailbox(account)
    account.refresh_from_db()
    assert "refused the user name or password" in first.error
    assert account.last_error == first.error
    assert account.consecutive_failures == 1
    assert account.next_poll_at - account.last_polled_at == timedelta(seconds=300)

    poll_mailbox(account)
    account.refresh_from_db()
    assert account.consecutive_failures == 2
    assert account.next_poll_at - account.last_polled_at == timedelta(seconds=600)
    assert "not-the-password" not in account.last_error


def test_a_self_signed_server_is_refused_without_its_certificate(world, dovecot, mail_user):
    account = account_for(world, dovecot, mail_user)

    result = poll_mailbox(account)

    assert "certificate" in result.error and "AMENDS_IMAP_CA_FILE" in result.error
    account.refresh_from_db()
    assert account.consecutive_failures == 1
    assert EmailMessage.objects.count() == 0


def test_an_admin_may_skip_the_certificate_check(world, dovecot, mail_user):
    dovecot.deliver(mail_user, message(1))
    account = connect_mailbox(
        world.ada,
        host=dovecot.host,
        port=dovecot.port,
        username=mail_user.username,
        password=mail_user.password,
        verify_tls=False,
    )
    result = poll_mailbox(account)
    assert (result.error, result.imported) == ("", 1)


def test_unreachable_servers_are_explained(world, dovecot, mail_user):
    closed = connect_mailbox(
        world.ada, host="127.0.0.1", port=1, username="x", password="y", client=world.acme
    )
    assert "Cannot reach 127.0.0.1:1" in poll_mailbox(closed).error
    unknown = connect_mailbox(
        world.ada, host="no-such-host.invalid", username="x", password="y", client=world.acme
    )
    assert "cannot be found" in poll_mailbox(unknown).error


def test_checking_a_connection_really_logs_in(trust_dovecot, mail_user):
    from amends.comms.mailboxes import MailboxError, ServerSettings

    trust_dovecot.deliver(mail_user, message(1))
    server = ServerSettings(
        trust_dovecot.host, trust_dovecot.port, mail_user.username, mail_user.password
    )
    assert check_connection(server) == "Connected: 1 message in INBOX."
    server.password = "wrong"
    with pytest.raises(MailboxError, match="refused"):
        check_connection(server)
    server.password, server.folder = mail_user.password, "Nope"
    with pytest.raises(MailboxError, match="cannot be opened"):
        check_connection(server)


def test_the_password_is_stored_encrypted(world, dovecot, mail_user, settings):
    account = account_for(world, dovecot, mail_user)
    assert mail_user.password not in account.secret
    assert decrypt_secret(account.secret) == mail_user.password
    settings.AMENDS_MAILBOX_KEY = "another key"
    result = poll_mailbox(account)
    assert "Enter the password again" in result.error


def test_batches_are_bounded_in_bytes_too(world, trust_dovecot, mail_user, monkeypatch):
    from amends.comms import mailboxes

    monkeypatch.setattr(mailboxes, "BATCH_BYTES", 1)  # every message is its own batch
    trust_dovecot.deliver(mail_user, message(1), message(2), message(3))
    batches = []
    result = poll_mailbox(
        account_for(world, trust_dovecot, mail_user),
        progress=lambda r, total: batches.append(r.seen),
    )
    assert (result.imported, batches) == (3, [1, 2, 3])


def test_changing_the_settings_during_a_poll_is_not_undone_by_it(world, trust_dovecot, mail_user):
    from amends.comms.mailbox_actions import update_mailbox

    trust_dovecot.deliver(mail_user, message(1), message(2), message(3))
    account = account_for(world, trust_dovecot, mail_user)

    def edit_after_first_batch(result, total):
        if result.seen == 1:
            update_mailbox(world.alice, MailboxAccount.objects.get(pk=account.pk),
                           version=None, folder="Archive")  # fmt: skip

    result = poll_mailbox(account, progress=edit_after_first_batch, batch_size=1)
    assert result.seen == 2  # the batch under way is kept; then it stops
    fresh = MailboxAccount.objects.get(pk=account.pk)
    assert (fresh.folder, fresh.last_uid, fresh.uidvalidity) == ("Archive", 0, None)


def test_real_world_mail_on_a_real_server_is_polled_whole(world, trust_dovecot, mail_user):
    """The real messages of the fetched corpora (spam, bounces, wrong charsets, a broken
    boundary, replies from a dozen mail programs), put on Dovecot and polled: each one
    imported, kept as the server serves it (lines ending CRLF, as IMAP sends them)."""
    from pathlib import Path

    from amends.comms.outlook import MSG_MAGIC

    data = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "mail"
    files = [
        p
        for name in ("mail-parser", "talon-replies")
        if (data / name).is_dir()
        for p in sorted((data / name).iterdir())
        if p.suffix in ("", ".eml") and not p.name.endswith("_reply_text")
    ]
    if not files:
        pytest.skip("the real-world mail was not fetched: run `make test-data`")
    sent = []
    for path in files:
        raw = path.read_bytes()
        if raw.startswith(MSG_MAGIC):  # an Outlook file, not mail a server holds
            continue
        sent.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    trust_dovecot.deliver(mail_user, *sent)
    account = account_for(world, trust_dovecot, mail_user)
    result = poll_mailbox(account)
    assert len(sent) == 34
    assert (result.error, result.seen, result.imported) == ("", 34, 34)
    for raw in sent:
        # IMAP allows no NUL in a message: Dovecot stores one it is given as 0x80, and
        # serves that (one of these spam messages has two).
        assert kept(raw.replace(b"\x00", b"\x80")) == raw.replace(b"\x00", b"\x80")
    # The one delivery failure among them arrives as such: sent automatically, about
    # the address that failed, waiting for no reply.
    from amends.comms.models import EmailMessage

    bounce = EmailMessage.objects.get(automatic="bounce")
    assert (bounce.direction, bounce.undelivered) == ("auto", ["abh@netpar.com.br"])
    assert EmailMessage.objects.filter(direction="auto").count() == 1
    account.refresh_from_db()
    assert poll_mailbox(account).imported == 0
