"""A backup keeps a mailbox, with its password encrypted, never in clear."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command

from amends.comms.mailbox_actions import connect_mailbox
from amends.comms.mailboxes import decrypt_secret
from amends.comms.models import MailboxAccount

SECRET = "Backup-Secret-Passw0rd"


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_the_password_only_encrypted(world, tmp_path):
    account = connect_mailbox(
        world.alice, host="imap.firm.example", username="alice", password=SECRET, client=world.acme
    )
    archive = tmp_path / "backup.zip"
    call_command("backup", str(archive), stdout=io.StringIO())
    with zipfile.ZipFile(archive) as z:
        everything = b"".join(z.read(name) for name in z.namelist())
    assert SECRET.encode() not in everything
    assert account.secret.encode() in everything

    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(archive), stdout=io.StringIO())
    restored = MailboxAccount.objects.get(pk=account.pk)
    assert decrypt_secret(restored.secret) == SECRET
