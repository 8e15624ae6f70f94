"""Triage in a real browser: an admin assigns one message from a new sender to a client,
and, once the worker has run, the sender's other waiting messages have followed it to
the client's timeline; the one from a stranger still waits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from amends.comms.actions import import_path
from amends.comms.models import EmailMessage
from amends.watch.worker import run_one_step
from tests.browser.conftest import Console, log_in
from tests.comms_import import messages as m
from tests.conftest import PASSWORD


def test_assign_one_and_the_senders_other_messages_follow(
    page: Any, world: Any, console: Console, tmp_path: Path
) -> None:
    for n, sender, subject in [
        (1, "Sam New <sam@newco.example>", "Kick-off questions"),
        (2, "Sam New <sam@newco.example>", "Brief attached"),
        (3, "someone@elsewhere.example", "Cold pitch"),
    ]:
        (tmp_path / f"{n}.eml").write_bytes(m.simple(n, sender=sender, subject=subject))
    assert import_path(None, tmp_path).unmatched == 3

    log_in(page, "ada", PASSWORD)
    page.goto("/comms/triage/")
    row = page.locator("tr", has_text="Kick-off questions")
    row.get_by_label("Client").select_option(label="Globex")
    row.get_by_role("button", name="Assign to client").click()
    expect(page.locator("body")).to_contain_text(
        "“Kick-off questions” assigned to Globex. Other messages waiting here with the same"
        " people follow it in a moment."
    )
    table = page.get_by_role("region", name="Unmatched emails")
    expect(table).not_to_contain_text("Kick-off questions")
    expect(table).to_contain_text("Brief attached")  # the worker has not run yet

    while run_one_step() is not None:  # the worker's turn
        pass
    page.reload()
    expect(table).not_to_contain_text("Brief attached")
    expect(table).to_contain_text("Cold pitch")
    brief = EmailMessage.objects.get(subject="Brief attached")
    assert brief.client == world.globex

    page.goto(f"/clients/{world.globex.pk}/")
    expect(page.locator("body")).to_contain_text("Brief attached")
    assert console.errors == []


def test_add_a_waiting_domain_to_a_client_and_its_mail_follows(
    page: Any, world: Any, console: Console, tmp_path: Path
) -> None:
    for n, sender, subject in [
        (1, "Sam New <sam@newco.example>", "Kick-off questions"),
        (2, "Pat <pat@newco.example>", "Invoice address"),
        (3, "jo.kim@gmail.com", "Personal note"),
    ]:
        (tmp_path / f"{n}.eml").write_bytes(m.simple(n, sender=sender, subject=subject))
    assert import_path(None, tmp_path).unmatched == 3

    log_in(page, "ada", PASSWORD)
    page.goto("/comms/triage/")
    panel = page.get_by_role("region", name="Waiting most, by domain")
    expect(panel).to_contain_text("gmail.com")
    expect(panel.locator("tr", has_text="gmail.com")).to_contain_text("A public email provider")
    row = panel.locator("tr", has_text="newco.example")
    expect(row).to_contain_text("2")
    row.get_by_label("Client for newco.example").select_option(label="Globex")
    row.get_by_role("button", name="Add domain").click()
    expect(page.locator("body")).to_contain_text("Globex's email domains are now newco.example.")
    while run_one_step() is not None:  # the worker's turn
        pass
    page.reload()
    unmatched = page.get_by_role("region", name="Unmatched emails")
    expect(unmatched).not_to_contain_text("Invoice address")
    expect(unmatched).to_contain_text("Personal note")
    assert sorted(
        EmailMessage.objects.filter(client=world.globex).values_list("subject", flat=True)
    ) == ["Invoice address", "Kick-off questions"]
    assert console.errors == []


def test_dismiss_a_newsletter_then_restore_it(
    page: Any, world: Any, console: Console, tmp_path: Path
) -> None:
    for n, sender, subject in [
        (1, "news@news.example", "Weekly digest"),
        (2, "sam@newco.example", "Kick-off questions"),
    ]:
        (tmp_path / f"{n}.eml").write_bytes(m.simple(n, sender=sender, subject=subject))
    assert import_path(None, tmp_path).unmatched == 2

    log_in(page, "ada", PASSWORD)
    page.goto("/comms/triage/")
    page.get_by_role("button", name="Dismiss “Weekly digest”").click()
    expect(page.locator("body")).to_contain_text("“Weekly digest” set aside as no client's.")
    table = page.get_by_role("region", name="Unmatched emails")
    expect(table).not_to_contain_text("Weekly digest")
    expect(table).to_contain_text("Kick-off questions")
    expect(page.get_by_role("region", name="Waiting most, by domain")).not_to_contain_text(
        "news.example"
    )

    page.get_by_role("link", name="Dismissed (1)").click()
    expect(table).to_contain_text("Weekly digest")
    page.get_by_role("button", name="Restore to triage").click()
    expect(page.locator("body")).to_contain_text("“Weekly digest” is back in the triage list.")
    page.get_by_role("link", name="Waiting mail").click()
    expect(table).to_contain_text("Weekly digest")
    assert EmailMessage.objects.get(subject="Weekly digest").dismissed_at is None
    assert console.errors == []


def test_tick_several_and_assign_them_together(
    page: Any, world: Any, console: Console, tmp_path: Path
) -> None:
    """A reply to Acme's thread from home shows Acme chosen already; ticking every
    message, then unticking that one, assigns the other three to Globex in one go."""
    acme = tmp_path / "acme"
    acme.mkdir()
    (acme / "1.eml").write_bytes(m.simple(1, subject="Launch date"))
    assert import_path(None, acme).imported == 1
    answers = b"In-Reply-To: <m1@acme.example>\nReferences: <m1@acme.example>\n"
    waiting = [
        (2, "jess.home@gmail.com", "Re: Launch date", answers),
        (3, "sam@newco.example", "Kick-off questions", b""),
        (4, "sam@newco.example", "Brief attached", b""),
        (5, "lee@gmail.com", "Portfolio", b""),
    ]
    for n, sender, subject, extra in waiting:
        (tmp_path / f"{n}.eml").write_bytes(
            m.simple(n, sender=sender, subject=subject, extra=extra)
        )
    assert import_path(None, tmp_path).unmatched == 4

    log_in(page, "ada", PASSWORD)
    page.goto("/comms/triage/")
    reply = page.locator("tr", has_text="Re: Launch date")
    expect(reply).to_contain_text("Answers mail with Acme Ltd")
    expect(reply.get_by_label("Client")).to_have_value(str(world.acme.pk))

    every = page.get_by_label("Select every message on this page")
    every.check()
    for subject in ("Re: Launch date", "Kick-off questions", "Brief attached", "Portfolio"):
        expect(page.get_by_label(f"Select “{subject}”")).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected:")
    page.get_by_label("Select “Re: Launch date”").uncheck()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected:")
    assert every.evaluate("box => box.indeterminate") is True

    page.get_by_label("Client for the selected messages").select_option(label="Globex")
    page.get_by_role("button", name="Assign selected").click()
    expect(page.locator("body")).to_contain_text("3 messages assigned to Globex.")
    table = page.get_by_role("region", name="Unmatched emails")
    expect(table).to_contain_text("Re: Launch date")
    expect(table).not_to_contain_text("Portfolio")
    placed = {e.subject: e.client for e in EmailMessage.objects.filter(client__isnull=False)}
    assert placed == {
        "Launch date": world.acme,
        "Kick-off questions": world.globex,
        "Brief attached": world.globex,
        "Portfolio": world.globex,
    }
    assert console.errors == []
