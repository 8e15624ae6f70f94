"""Mail nobody wrote for Amends: real messages other projects test with, fetched from the
package registry by `make test-data` (scripts/fetch_test_data.py), not kept here.

- mail-parser's messages: spam and phishing as it reached real mailboxes, a bounce,
  Russian, Chinese and Italian mail in wrong or missing charsets, a broken boundary, an
  Outlook message saved without its `.msg`;
- talon's replies: the same "Hello" answered from Gmail, Outlook, Hotmail, Yahoo, AOL,
  Comcast, Apple Mail, an iPhone, an Android phone, Sparrow and Thunderbird, each quoting
  the message it answers its own way; and the HTML of one reply as Gmail, Outlook
  2003, 2007 and 2010, Outlook.com, Thunderbird, Windows Mail (in Russian), mail.ru and
  Yandex write it.

Every one is imported, kept byte for byte, shown safely to the client's team and to no
one else, and importing again creates nothing. Both databases.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from amends.comms import tone
from amends.comms.actions import import_path
from amends.comms.importing import ParsedMessage, open_source, parse_message, text_from_html
from amends.comms.models import EmailMessage, RawMessage
from amends.comms.outlook import MSG_MAGIC
from amends.comms.rendering import quote_span, render_email, split_html, split_text

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "mail"


def corpus(name: str) -> list[Path]:
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"{name} not fetched: run `make test-data` (scripts/fetch_test_data.py)")
    return sorted(p for p in folder.iterdir() if p.is_file())


def replies() -> list[Path]:
    return [p for p in corpus("talon-replies") if p.suffix == ".eml"]


@pytest.fixture
def imported(world, tmp_path):
    """Both corpora imported into Acme, as one folder would be."""
    folder = tmp_path / "real"
    folder.mkdir()
    files = corpus("mail-parser") + replies()
    for path in files:
        shutil.copy(path, folder / f"{path.parent.name}-{path.name}")
    summary = import_path(None, folder, client=world.acme)
    return files, summary, folder


def test_every_real_message_is_imported_and_kept_byte_for_byte(world, imported):
    files, summary, _ = imported
    assert summary.rejected == []
    assert summary.seen == summary.imported == len(files) == 35
    for path in files:
        data = path.read_bytes()
        if data.startswith(MSG_MAGIC):  # an Outlook message: kept as the email it holds
            continue
        kept = RawMessage.objects.get(sha256=hashlib.sha256(data).hexdigest())
        assert bytes(kept.data) == data, path.name


def test_importing_them_again_creates_nothing(world, imported):
    files, _, folder = imported
    before = (RawMessage.objects.count(), EmailMessage.objects.count())
    again = import_path(None, folder, client=world.acme)
    assert (again.imported, again.duplicates) == (0, len(files))
    assert (RawMessage.objects.count(), EmailMessage.objects.count()) == before


def test_their_pages_are_safe_and_only_the_clients_team_sees_them(world, imported):
    as_alice, as_carol = Client(), Client()
    as_alice.force_login(world.alice)
    as_carol.force_login(world.carol)
    emails = list(EmailMessage.objects.select_related("raw"))
    assert len(emails) == 35
    for email in emails:
        page = reverse("comms:detail", args=[email.communication_id])
        answer = as_alice.get(page)
        assert answer.status_code == 200, email.subject
        shown = render_email(email)
        if shown.html is not None:
            body = shown.html.new + shown.html.signature + shown.html.quoted
            assert "<script" not in body.lower() and "javascript:" not in body.lower()
            assert not re.search(r"\son\w+\s*=", body, re.I), email.subject
            assert not re.search(r"""\ssrc\s*=\s*["']?(?:https?:)?//""", body, re.I)
        # Carol is on no team of Acme's: the message, its thread and its original are
        # not there for her.
        assert as_carol.get(page).status_code == 404
        assert as_carol.get(reverse("comms:thread", args=[email.pk])).status_code == 404
        assert as_carol.get(reverse("comms:raw", args=[email.pk])).status_code == 404


def test_what_was_wrong_with_them_is_noted_and_their_words_are_read(world, imported):
    by_subject = {e.subject: e for e in EmailMessage.objects.all()}
    # Russian HTML in UTF-8 with a few stray bytes: the letters stay letters.
    assert "Профессионалы.ru" in by_subject["Быстрее вкладывайте в золото!"].text_body
    # Chinese labelled gb2312 holding GBK characters.
    assert (
        "这种场合"
        in by_subject["我把镜头拉近些，你们看看这个是什么屄，这种场合自然少不了内射"].text_body
    )
    # A blank text part beside the HTML one: the HTML's words.
    assert by_subject["Transferencia Interbancaria Banca en Línea"].text_body == "Test"
    # One boundary declared, another used: the parts are found, and that is said.
    offer = by_subject["Ahorre Dinero en su Recibo de Luz"]
    assert "Recibo" in offer.text_body or "CLICK" in offer.text_body
    assert any("not the one its header declares" in p for p in offer.problems)
    # No Date header: said, and the import time used.
    assert any("No Date header" in p for p in by_subject["письмо уведом-е"].problems)


@pytest.mark.parametrize("path", replies() if (DATA / "talon-replies").is_dir() else [])
def test_a_reply_from_any_mail_program_shows_its_answer_first(path):
    parsed = parse_message(path.read_bytes())
    assert isinstance(parsed, ParsedMessage)
    split = split_text(parsed.text)
    # Each says "Hello" above what it quotes ("Sent from my iPhone" folds as signature).
    assert split.new.strip() == "Hello", split
    assert split.quoted.strip()
    assert quote_span(parsed.text) is not None  # so search leaves the quote out
    assert tone.new_text(parsed.text) == "Hello"


def html_replies() -> list[Path]:
    if not (DATA / "talon-html-replies").is_dir():
        return []
    return corpus("talon-html-replies")


@pytest.mark.parametrize("path", html_replies(), ids=lambda p: p.name)
def test_an_html_reply_from_any_mail_program_shows_its_answer_first(path):
    raw = path.read_bytes()
    try:
        html = raw.decode("utf-8")
    except UnicodeDecodeError:
        html = raw.decode("cp1251")
    split = split_html(html)
    new = " ".join(text_from_html(split.new).split())
    assert new == "Hi. I am fine. Thanks, Alex", new
    assert "How are you?" in text_from_html(split.quoted)
    # Its text (what search and tone read of a message sent as HTML alone) has the
    # same answer and quote.
    text = text_from_html(html)
    assert split_text(text).new == "Hi. I am fine.\nThanks,\nAlex"
    assert quote_span(text) is not None
    assert tone.new_text(text) == "Hi. I am fine.\nThanks,\nAlex"


def test_all_the_html_replies_were_fetched():
    if not (DATA / "talon-html-replies").is_dir():
        pytest.skip("talon-html-replies not fetched: run `make test-data`")
    assert len(html_replies()) == 9


def test_mailing_list_messages_that_broke_archivers_are_imported(world, tmp_path):
    """HyperKitty's test messages (Mailman's archiver): each one a message from a real
    list that once broke it — wrong and unknown charsets, non-ASCII and badly folded
    headers, a date in a zone that does not exist or none at all, odd In-Reply-To."""
    files = corpus("hyperkitty")
    summary = import_path(None, DATA / "hyperkitty", client=world.acme)
    assert summary.rejected == [] and len(files) >= 20
    # Some share a Message-ID (the same message in two files): kept once.
    assert summary.imported + summary.duplicates == summary.seen >= 25
    wrong = EmailMessage.objects.get(subject="Wrong encoding")
    assert any("not valid utf-8" in p for p in wrong.problems)
    # (Some of these files reuse one Message-ID, so each is also read on its own.)
    (item,) = open_source(DATA / "hyperkitty" / "resent-date.txt").items
    resent = parse_message(item.data or b"")
    assert isinstance(resent, ParsedMessage) and resent.date is not None
    assert resent.date.date().isoformat() == "1999-11-08"  # its Resent-Date: no Date
    (item,) = open_source(DATA / "hyperkitty" / "bad_date_tz.txt").items
    bad = parse_message(item.data or b"")
    assert isinstance(bad, ParsedMessage) and bad.date is None  # nothing else to go by
    assert any("-3000 (CST)" in p for p in bad.problems)


def test_an_mbox_message_with_no_date_at_all_is_placed_by_its_from_line(world):
    """HyperKitty's `unixfrom-date`: no Date, Resent-Date or Received header; the mbox's
    "From " line says when it was delivered, 9 November 1999 — not the day of import."""
    corpus("hyperkitty")
    summary = import_path(None, DATA / "hyperkitty" / "unixfrom-date.txt", client=world.acme)
    assert summary.imported == 1
    email = EmailMessage.objects.get()
    assert email.occurred_at.date().isoformat() == "1999-11-09"
    assert any('its "From " line' in p for p in email.problems)
