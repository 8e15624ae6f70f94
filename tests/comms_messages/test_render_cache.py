"""Rendered emails are kept in a small in-process cache (comms/rendering.py): a thread
page reads each message's raw bytes only when it was not rendered lately, and a cached
render can never be served for another message — not even one that reuses a deleted
message's id."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import caches
from django.urls import reverse

from amends.comms.importing import ParsedMessage, parse_message
from amends.comms.models import EmailMessage, RawMessage
from amends.comms.rendering import _cache_key, render_email, render_emails
from tests.comms_messages import messages as m


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["rendered"].clear()
    yield
    caches["rendered"].clear()


def test_a_render_is_kept_and_served_again(store):
    message = store(m.GMAIL_HTML)
    first = render_email(message)
    key = _cache_key(message)
    assert key is not None and caches["rendered"].get(key) == first
    again = EmailMessage.objects.select_related("raw").defer("raw__data").get(pk=message.pk)
    assert render_email(again) == first
    assert "data" in again.raw.get_deferred_fields()  # served without reading the bytes


def test_a_thread_reads_only_the_bytes_it_has_not_rendered(store, django_assert_num_queries):
    messages = [store(m.OUTLOOK_HTML), store(m.GMAIL_HTML), store(m.PLAIN_QUOTED)]
    expected = [render_email(x) for x in messages]
    caches["rendered"].delete(_cache_key(messages[1]))
    lazy = list(
        EmailMessage.objects.filter(pk__in=[x.pk for x in messages])
        .select_related("raw")
        .defer("raw__data")
        .order_by("pk")
    )
    with django_assert_num_queries(1):  # one query for the one missing message's bytes
        assert render_emails(lazy) == expected
    with django_assert_num_queries(0):
        assert render_emails(lazy) == expected


def _as_stored(data: bytes, pk: int, raw_pk: int) -> EmailMessage:
    """An email as the importer stores it, with the ids given (unsaved)."""
    parsed = parse_message(data)
    assert isinstance(parsed, ParsedMessage)
    raw = RawMessage(pk=raw_pk, sha256=hashlib.sha256(data).hexdigest(), data=data)
    return EmailMessage(
        pk=pk,
        raw=raw,
        text_body=parsed.text,
        attachments=[vars(a) for a in parsed.attachments],
    )


def test_a_reused_id_never_gets_another_messages_render():
    """After a deletion a database may hand the same ids to another message: the key
    names the content, so the new message is rendered afresh."""
    before = _as_stored(m.GMAIL_HTML, 41, 42)
    after = _as_stored(m.OUTLOOK_HTML, 41, 42)
    shown = render_email(before)
    assert _cache_key(before) != _cache_key(after)
    assert render_email(after) != shown
    # The same message stored again (same bytes, same ids) is served from the cache.
    assert _cache_key(_as_stored(m.GMAIL_HTML, 41, 42)) == _cache_key(before)


def test_large_renders_are_not_kept(store):
    body = ("A long paragraph about the launch plan. " * 1500).encode()
    message = store(
        b"From: Dana Client <dana@acme.example>\r\nTo: alice@firm.example\r\n"
        b"Subject: Long\r\nMessage-ID: <long@acme.example>\r\n"
        b"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n" + body
    )
    assert render_email(message).text.new.startswith("A long paragraph")
    assert caches["rendered"].get(_cache_key(message)) is None


def test_the_thread_page_is_the_same_from_the_cache(as_alice, store):
    store(m.OUTLOOK_HTML)
    message = store(m.GMAIL_HTML)
    url = reverse("comms:thread", args=[message.pk])
    cold = as_alice.get(url).content.decode()
    warm = as_alice.get(url).content.decode()
    assert cold.replace(_token(cold), "") == warm.replace(_token(warm), "")


def _token(html: str) -> str:
    """The page's CSRF token (different on every response)."""
    marker = 'name="csrfmiddlewaretoken" value="'
    if marker not in html:
        return "\x00"
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
