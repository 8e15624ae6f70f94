"""Property tests against the database: importing any batch twice changes nothing the
second time, and nothing in it stops the batch."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.comms.actions import import_path
from amends.comms.models import Communication, EmailMessage, RawMessage
from tests.comms_import import messages as m

pytestmark = pytest.mark.django_db

senders = st.sampled_from(
    ["dana@acme.example", "alice@firm.example", "x@unknown.example", "broken<@", ""]
)
ids = st.one_of(st.none(), st.integers(0, 8).map(lambda i: f"<p{i}@acme.example>"))
texts = st.binary(max_size=300).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))

email_shaped = st.builds(
    lambda sender, mid, reply, subject, body: (
        b"From: "
        + sender.encode()
        + b"\nTo: dana@acme.example\nSubject: "
        + subject
        + (b"\nMessage-ID: " + mid.encode() if mid else b"")
        + (b"\nIn-Reply-To: " + reply.encode() if reply else b"")
        + b"\nDate: Mon, 6 Jul 2026 09:00:00 +0000\n\n"
        + body
    ),
    senders,
    ids,
    ids,
    texts,
    st.binary(max_size=500),
)
batches = st.lists(
    st.one_of(email_shaped, st.binary(max_size=300), st.sampled_from(list(m.ALL.values()))),
    min_size=1,
    max_size=8,
)


def _counts() -> tuple[int, int, int]:
    return RawMessage.objects.count(), EmailMessage.objects.count(), Communication.objects.count()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=batches)
def test_importing_any_batch_twice_is_idempotent(world, batch):
    with tempfile.TemporaryDirectory() as folder:
        for i, data in enumerate(batch):
            (Path(folder) / f"{i:02d}.eml").write_bytes(data)
        first = import_path(None, folder, batch_size=3)
        assert first.seen == len(batch)
        assert first.imported + first.duplicates + first.rejected_count == len(batch)
        assert not [r for _, r in first.rejected if r.startswith("could not be stored")]
        after_first = _counts()
        second = import_path(None, folder, batch_size=3)
        assert second.imported == 0
        assert second.duplicates == first.imported + first.duplicates
        assert _counts() == after_first


# Export folders: any mix of .eml, .emlx, mbox files (named as exports name them) and
# files that are not mail, at two depths, with arbitrary bytes inside.
SEPARATOR = b"From MAILER-DAEMON Mon Jul  6 09:00:00 2026\n"
names = st.sampled_from(
    ["a.eml", "b.emlx", "Inbox", "Sent.mbox", "mbox", "Info.plist", "Inbox.msf", "notes.txt"]
)
contents = st.one_of(
    email_shaped,
    st.binary(max_size=300),
    st.lists(email_shaped, min_size=1, max_size=3).map(
        lambda mails: b"".join(SEPARATOR + mail + b"\n" for mail in mails)
    ),
    email_shaped.map(lambda mail: str(len(mail)).encode() + b"\n" + mail + b"<plist/>"),
)
trees = st.dictionaries(
    st.tuples(st.sampled_from(["", "Mail/", "Apple/Acme.mbox/"]), names).map("".join),
    contents,
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=trees)
def test_any_export_folder_imports_without_error_and_twice_changes_nothing(world, tree):
    from amends.comms.importing import open_source

    with tempfile.TemporaryDirectory() as folder:
        for name, data in tree.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        total = open_source(folder).total
        first = import_path(None, folder, batch_size=3)
        assert first.seen == total
        assert first.imported + first.duplicates + first.rejected_count == total
        assert not [r for _, r in first.rejected if r.startswith("could not be stored")]
        after_first = _counts()
        second = import_path(None, folder, batch_size=3)
        assert (second.seen, second.imported) == (total, 0)
        assert _counts() == after_first


@given(st.binary(max_size=2000))
def test_unwrapping_any_bytes_as_emlx_never_raises(data):
    from amends.comms.importing import unwrap_emlx

    message, reason = unwrap_emlx(data)
    assert (message is None) == bool(reason)
    if message is not None:
        assert message and message in data


@given(st.binary(min_size=1, max_size=2000), st.binary(max_size=200))
def test_an_emlx_gives_back_its_message_exactly(message, plist):
    from amends.comms.importing import unwrap_emlx

    framed = str(len(message)).ljust(10).encode() + b"\n" + message + plist
    assert unwrap_emlx(framed) == (message, "")
