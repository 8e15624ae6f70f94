"""Search indexes a reply's quoted history only where its source may not be findable.

A reply whose parent (In-Reply-To, else the last of References) is stored in the same
client is indexed without the history it quotes: the parent's words are indexed there
already, and the thread shows both. A reply whose parent was never imported, or is
another client's, keeps its quote in the index, so every word a client wrote stays
findable. The document is the same however the email arrived: a bulk import, one
message at a time (a mailbox poll), from triage, by the indexer that finishes an
interrupted import, or by `amends search-reindex`. Both engines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amends.clients.actions import add_email_domain
from amends.comms.actions import Matcher, import_path, store_parsed_message
from amends.comms.importing import ParsedMessage, parse_message
from amends.comms.models import Communication, EmailMessage, RawMessage
from amends.comms.rendering import quote_span
from amends.comms.triage_actions import match_waiting
from amends.search.actions import index_pending, reindex_all
from amends.search.models import PendingIndex, SearchDocument
from amends.search.queries import search

pytestmark = pytest.mark.django_db

WROTE = "On Mon, 13 Jul 2026 at 09:00, {} wrote:"


def _mail(mid: str, sender: str, to: str, body: str, *, parent: str = "", n: int = 0) -> bytes:
    head = (
        f"From: {sender}\nTo: {to}\nSubject: {'Re: ' if parent else ''}Invoice\n"
        f"Date: Mon, 13 Jul 2026 1{n}:00:00 +0000\nMessage-ID: <{mid}>\n"
    )
    if parent:
        head += f"In-Reply-To: <{parent}>\nReferences: <{parent}>\n"
    return (head + "\n" + body).encode()


# Acme's thread: Dana writes, we answer quoting her.
ORIGINAL = _mail("a1@acme.example", "dana@acme.example", "alice@firm.example",
                 "The invoice mentions a platypus.\n", n=1)  # fmt: skip
ANSWER = _mail(
    "a2@firm.example",
    "alice@firm.example",
    "dana@acme.example",
    "Thanks Dana, we will fix the koala report.\n\n"
    + WROTE.format("Dana Client <dana@acme.example>")
    + "\n> The invoice mentions a platypus.\n",
    parent="a1@acme.example",
    n=2,
)
# Dana answers a message of ours that was never imported: its quote is all we have of it.
ORPHAN = _mail(
    "a3@acme.example",
    "dana@acme.example",
    "alice@firm.example",
    "Any news on the wombat?\n\n-----Original Message-----\nFrom: Alice\n"
    "Sent: Friday\nSubject: Quote\n\nOur quote covers the echidna work.\n",
    parent="gone@firm.example",
    n=3,
)
# Globex's message, and Dana forwarding an answer to it: another client's words.
GLOBEX = _mail("g1@globex.example", "gus@globex.example", "alice@firm.example",
               "The numbat budget is fixed.\n", n=4)  # fmt: skip
ACROSS = _mail(
    "a4@acme.example",
    "dana@acme.example",
    "alice@firm.example",
    "Is this yours?\n\n" + WROTE.format("Gus") + "\n> The numbat budget is fixed.\n",
    parent="g1@globex.example",
    n=5,
)


# Dana answers below our answer's words, quoting them: a reply written below its quote.
BELOW = _mail(
    "a5@acme.example",
    "dana@acme.example",
    "alice@firm.example",
    WROTE.format("Alice") + "\n> Thanks Dana, we will fix the koala report.\n\n"
    "Good, and the quokka figures too.\n",
    parent="a2@firm.example",
    n=6,
)


def _write(folder: Path, messages: list[bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(messages):
        (folder / f"{i}.eml").write_bytes(raw)
    return folder


def _bodies() -> dict[str, str]:
    """Each email's search document body, by Message-ID."""
    mids = dict(
        EmailMessage.objects.filter(communication__isnull=False).values_list(
            "communication_id", "message_id"
        )
    )
    docs = SearchDocument.objects.filter(kind="communication", object_id__in=mids)
    return {mids[d.object_id]: d.body for d in docs}


def _found(user, words: str) -> set[str]:
    page = search(user, words)
    mids = dict(EmailMessage.objects.values_list("communication_id", "message_id"))
    return {mids[hit.object_id] for hit in page.hits if hit.kind == "communication"}


@pytest.fixture
def imported(world, tmp_path):
    import_path(None, _write(tmp_path / "globex", [GLOBEX]), client=world.globex)
    acme = [ORIGINAL, ANSWER, ORPHAN, ACROSS, BELOW]
    summary = import_path(None, _write(tmp_path / "acme", acme))
    assert summary.imported == 5 and summary.unmatched == 0
    return _bodies()


def test_a_reply_is_found_by_its_own_words_and_its_parent_by_the_quoted_ones(world, imported):
    assert "platypus" not in imported["a2@firm.example"]
    assert "koala" in imported["a2@firm.example"]
    assert _found(world.ada, "platypus") == {"a1@acme.example"}
    assert _found(world.ada, "koala") == {"a2@firm.example"}
    # Written below its quote: the answer is indexed, the quote above it is not.
    assert "koala" not in imported["a5@acme.example"]
    assert _found(world.ada, "quokka") == {"a5@acme.example"}


def test_a_reply_sent_as_html_alone_is_found_by_its_answer_and_not_its_quote(world, tmp_path):
    # Thunderbird, writing HTML, puts its answer below the quote and sends no text part.
    below_html = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Re: Invoice\n"
        b"Date: Mon, 13 Jul 2026 17:00:00 +0000\nMessage-ID: <a6@acme.example>\n"
        b"In-Reply-To: <a2@firm.example>\nReferences: <a1@acme.example> <a2@firm.example>\n"
        b"MIME-Version: 1.0\nContent-Type: text/html; charset=UTF-8\n\n"
        b'<html><body><div class="moz-cite-prefix">On 13/07/2026 12:00, Alice wrote:<br>'
        b'</div><blockquote type="cite"><p>Thanks Dana, we will fix the koala report.</p>'
        b"</blockquote><p>Good, and the wallaby figures too.</p></body></html>\n"
    )
    import_path(None, _write(tmp_path / "acme", [ORIGINAL, ANSWER, below_html]))
    bodies = _bodies()
    assert "wallaby" in bodies["a6@acme.example"]
    assert "koala" not in bodies["a6@acme.example"]
    assert _found(world.ada, "wallaby") == {"a6@acme.example"}
    assert _found(world.ada, "koala") == {"a2@firm.example"}
    reindex_all()
    assert _bodies() == bodies


def test_a_quote_whose_source_was_never_imported_stays_findable(world, imported):
    assert "echidna" in imported["a3@acme.example"]
    assert _found(world.alice, "echidna") == {"a3@acme.example"}


def test_a_quote_of_another_clients_mail_stays_findable_in_this_client(world, imported):
    assert "numbat" in imported["a4@acme.example"]
    # Alice sees Acme's mail, not Globex's: she still finds Dana's forward by the quote.
    assert _found(world.alice, "numbat") == {"a4@acme.example"}
    assert _found(world.ada, "numbat") == {"a4@acme.example", "g1@globex.example"}


def test_the_document_is_the_same_however_the_email_arrived(world, imported, tmp_path):
    # Rebuilt by `amends search-reindex`.
    reindex_all()
    assert _bodies() == imported
    # By the indexer that finishes an interrupted import.
    comm_ids = list(EmailMessage.objects.values_list("communication_id", flat=True))
    SearchDocument.objects.filter(kind="communication").delete()
    PendingIndex.objects.bulk_create([PendingIndex(communication_id=pk) for pk in comm_ids])
    assert index_pending() == 6
    assert _bodies() == imported


def test_one_at_a_time_indexes_the_same_as_a_bulk_import(world, tmp_path):
    # One message at a time, as a mailbox poll stores them.
    matcher = Matcher()
    for raw in (GLOBEX, ORIGINAL, ANSWER, ORPHAN, ACROSS):
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMessage)
        forced = Matcher(world.globex) if raw is GLOBEX else matcher
        assert store_parsed_message(None, parsed, matcher=forced)
    one_by_one = _bodies()
    assert "platypus" not in one_by_one["a2@firm.example"]
    # The same mail again, by a bulk import into an empty database.
    EmailMessage.objects.all().delete()
    RawMessage.objects.all().delete()
    Communication.objects.filter(channel="email").delete()
    SearchDocument.objects.filter(kind="communication").delete()
    import_path(None, _write(tmp_path / "globex", [GLOBEX]), client=world.globex)
    import_path(None, _write(tmp_path / "acme", [ORIGINAL, ANSWER, ORPHAN, ACROSS]))
    assert _bodies() == one_by_one


def test_placed_from_triage_they_are_indexed_the_same(world, tmp_path):
    import_path(None, _write(tmp_path / "globex", [GLOBEX]), client=world.globex)
    # Acme has no domain yet and Dana is not a contact: her mail and ours wait in triage.
    world.contact.email = "dana@elsewhere.example"
    world.contact.save()
    world.acme.email_domains = ""
    world.acme.save()
    summary = import_path(None, _write(tmp_path / "acme", [ORIGINAL, ANSWER, ORPHAN, ACROSS]))
    assert summary.unmatched == 4
    add_email_domain(world.ada, world.acme, "acme.example")
    assert match_waiting() == 4
    bodies = _bodies()
    assert "platypus" not in bodies["a2@firm.example"] and "koala" in bodies["a2@firm.example"]
    assert "echidna" in bodies["a3@acme.example"] and "numbat" in bodies["a4@acme.example"]
    reindex_all()
    assert _bodies() == bodies


def test_a_reply_imported_before_its_parent_drops_the_quote_when_the_parent_comes(world, tmp_path):
    """Our answer (in the Sent folder) imported after Dana's reply to it (in the Inbox):
    her reply quoted it, and the quote was indexed while the answer was missing."""
    reply = _mail(
        "a5@acme.example",
        "dana@acme.example",
        "alice@firm.example",
        "Thanks, the kangaroo is fine now.\n\n"
        + WROTE.format("Alice <alice@firm.example>")
        + "\n> Thanks Dana, we will fix the koala report.\n",
        parent="a2@firm.example",
        n=6,
    )
    import_path(None, _write(tmp_path / "inbox", [ORIGINAL, reply]))
    assert "koala" in _bodies()["a5@acme.example"]  # all there is of our answer, for now
    summary = import_path(None, _write(tmp_path / "sent", [ANSWER]))
    assert summary.imported == 1
    bodies = _bodies()
    assert "koala" not in bodies["a5@acme.example"] and "kangaroo" in bodies["a5@acme.example"]
    assert "platypus" not in bodies["a2@firm.example"]
    assert _found(world.ada, "koala") == {"a2@firm.example"}
    reindex_all()
    assert _bodies() == bodies


def test_one_at_a_time_a_parent_that_comes_later_drops_the_quote_too(world):
    """A mailbox poll stores one message at a time; so does placing one from triage."""
    matcher = Matcher()
    for raw in (ANSWER, ORIGINAL):  # the answer first, then what it answers
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMessage)
        assert store_parsed_message(None, parsed, matcher=matcher)
    bodies = _bodies()
    assert "platypus" not in bodies["a2@firm.example"] and "koala" in bodies["a2@firm.example"]
    assert _found(world.ada, "platypus") == {"a1@acme.example"}


QUOTE_ABOVE = "On Mon, 13 Jul 2026, Dana wrote:\n> Hello\n\n"


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("Thanks.\n\n" + QUOTE_ABOVE, (9, 9 + len(QUOTE_ABOVE))),
        ("Thanks.\n-----Original Message-----\nFrom: Dana\n", (8, 46)),
        ("Thanks.\n\n> Hello\n> again\n", (9, 25)),
        ("> Hello\nYes, done.\n> And this?\nAlso done.\n", None),  # answered in between
        ("On Mon, 13 Jul 2026, Dana wrote:\n> Hello\n", None),  # nothing new beside it
        (QUOTE_ABOVE + "Yes, done.\n", (0, len(QUOTE_ABOVE) - 1)),  # answered below it
        ("Just a message.\n", None),
        ("", None),
    ],
)
def test_where_the_quoted_history_is(text, cut):
    assert quote_span(text) == cut
