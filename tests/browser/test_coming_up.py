"""Coming up on the client page, in a real browser: a meeting from a calendar import is
listed in the client's time zone; Remove asks first, and declining keeps it (R22)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from amends.comms.models import UpcomingMeeting
from tests.browser.conftest import Console, log_in
from tests.conftest import PASSWORD


def test_remove_a_meeting_no_longer_planned(page: Any, world: Any, console: Console) -> None:
    UpcomingMeeting.objects.create(
        client=world.acme,
        starts_at=timezone.now() + timedelta(days=3),
        subject="Launch review with Dana",
        location="Acme HQ",
        attendees=[{"name": "Dana Client", "email": "dana@acme.example", "contact": None}],
        direction="out",
        external_id="review@firm.example",
    )
    log_in(page, "alice", PASSWORD)
    page.goto(f"/clients/{world.acme.pk}/")
    panel = page.locator("#coming-up")
    expect(panel).to_contain_text("Launch review with Dana")
    expect(panel).to_contain_text("Acme HQ · Dana Client")
    expect(panel).not_to_contain_text("Nothing planned")

    answers = iter([False, True])
    questions: list[str] = []

    def on_dialog(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", on_dialog)
    remove = panel.get_by_role("button", name="Remove “Launch review with Dana”")
    remove.click()
    expect(panel).to_contain_text("Launch review with Dana")  # declined: still there
    assert UpcomingMeeting.objects.count() == 1
    remove.click()
    expect(page.locator("body")).to_contain_text("is no longer listed as coming up")
    expect(page.locator("#coming-up")).not_to_contain_text("Launch review with Dana")
    # An open case and nothing planned now: the page says so.
    expect(page.locator("#coming-up")).to_contain_text("Nothing planned with Acme Ltd")
    assert len(questions) == 2 and "deleted from the calendar" in questions[0]
    assert UpcomingMeeting.objects.count() == 0
    assert console.errors == []
