"""The main flow of the product, in a real browser: from a complaint to an agreed plan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import Console, log_in
from tests.conftest import PASSWORD

SCREENSHOTS = "/tmp"


def _local(dt: Any, tz: str, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime(fmt)


def _open_add_form(page: Any, kind: str) -> Any:
    section = page.locator(f"#section-{kind}")
    section.locator(f"#add-{kind} > summary").click()
    return section.locator(f"#add-{kind} form")


def _settled(locator: Any, text: str) -> None:
    """Wait for an htmx answer to land: its message shown and focused (app.js focuses
    [data-focus] after the swap settles, which may scroll the page; clicking before that
    could miss)."""
    expect(locator).to_contain_text(text)
    expect(locator).to_be_focused()


def test_from_a_complaint_to_an_agreed_plan(page: Any, world: Any, console: Console) -> None:
    log_in(page, "alice", PASSWORD)

    # Find the case from the list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name=world.case.title).click()
    expect(page.locator("h1")).to_have_text(world.case.title)
    status = page.locator("#case-status")
    expect(status.locator(".clocks")).to_contain_text("Running")

    # Listen: record the client's words, verbatim (R5).
    form = _open_add_form(page, "concern")
    form.get_by_label("What the client said").fill("Nobody told us the invoice would double.")
    form.get_by_label("Where they said it").fill("Call with Dana")
    form.get_by_role("button", name="Add").click()
    concerns = page.locator("#section-concern")
    _settled(concerns.locator(".notice"), "Concern added.")
    expect(concerns).to_contain_text("Nobody told us the invoice would double.")

    # Plan: an action answering the new concern, with only a title for now (R18).
    form = _open_add_form(page, "action")
    form.get_by_label("Action").fill("Walk Dana through the invoice")
    form.get_by_label("Answers the concern").select_option(
        label="Nobody told us the invoice would double."
    )
    form.get_by_role("button", name="Add").click()
    actions = page.locator("#section-action")
    _settled(actions.locator(".notice"), "Action added.")
    expect(actions).to_contain_text("No owner")

    # The method refuses to acknowledge before a real reply has gone out (R1).
    status.get_by_role("button", name="Acknowledge").click()
    _settled(status.locator(".refused"), "Record a reply to the client")

    # Reply to the client: an email out stops the first-response clock.
    form = _open_add_form(page, "communication")
    form.get_by_label("Subject").fill("Sorry: here is what happened with the launch")
    form.get_by_role("button", name="Record").click()
    _settled(page.locator("#section-communication .notice"), "Recorded")
    expect(status.locator(".clocks")).to_contain_text("Stopped")

    status.get_by_role("button", name="Acknowledge").click()
    _settled(status.locator(".notice"), "The case is now Acknowledged.")
    expect(page.locator("#case-header .case-badges")).to_contain_text("Acknowledged")
    status.get_by_role("button", name="Assess").click()
    _settled(status.locator(".notice"), "The case is now Assessing.")
    expect(page.locator("#case-header .case-badges")).to_contain_text("Assessing")

    # Try to agree: the control says exactly what is missing (R6, R18, R19).
    status.get_by_role("button", name="Agree the plan").click()
    refused = status.locator(".refused")
    _settled(refused, "Not yet.")
    expect(refused).to_contain_text(
        "Action “Walk Dana through the invoice” needs an owner, a deadline and a measure "
        "of success."
    )
    expect(refused).to_contain_text("Schedule the next check-in with the client.")
    expect(refused).to_contain_text("We were never told the launch would slip.")

    # Complete it: answer the first concern inline...
    first = world.case.concerns.order_by("pk").first()
    item = page.locator(f"#concern-{first.pk}")
    item.get_by_role("link", name="Edit").click()
    # app.js focuses the form's first field once the swap settles; wait for that, or
    # typing could land in the field that takes focus half-way through.
    expect(item.get_by_label("What the client said")).to_be_focused()
    expect(item.locator("[data-focus]")).to_have_count(0)
    item.get_by_label("Our answer").fill("We will send a dated plan every Friday.")
    item.get_by_role("button", name="Save").click()
    _settled(concerns.locator(".notice"), "Concern saved.")

    # ...give the action an owner, a deadline and a measure of success...
    action = world.case.actions.get()
    item = page.locator(f"#action-{action.pk}")
    item.get_by_role("link", name="Edit").click()
    expect(item.locator(f"#id_action-{action.pk}-title")).to_be_focused()
    expect(item.locator("[data-focus]")).to_have_count(0)
    item.get_by_label("Owner").select_option(label="Alice Owner")
    deadline = timezone.now() + timedelta(days=5)
    item.get_by_label("Deadline").fill(_local(deadline, "Europe/London", "%Y-%m-%d"))
    item.get_by_label("Measure of success").fill("Dana confirms the invoice is understood")
    item.get_by_role("button", name="Save").click()
    _settled(actions.locator(".notice"), "Action saved.")
    expect(actions).not_to_contain_text("No owner")

    # ...and schedule the next check-in.
    form = _open_add_form(page, "checkin")
    when = timezone.now() + timedelta(days=3)
    form.get_by_label("Scheduled for").fill(_local(when, "Europe/London"))
    form.get_by_role("button", name="Add").click()
    _settled(page.locator("#section-checkin .notice"), "Check-in added.")
    expect(page.locator("#section-checkin")).to_contain_text("Next check-in")

    # Agree.
    status.get_by_role("button", name="Agree the plan").click()
    expect(page.locator("#case-header .case-badges")).to_contain_text("Agreed")
    _settled(status.locator(".notice"), "The case is now Agreed.")
    page.reload()
    expect(page.locator("#case-header .case-badges")).to_contain_text("Agreed")

    page.screenshot(path=f"{SCREENSHOTS}/amends-case-1280.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    no_sideways_scroll = page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.screenshot(path=f"{SCREENSHOTS}/amends-case-375.png", full_page=True)
    assert no_sideways_scroll, "the case page scrolls sideways at 375px"
    assert console.errors == [], console.errors


def test_the_case_page_works_from_the_keyboard(page: Any, world: Any, console: Console) -> None:
    log_in(page, "bob", PASSWORD)
    page.goto(f"/cases/{world.case.pk}/")
    concern = world.case.concerns.get()
    item = page.locator(f"#concern-{concern.pk}")

    # Edit opens the form in place with the first field focused; Save is a key press away.
    item.get_by_role("link", name="Edit").focus()
    page.keyboard.press("Enter")
    text = item.get_by_label("What the client said")
    expect(text).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type(" And the invoice was a surprise.")
    item.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    _settled(page.locator("#section-concern .notice"), "Concern saved.")
    expect(page.locator("#section-concern")).to_contain_text("And the invoice was a surprise.")

    # An "Add" disclosure opens with Enter; Enter in a text field submits it.
    page.locator("#add-milestone > summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Title")).to_be_focused()
    page.keyboard.type("Staging signed off")
    page.keyboard.press("Enter")
    _settled(page.locator("#section-milestone .notice"), "Milestone added.")
    expect(page.locator("#section-milestone")).to_contain_text("Staging signed off")
    assert console.errors == [], console.errors


def test_the_case_page_works_without_javascript(browser: Any, live_server: Any, world: Any) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        log_in(page, "alice", PASSWORD)
        page.goto(f"/cases/{world.case.pk}/")
        form = _open_add_form(page, "concern")
        form.get_by_label("What the client said").fill("The report was late again.")
        form.get_by_role("button", name="Add").click()
        page.wait_for_load_state()
        assert page.url.endswith(
            f"/cases/{world.case.pk}/#concern-{world.case.concerns.latest('pk').pk}"
        )
        expect(page.locator("#section-concern")).to_contain_text("The report was late again.")

        # A refused move shows what is missing on the whole page.
        page.locator("#case-status").get_by_role("button", name="Acknowledge").click()
        expect(page.locator("#case-status .refused")).to_contain_text(
            "Record a reply to the client"
        )
    finally:
        context.close()
