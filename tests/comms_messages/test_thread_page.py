"""The thread page of a long thread: every message listed, oldest first; the one asked
for and the newest few open, the rest folded with who, when and a first line, each one
click away (a fragment fetched when unfolded, or `?open=` without JavaScript) — and
only to those who may see the client."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from amends.comms import message_views
from amends.comms.models import EmailMessage
from tests.comms_messages.conftest import store_bytes

pytestmark = pytest.mark.django_db


def reply(n: int) -> bytes:
    previous = f"In-Reply-To: <t{n - 1}@acme.example>\r\n" if n > 1 else ""
    sender = "Dana Client <dana@acme.example>" if n % 2 else "Alice Owner <alice@firm.example>"
    to = "alice@firm.example" if n % 2 else "dana@acme.example"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: Launch slipped\r\n"
        f"Message-ID: <t{n}@acme.example>\r\n{previous}"
        f"Date: Mon, {n} Mar 2026 10:00:00 +0000\r\n\r\n"
        f"Body of message number {n}:   point {n}\r\n\r\nOn an earlier day someone wrote:\r\n"
        f"> quoted text of {n - 1}\r\n"
    ).encode()


@pytest.fixture
def thread(world) -> list[EmailMessage]:
    return [store_bytes(reply(n)) for n in range(1, 10)]


def opened(html: str) -> list[int]:
    """The numbers of the messages shown open (rendered) on the page."""
    return [int(n) for n in re.findall(r'<h2 class="message-thread-title">(\d+)\.', html)]


def folded(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="message-thread-title">(\d+)\.', html)]


def test_the_one_asked_for_and_the_newest_three_open_the_rest_folded(as_alice, thread):
    html = as_alice.get(reverse("comms:thread", args=[thread[1].pk])).content.decode()
    assert opened(html) == [2, 7, 8, 9]
    assert folded(html) == [1, 3, 4, 5, 6]
    assert "9 messages, oldest first. 5 earlier messages folded" in html
    assert "Body of message number 5: point 5" in html  # a folded line: whitespace tidied
    assert "Body of message number 3: point 3" in html
    folded_three = html[html.index(f'id="message-{thread[2].pk}"') :]
    folded_three = folded_three[: folded_three.index("</li>")]
    assert reverse("comms:thread_message", args=[thread[2].pk]) in folded_three
    assert f"?open={thread[2].pk}#message-{thread[2].pk}" in folded_three
    assert "quoted text" not in folded_three  # not rendered until unfolded


def test_open_names_more_messages_and_ignores_anything_else(as_alice, world, thread):
    url = reverse("comms:thread", args=[thread[8].pk])
    html = as_alice.get(url, {"open": [f"{thread[0].pk},{thread[3].pk}", "x", "-1"]})
    assert opened(html.content.decode()) == [1, 4, 7, 8, 9]
    other = store_bytes(
        reply(1).replace(b"dana@acme.example", b"gus@globex.example").replace(b"<t1@", b"<g1@")
    )
    html = as_alice.get(url, {"open": str(other.pk)}).content.decode()
    assert opened(html) == [7, 8, 9]  # only this thread's messages open


def test_a_short_thread_is_all_open(as_alice, world):
    messages = [store_bytes(reply(n)) for n in range(1, 6)]
    html = as_alice.get(reverse("comms:thread", args=[messages[0].pk])).content.decode()
    assert opened(html) == [1, 2, 3, 4, 5] and folded(html) == []


def test_a_very_long_thread_lists_the_latest(as_alice, thread, monkeypatch):
    monkeypatch.setattr(message_views, "MAX_THREAD_LISTED", 6)
    html = as_alice.get(reverse("comms:thread", args=[thread[8].pk])).content.decode()
    assert "9 messages, oldest first (the latest 6 listed)" in html
    assert opened(html) == [7, 8, 9] and folded(html) == [4, 5, 6]
    # Asked for an older message: it is shown first, open, numbered where it stands.
    html = as_alice.get(reverse("comms:thread", args=[thread[1].pk])).content.decode()
    assert opened(html) == [2, 7, 8, 9] and folded(html) == [4, 5, 6]
    assert "(the latest 6 listed, after the one you opened)" in html
    assert html.index("Body of message number 2") < html.index("Body of message number 4")


def test_an_unfolded_message_is_rendered_alone(as_alice, thread):
    response = as_alice.get(reverse("comms:thread_message", args=[thread[2].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Body of message number 3:" in html and "Quoted history" in html
    assert "<html" not in html  # a fragment, swapped into the page
    assert reverse("comms:raw", args=[thread[2].pk]) in html


def test_outsiders_see_no_message_of_the_thread(client, world, thread):
    url = reverse("comms:thread_message", args=[thread[2].pk])
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    client.force_login(world.carol)
    response = client.get(url)
    assert response.status_code == 404 and b"Body of message" not in response.content
    response = client.get(reverse("comms:thread", args=[thread[2].pk]), {"open": thread[0].pk})
    assert response.status_code == 404 and b"Body of message" not in response.content
    client.force_login(world.ada)  # an admin sees every client's
    assert client.get(url).status_code == 200
