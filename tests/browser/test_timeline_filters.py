"""The client timeline in a real browser: filter by channel and direction (htmx, with the
filters in the address bar), then follow an entry to the message and to its thread."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Console, log_in
from tests.conftest import PASSWORD
from tests.timeline import conftest as timeline_data

record = timeline_data.record  # the fixture: imported mail, a meeting, a call, a note

SETTLED = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


def test_filter_the_client_timeline_and_open_a_message(
    page: Any,
    world: Any,
    record: Any,
    console: Console,
) -> None:
    log_in(page, "alice", PASSWORD)
    page.goto(f"/clients/{world.acme.pk}/timeline/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Launch recovery workshop")
    expect(timeline).to_contain_text("Attendees: Alice Owner, Dana Client")

    page.get_by_label("What").select_option("email")
    expect(page).to_have_url(re.compile(r"channel=email"))
    expect(timeline).not_to_contain_text("Launch recovery workshop")
    # The form is swapped with the results; htmx wires the new one up while it settles.
    # A person cannot change the next filter within those milliseconds; a test can.
    page.wait_for_function(SETTLED)
    page.get_by_label("Direction").select_option("in")
    expect(page).to_have_url(re.compile(r"channel=email.*direction=in"))
    expect(timeline).to_contain_text("2 matching")
    expect(timeline).to_contain_text("Invoice 2231")
    expect(timeline).not_to_contain_text("Re: Where is the launch?")

    # The address can be bookmarked: loading it again shows the same filtered view.
    page.reload()
    expect(page.get_by_label("What")).to_have_value("email")
    expect(page.get_by_label("Direction")).to_have_value("in")
    expect(page.locator("#timeline")).to_contain_text("2 matching")

    # From the entry to the message itself...
    page.locator("#timeline").get_by_role("link", name="Where is the launch?").click()
    expect(page).to_have_url(re.compile(rf"/comms/{record.dana_email.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Where is the launch?")

    # ... and to its thread, where Alice's reply is too.
    page.go_back()
    entry = page.locator("li.timeline-entry", has_text="Where is the launch?")
    entry.get_by_role("link", name="Thread").click()
    expect(page).to_have_url(re.compile(r"/comms/thread/\d+/$"))
    expect(page.locator("main")).to_contain_text("You are right, I will call you at 11.")

    # Reset clears every filter.
    page.goto(f"/clients/{world.acme.pk}/timeline/?channel=email&direction=in")
    page.get_by_role("link", name="Reset").click()
    expect(page.locator("#timeline")).to_contain_text("Launch recovery workshop")
    assert console.errors == []
