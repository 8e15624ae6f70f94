"""Threads do not depend on the import order (issue 3: threading by Message-ID,
In-Reply-To and References, the thread root kept). Random conversations — replies to
replies, links never imported, References trimmed to In-Reply-To, replies dated before
what they answer, two clients — are imported in two random orders, in batches of random
size or one message at a time. Both give the threads an independent oracle gives: the
messages linked by their headers within a client, each thread rooted at its earliest
message."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.clients.models import Contact
from amends.comms.actions import Matcher, import_path, store_parsed_message
from amends.comms.importing import parse_message
from amends.comms.models import Communication, EmailMessage, MessageReference, RawMessage
from amends.search.models import SearchDocument

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
SENDERS = ("dana@acme.example", "g@globex.example")


@st.composite
def conversations(draw: st.DrawFn) -> list[dict]:
    """Messages 0..n-1: each answers an earlier one or none; some are never imported
    (their replies still name them); dates all distinct, in any order."""
    n = draw(st.integers(2, 9))
    hours = draw(st.permutations(range(n)))
    out: list[dict] = []
    for i in range(n):
        parent = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        chain: list[int] = []
        while parent is not None:
            chain.insert(0, parent)
            parent = out[parent]["parent"]
        out.append(
            {
                "parent": chain[-1] if chain else None,
                "references": chain if draw(st.booleans()) else chain[-1:],
                "at": BASE + timedelta(hours=hours[i]),
                "sender": SENDERS[draw(st.integers(0, 1))],
                "imported": draw(st.integers(0, 4)) > 0,  # one in five never arrives
            }
        )
    return out


def _raw(i: int, message: dict) -> bytes:
    refs = " ".join(f"<c{r}@conv.example>" for r in message["references"])
    head = (
        f"From: {message['sender']}\nTo: alice@firm.example\nSubject: Message {i}\n"
        f"Date: {format_datetime(message['at'])}\nMessage-ID: <c{i}@conv.example>\n"
    )
    if message["parent"] is not None:
        head += f"In-Reply-To: <c{message['parent']}@conv.example>\nReferences: {refs}\n"
    return (head + "\nHello.\n").encode()


def _expected(conversation: list[dict]) -> dict[str, str]:
    """The oracle: union the imported messages each message names (same sender's
    client), then each group's earliest message is everyone's root."""
    here = {i for i, c in enumerate(conversation) if c["imported"]}
    group = {i: i for i in here}

    def find(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in here:
        for ref in conversation[i]["references"]:
            if ref in here and conversation[ref]["sender"] == conversation[i]["sender"]:
                group[find(ref)] = find(i)
    members: dict[int, list[int]] = {}
    for i in here:
        members.setdefault(find(i), []).append(i)
    out = {}
    for ids in members.values():
        first = min(ids, key=lambda i: conversation[i]["at"])
        out.update({f"c{i}@conv.example": f"c{first}@conv.example" for i in ids})
    return out


def _threads() -> dict[str, str]:
    mid = dict(EmailMessage.objects.values_list("pk", "message_id"))
    return {
        m: mid[root] for m, root in EmailMessage.objects.values_list("message_id", "thread_root")
    }


def _wipe() -> None:
    SearchDocument.objects.filter(kind="communication").delete()
    MessageReference.objects.all().delete()
    EmailMessage.objects.all().delete()
    RawMessage.objects.all().delete()
    Communication.objects.all().delete()


def _import(files: list[Path], batch: int | None) -> None:
    if batch is None:
        matcher = Matcher()
        for path in files:
            store_parsed_message(None, parse_message(path.read_bytes()), matcher=matcher)  # type: ignore[arg-type]
        return
    with tempfile.TemporaryDirectory() as folder:
        for n, path in enumerate(files):
            (Path(folder) / f"{n:03d}.eml").write_bytes(path.read_bytes())
        import_path(None, folder, batch_size=batch)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    conversation=conversations(),
    orders=st.tuples(st.randoms(use_true_random=False), st.randoms(use_true_random=False)),
    batches=st.tuples(*[st.sampled_from([None, 1, 2, 3, 500])] * 2),
)
def test_threads_are_the_same_in_any_import_order(world, conversation, orders, batches):
    Contact.objects.get_or_create(
        client=world.globex, email="g@globex.example", defaults={"name": "G"}
    )
    expected = _expected(conversation)
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, message in enumerate(conversation):
            if message["imported"]:
                files.append(Path(folder) / f"{i}.eml")
                files[-1].write_bytes(_raw(i, message))
        for order, batch in zip(orders, batches, strict=True):
            _wipe()
            shuffled = list(files)
            order.shuffle(shuffled)
            _import(shuffled, batch)
            assert _threads() == expected, (batch, [p.name for p in shuffled])
    _wipe()
