"""A long thread in real Chromium: the earlier messages are folded; unfolding one loads
it in place (still sanitised: a hostile message runs nothing and loads nothing), and
without the fragment the link inside opens it on the page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Console, log_in
from tests.browser.test_message_injection import _assert_only_local, _watch
from tests.comms_messages import messages as m
from tests.comms_messages.conftest import store_bytes
from tests.comms_messages.test_thread_page import reply
from tests.conftest import PASSWORD


def test_unfold_an_earlier_message_of_a_long_thread(
    page: Any, live_server: Any, world: Any, console: Console
) -> None:
    # The hostile message opens the thread; eight replies follow it.
    hostile = store_bytes(
        m.HOSTILE_HTML.replace(b"<hostile-html-1@", b"<t0@").replace(
            b"Fri, 10 Jul 2026", b"Sun, 1 Feb 2026"
        )
    )
    answer = reply(1).replace(b"Date:", b"In-Reply-To: <t0@acme.example>\r\nDate:", 1)
    thread = [hostile, store_bytes(answer), *(store_bytes(reply(n)) for n in range(2, 9))]
    assert {t.thread_root_id or t.pk for t in thread} == {hostile.pk}
    requests, dialogs = _watch(page)
    log_in(page, "alice", PASSWORD)
    page.goto(f"/comms/thread/{thread[-1].pk}/")
    expect(page.locator("h1")).to_contain_text("Thread: Re: Launch slipped")
    expect(page.locator(".message-current")).to_contain_text("Body of message number 8")
    assert page.locator("li.message-folded").count() == 6
    first = page.locator(f"#message-{hostile.pk}")
    expect(first).to_contain_text("1. Dana Client")
    expect(first).to_contain_text("Please see the invoice questions below.")  # its line
    expect(first.locator(".message-new")).to_have_count(0)

    first.locator("summary").click()
    expect(first.locator(".message-new")).to_contain_text("[image not loaded: tracking pixel]")
    for summary in first.locator("details.message-fold > summary").all():
        summary.click()
    first.get_by_text("Hover here", exact=True).hover()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    _assert_only_local(requests, live_server)
    handlers = page.evaluate(
        """() => [...document.querySelectorAll('.message *')].flatMap(
            el => [...el.attributes].map(a => a.name).filter(n => n.startsWith('on')))"""
    )
    assert handlers == []
    assert not [u for u in requests if "/accounts/logout/" in u]  # no htmx bait taken
    assert page.locator(".message [hx-post], .message [data-hx-get]").count() == 0

    # Closing and opening again does not fetch it twice.
    fetched = [u for u in requests if "/in-thread/" in u]
    first.locator("summary").first.click()
    first.locator("summary").first.click()
    page.wait_for_load_state("networkidle")
    assert [u for u in requests if "/in-thread/" in u] == fetched
    assert len(fetched) == 1

    # The link inside a folded message opens it on the page (for when scripts are off).
    third = page.locator(f"#message-{thread[3].pk}")
    third.locator("summary").click()
    expect(third.locator(".message-new")).to_contain_text("Body of message number 3")
    page.goto(f"/comms/thread/{thread[-1].pk}/?open={thread[2].pk}")
    expect(page.locator(f"#message-{thread[2].pk} .message-new")).to_contain_text(
        "Body of message number 2"
    )
    assert console.errors == []
