"""A backup keeps imported mail byte for byte (the raw store is a binary column)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from amends.comms.actions import import_path
from amends.comms.models import EmailMessage, RawMessage
from tests.comms_import import messages as m


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_keep_raw_messages_exactly(world, tmp_path):
    for name in ("outlook.eml", "nul.eml", "apple.eml", "gmail-reply.eml"):
        (tmp_path / name).write_bytes(m.ALL[name])
    import_path(None, tmp_path)
    before = {r.sha256: bytes(r.data) for r in RawMessage.objects.all()}
    threads = sorted(EmailMessage.objects.values_list("message_id", "thread_root__message_id"))
    archive = tmp_path / "backup.zip"
    call_command("backup", str(archive), stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)
    assert not RawMessage.objects.exists()
    call_command("restore", str(archive), stdout=io.StringIO())
    assert {r.sha256: bytes(r.data) for r in RawMessage.objects.all()} == before
    assert set(before.values()) == {
        m.ALL[n] for n in ("outlook.eml", "nul.eml", "apple.eml", "gmail-reply.eml")
    }
    assert (
        sorted(EmailMessage.objects.values_list("message_id", "thread_root__message_id")) == threads
    )
