"""A mailbox's sent mail, on a real Dovecot: the folder the server marks as Sent is found
(here "Gesendet", a name no list of usual names holds), our replies to the client are
kept — so the clocks know what was answered (R1) — and the rest of our sent mail is not
read into Amends; each folder keeps its own place, and the settings and pages say which
folder is read."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from amends.comms.mailbox_actions import update_mailbox
from amends.comms.mailboxes import ServerSettings, check_connection, poll_mailbox
from amends.comms.models import Communication, EmailMessage, MailboxAccount
from tests.comms_imap.test_polling import account_for, kept, message

pytestmark = pytest.mark.django_db(transaction=False)


def ours(
    n: int, *, to: str = "Dana Client <dana@acme.example>", reply_to: int | None = None
) -> bytes:
    """A message Alice sent (from the firm), optionally answering Dana's message `reply_to`."""
    date = format_datetime(timezone.now() - timedelta(hours=9 - n, minutes=30))
    answering = ""
    if reply_to is not None:
        parent = f"launch-{reply_to}-{hashlib.sha1(b'dana@acme.example').hexdigest()[:6]}"
        answering = f"In-Reply-To: <{parent}@acme.example>\r\n"
    return (
        "From: Alice Owner <alice@firm.example>\r\n"
        f"To: {to}\r\n"
        f"Subject: Re: Launch update {n}\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: <sent-{n}-{hashlib.sha1(to.encode()).hexdigest()[:6]}@firm.example>\r\n"
        f"{answering}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Thanks, we are on it ({n}).\r\n"
    ).encode()


FRIEND = "Sam <sam@elsewhere.example>"


def test_a_message_sent_to_ourselves_with_the_client_in_bcc_is_kept(
    world, trust_dovecot, mail_user
):
    # The sent copy keeps the Bcc line (the server never delivered it to anyone).
    to_the_client = ours(1, to="Alice Owner <alice@firm.example>").replace(
        b"Subject:", b"Bcc: Dana Client <dana@acme.example>\r\nSubject:", 1
    )
    to_a_friend = ours(2, to="Alice Owner <alice@firm.example>").replace(
        b"Subject:", b"Bcc: " + FRIEND.encode() + b"\r\nSubject:", 1
    )
    trust_dovecot.deliver(mail_user, to_the_client, to_a_friend, folder="Gesendet")
    result = poll_mailbox(account_for(world, trust_dovecot, mail_user))
    assert (result.error, result.imported, result.not_for_a_client) == ("", 1, 1)
    email = EmailMessage.objects.get()
    assert kept(to_the_client) == to_the_client
    assert email.bcc_addresses == ["dana@acme.example"]
    assert (email.client_id, email.communication.direction) == (world.acme.pk, "out")


def test_replies_in_the_marked_sent_folder_are_kept_and_the_rest_left_out(
    world, trust_dovecot, mail_user
):
    trust_dovecot.deliver(mail_user, message(1), message(2))
    reply = ours(1, reply_to=1)
    private = ours(2, to=FRIEND)
    trust_dovecot.deliver(mail_user, reply, private, folder="Gesendet")
    account = account_for(world, trust_dovecot, mail_user)

    result = poll_mailbox(account)

    assert (result.error, result.seen, result.imported, result.not_for_a_client) == ("", 4, 3, 1)
    assert "1 sent to nobody a client knows (not kept)" in result.message
    assert kept(reply) == reply
    assert all("sam@elsewhere.example" not in e.to_addresses for e in EmailMessage.objects.all())
    answer = EmailMessage.objects.get(message_id__startswith="sent-1-")
    assert (answer.client_id, answer.direction) == (world.acme.pk, "out")
    assert f"/Gesendet;UIDVALIDITY={account.sent_uidvalidity}/;UID=1" in answer.source
    original = EmailMessage.objects.get(message_id__startswith="launch-1-")
    assert answer.thread_root_id == original.pk  # the reply joins Dana's thread
    assert Communication.objects.filter(client=world.acme, direction="out").count() == 1
    account.refresh_from_db()
    assert (account.sent_folder, account.sent_last_uid, account.last_uid) == ("Gesendet", 2, 2)
    assert account.imported_count == 3

    # The next poll reads only what is new, in each folder.
    again = poll_mailbox(account)
    assert (again.seen, again.imported) == (0, 0)
    later = ours(3, reply_to=2)
    trust_dovecot.deliver(mail_user, later, folder="Gesendet")
    third = poll_mailbox(account)
    assert (third.seen, third.imported) == (1, 1)
    assert kept(later) == later


def test_a_mailbox_for_one_client_keeps_only_the_sent_mail_to_that_client(
    world, trust_dovecot, mail_user
):
    from amends.clients.actions import add_contact

    add_contact(world.carol, world.globex, name="Gus Globex", email="gus@globex.example")
    to_acme = ours(1, to="Team <team@acme.example>")  # Acme's domain, not a contact
    to_globex = ours(2, to="Gus Globex <gus@globex.example>")
    trust_dovecot.deliver(mail_user, to_acme, to_globex, folder="Gesendet")
    account = account_for(world, trust_dovecot, mail_user)  # Acme's mailbox

    result = poll_mailbox(account)

    assert (result.imported, result.not_for_a_client) == (1, 1)
    assert kept(to_acme) == to_acme
    assert EmailMessage.objects.get().client_id == world.acme.pk


def test_sent_mail_is_not_read_when_turned_off_or_absent(world, trust_dovecot, dovecot):
    user = dovecot.new_user()
    trust_dovecot.deliver(user, message(1))
    trust_dovecot.deliver(user, ours(1), folder="Gesendet")
    account = account_for(world, trust_dovecot, user, read_sent=False)
    result = poll_mailbox(account)
    assert (result.seen, result.imported) == (1, 1)
    account.refresh_from_db()
    assert (account.sent_folder, account.sent_last_uid) == ("", 0)

    # A server without a sent folder: the poll succeeds, and the page says what to do.
    bare = dovecot.new_user()
    trust_dovecot.deliver(bare, message(2))
    account = account_for(world, trust_dovecot, bare)
    result = poll_mailbox(account)
    assert (result.error, result.imported) == ("", 1)
    account.refresh_from_db()
    assert account.sent_folder == "" and account.last_error == ""


def test_a_named_sent_folder_is_read_and_a_missing_one_is_a_clear_error(
    world, trust_dovecot, mail_user
):
    trust_dovecot.deliver(mail_user, ours(1), folder="Sent Items")
    trust_dovecot.deliver(mail_user, ours(2), folder="Gesendet")
    account = account_for(world, trust_dovecot, mail_user, sent_folder="Sent Items")
    result = poll_mailbox(account)
    assert (result.error, result.imported) == ("", 1)
    assert EmailMessage.objects.get().message_id.startswith("sent-1-")

    account.refresh_from_db()
    inbox_place = (account.uidvalidity, account.last_uid)
    account = update_mailbox(world.alice, account, version=account.version, sent_folder="Nope")
    assert (account.sent_uidvalidity, account.sent_last_uid) == (None, 0)  # starts over
    assert (account.uidvalidity, account.last_uid) == inbox_place
    result = poll_mailbox(account)
    assert "The folder “Nope” cannot be opened" in result.error
    account.refresh_from_db()
    assert "Nope" in account.last_error and account.consecutive_failures == 1


def test_emptying_the_sent_folder_finds_it_again_and_reads_it_without_duplicates(
    world, trust_dovecot, mail_user
):
    trust_dovecot.deliver(mail_user, message(1))
    trust_dovecot.deliver(mail_user, ours(1), folder="Gesendet")
    account = account_for(world, trust_dovecot, mail_user)
    poll_mailbox(account)
    account.refresh_from_db()
    inbox_place = (account.uidvalidity, account.last_uid)
    assert account.sent_last_uid == 1
    account = update_mailbox(world.alice, account, version=account.version, sent_folder="")
    assert (account.sent_folder, account.sent_uidvalidity, account.sent_last_uid) == ("", None, 0)
    assert (account.uidvalidity, account.last_uid) == inbox_place
    result = poll_mailbox(account)
    assert (result.seen, result.imported, result.duplicates) == (1, 0, 1)
    account.refresh_from_db()
    assert (account.sent_folder, account.sent_last_uid) == ("Gesendet", 1)
    assert EmailMessage.objects.count() == 2


def test_testing_the_connection_says_what_the_sent_folder_holds(trust_dovecot, mail_user):
    trust_dovecot.deliver(mail_user, message(1))
    trust_dovecot.deliver(mail_user, ours(1), ours(2, to=FRIEND), folder="Gesendet")
    server = ServerSettings(
        trust_dovecot.host, trust_dovecot.port, mail_user.username, mail_user.password
    )
    assert check_connection(server) == "Connected: 1 message in INBOX."
    assert check_connection(server, read_sent=True) == (
        "Connected: 1 message in INBOX. Sent mail: 2 messages in Gesendet"
        " (only those to a client are kept)."
    )


def test_the_pages_and_the_api_show_the_sent_folder(
    world, trust_dovecot, mail_user, as_alice, client, api_alice
):
    trust_dovecot.deliver(mail_user, ours(1), folder="Gesendet")
    account = account_for(world, trust_dovecot, mail_user)
    page = as_alice.get(reverse("comms:mailboxes")).content.decode()
    assert "sent mail: found at the first check" in page
    poll_mailbox(account)
    page = as_alice.get(reverse("comms:mailboxes")).content.decode()
    assert 'sent mail from <span class="mono">Gesendet</span> (to clients only)' in page
    form = as_alice.get(reverse("comms:mailbox_edit", args=[account.pk])).content.decode()
    assert 'name="read_sent"' in form and 'value="Gesendet"' in form

    body = client.get(f"/api/v1/mailboxes/{account.pk}", **api_alice).json()
    assert (body["read_sent"], body["sent_folder"], body["sent_last_uid"]) == (True, "Gesendet", 1)
    changed = client.patch(
        f"/api/v1/mailboxes/{account.pk}",
        {"version": body["version"], "read_sent": False},
        content_type="application/json",
        **api_alice,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["read_sent"] is False
    assert MailboxAccount.objects.get(pk=account.pk).read_sent is False
