"""Writing to a hurt client in a real browser: live coaching, a fix, save, send by SMTP."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from amends.compose.models import Draft
from tests.browser.conftest import Console, log_in
from tests.conftest import PASSWORD

BAD = "Dear Dana,\n\nWe are sorry for any inconvenience the launch date caused."
GOOD = (
    "Dear Dana,\n\n"
    "Thank you for raising this. I am sorry: we moved the launch date and never told you "
    "it would slip. That was our mistake.\n\n"
    "What we will do\n"
    "- I will send you the revised launch plan by Friday.\n\n"
    "I will call you on Thursday at 10:00 to agree the plan. I am your point of contact: "
    "reply to this email or call me on 020 7946 0000.\n\n"
    "Alice Owner"
)


def test_write_a_reply_with_live_findings_fix_it_and_send_it(
    page: Any, world: Any, console: Console, smtp_server: Any
) -> None:
    log_in(page, "alice", PASSWORD)
    page.goto(f"/cases/{world.case.pk}/")
    page.get_by_role("link", name="Write to the client").click()
    page.get_by_role("link", name="Full response").click()
    expect(page.locator("h1")).to_have_text("Write to the client")
    # htmx wires the textarea up once the page has loaded; typing before that is not
    # coached until the next keystroke, so wait as a user's first keystroke would.
    page.wait_for_load_state("load")
    # The bullet points start pre-filled from the case (R13).
    expect(page.get_by_label("Bullet points")).to_have_value(
        __import__("re").compile("We were never told the launch would slip.")
    )

    # Type a non-apology: the coach flags it as the user types (debounced htmx).
    body = page.locator("#id_body")
    body.fill(BAD)
    body.press("End")
    finding = page.locator('#coach [data-rule="non_apology"]')
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("sorry for any inconvenience")
    expect(page.locator("#coach mark")).to_contain_text(["sorry for any inconvenience"])

    # Fix it: the finding goes away.
    body.fill(GOOD)
    body.press("End")
    expect(page.locator('#coach [data-rule="non_apology"]')).to_have_count(0)
    expect(page.locator("#coach-state")).not_to_have_text("Must fix before sending")

    page.get_by_label("Subject").fill("The launch date: what happened and what we will do")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved")
    draft = Draft.objects.get()
    assert draft.body.replace("\r\n", "\n") == GOOD

    # Send: the confirm step names the recipient and the sender.
    page.get_by_role("link", name="Send…").click()
    expect(page.locator("h1")).to_have_text("Send this message?")
    expect(page.get_by_label("Dana Client <dana@acme.example>", exact=False)).to_be_checked()
    expect(page.locator("main")).to_contain_text("Alice Owner")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".messages")).to_contain_text("Sent.")
    assert f"/cases/{world.case.pk}/" in page.url

    assert len(smtp_server.messages) == 1
    raw = smtp_server.messages[0].data
    assert b"The launch date: what happened" in raw
    assert smtp_server.messages[0].rcpt_tos == ["dana@acme.example"]
    draft.refresh_from_db()
    assert draft.is_sent
    assert console.errors == []
