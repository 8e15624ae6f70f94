"""The client's link, in a real browser: a fresh context with no account opens it, reads
the plan, leaves feedback and downloads the PDF; once revoked, the link is a 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from amends.cases.actions import add_to_case, mark_commitment_kept
from amends.sharing.actions import publish_update
from amends.sharing.models import ClientFeedback
from tests.browser.conftest import TIMEOUT_MS, Console, log_in
from tests.conftest import PASSWORD

SCREENSHOTS = "/tmp"


def _a_plan(world: Any) -> None:
    now = timezone.now()
    case, alice, bob = world.case, world.alice, world.bob
    add_to_case(
        alice,
        case,
        "expectation",
        expected_by_client="Launch by 1 March, with notice of any slip",
        agreed=True,
    )
    add_to_case(
        alice,
        case,
        "action",
        title="Weekly written status every Friday",
        owner=bob,
        deadline=(now + timedelta(days=4)).date(),
        success_measure="Dana gets it by 17:00",
    )
    done = add_to_case(
        alice,
        case,
        "action",
        title="Credit the surprise invoice",
        owner=alice,
        deadline=(now - timedelta(days=1)).date(),
    )
    from amends.cases.actions import update_in_case

    update_in_case(alice, done, version=done.version, status="done")
    add_to_case(alice, case, "action", title="Internal: retro with the dev team", for_client=False)
    promise = add_to_case(
        alice, case, "commitment", what="Send the revised timeline", due_at=now - timedelta(hours=2)
    )
    mark_commitment_kept(alice, promise, at=now - timedelta(hours=3))
    add_to_case(
        alice, case, "commitment", what="Share staging access", due_at=now + timedelta(days=2)
    )
    add_to_case(
        alice,
        case,
        "milestone",
        title="Staging signed off",
        due_on=(now + timedelta(days=10)).date(),
    )
    add_to_case(
        alice,
        case,
        "concession",
        kind="credit",
        description="Credit on the March invoice",
        value=Decimal("1500"),
        cost=Decimal("900"),
        currency="GBP",
        status="accepted",
    )
    add_to_case(alice, case, "checkin", scheduled_at=now + timedelta(days=7))
    publish_update(alice, case, text="The revised timeline is agreed; staging opens on Monday.")


def test_the_client_opens_the_link_with_no_account(
    page: Any, browser: Any, live_server: Any, world: Any, console: Console
) -> None:
    _a_plan(world)
    log_in(page, "alice", PASSWORD)
    page.goto(f"/cases/{world.case.pk}/")
    panel = page.locator("#section-share")
    panel.get_by_label("For whom").fill("Dana at Acme")
    panel.get_by_role("button", name="Create a share link").click()
    url = page.get_by_label("The secret link").input_value()
    assert "/share/" in url

    # A fresh browser: no cookies, no session, no account.
    fresh = browser.new_context(viewport={"width": 1000, "height": 1400})
    fresh.set_default_timeout(TIMEOUT_MS)
    client_page = fresh.new_page()
    client_page.on("console", console.record)
    client_page.on("pageerror", console.record_exception)
    try:
        response = client_page.goto(url)
        assert response is not None and response.status == 200
        expect(
            client_page.get_by_role("heading", name="Our plan together: Acme Ltd")
        ).to_be_visible()
        plan = client_page.locator("ol.plan")
        expect(plan).to_contain_text("Weekly written status every Friday")
        expect(plan).to_contain_text("Bob")
        expect(client_page.locator("body")).not_to_contain_text("Internal: retro")
        expect(client_page.locator("body")).not_to_contain_text("900")
        expect(client_page.get_by_text("Kept on time: 1 of 1 (100%)")).to_be_visible()
        client_page.screenshot(path=f"{SCREENSHOTS}/share.png", full_page=True)

        client_page.get_by_label("Your name (optional)").fill("Dana")
        client_page.get_by_label("Your feedback").fill("Thanks, the Friday notes help a lot.")
        client_page.get_by_role("button", name="Send feedback").click()
        expect(client_page.get_by_role("status")).to_contain_text("Thank you")
        assert ClientFeedback.objects.get().text == "Thanks, the Friday notes help a lot."

        with client_page.expect_download() as info:
            client_page.get_by_role("link", name="Download as PDF").click()
        download = info.value
        with open(download.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"
        assert download.suggested_filename == "resolution-plan.pdf"

        # The team sees the feedback on the case timeline, then revokes the link.
        page.goto(f"/cases/{world.case.pk}/")
        expect(page.locator(".case-timeline-area")).to_contain_text("Friday notes help")
        page.locator("#section-share").get_by_role("button", name="Revoke").click()
        page.wait_for_load_state("domcontentloaded")
        gone = client_page.goto(url)
        assert gone is not None and gone.status == 404
        expect(client_page.get_by_role("heading", name="Not found")).to_be_visible()
    finally:
        fresh.close()
    # The revoked link's 404 is logged by Chromium on purpose; nothing else may be.
    assert [e for e in console.errors if "status of 404" not in e] == []
