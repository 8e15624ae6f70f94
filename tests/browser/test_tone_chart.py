"""The tone chart in a real browser: the SVG picture loads under the strict CSP, and the
page logs no CSP violation or script error (R33)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from amends.comms.actions import record_communication
from amends.comms.models import Communication
from tests.browser.conftest import Console, log_in
from tests.conftest import PASSWORD


def test_the_tone_chart_draws_under_the_strict_csp(page: Any, world: Any, console: Console):
    now = timezone.now()
    for days, value in ((70, 0.8), (60, 0.6), (20, -0.2), (3, -0.7)):
        msg = record_communication(
            world.alice,
            world.acme,
            channel="email",
            direction="in",
            occurred_at=now - timedelta(days=days),
            subject=f"Message {days} days ago",
            summary="Noted.",
        )
        Communication.objects.filter(pk=msg.pk).update(tone=value)

    log_in(page, "alice", PASSWORD)
    page.goto(f"/clients/{world.acme.pk}/")
    panel = page.locator("#responsiveness")
    expect(panel).to_contain_text("Souring")
    chart = panel.locator("img")
    expect(chart).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    panel.screenshot(path="/tmp/amends-tone-panel.png")
    panel.get_by_text("Weekly figures").click()
    expect(panel.locator("table")).to_be_visible()

    page.goto(f"/cases/{world.case.pk}/")
    expect(page.locator("#responsiveness")).to_contain_text("Not sent yet")
    page.screenshot(path="/tmp/amends-case-page.png", full_page=False)

    page.goto("/")
    expect(page.locator("#responsiveness")).to_contain_text("Acme Ltd")
    page.locator("#responsiveness").screenshot(path="/tmp/amends-home-panel.png")
    assert console.errors == []
