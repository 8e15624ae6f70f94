"""A hostile HTML email, opened in real Chromium: no script runs, nothing is fetched from
anywhere but our own server, and attachments download instead of rendering."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import Console, log_in
from tests.comms_messages import messages as m
from tests.comms_messages.conftest import store_bytes
from tests.conftest import PASSWORD


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _watch(page: Any) -> tuple[list[str], list[str]]:
    """Every request the page makes, and every dialog it tries to open."""
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return requests, dialogs


def _assert_only_local(requests: list[str], live_server: Any) -> None:
    ours = _origin(live_server.url)
    foreign = [u for u in requests if _origin(u) != ours and u != "data:,"]
    assert not foreign, foreign
    assert not [u for u in requests if "evil.example" in u]


def test_a_hostile_email_runs_nothing_and_loads_nothing(
    page: Any, live_server: Any, world: Any, console: Console
) -> None:
    message = store_bytes(m.HOSTILE_HTML)
    requests, dialogs = _watch(page)
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    log_in(page, "alice", PASSWORD)

    page.goto(f"/comms/{message.communication_id}/")
    body = page.locator(".message-new")
    expect(body).to_contain_text("Please see the invoice questions below.")
    expect(body).to_contain_text("[image not loaded: tracking pixel]")

    # Poke everything a payload could hang off: hover, click, open the folds.
    body.get_by_text("Hover here", exact=True).hover()
    body.get_by_text("Hover here", exact=True).click()
    body.get_by_text("click me", exact=True).click()
    for summary in page.locator("details.message-fold > summary").all():
        summary.click()
    page.wait_for_load_state("networkidle")

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "PWNED" not in page.title()
    assert page.url.endswith(f"/comms/{message.communication_id}/")  # no refresh, no nav
    assert dialogs == []
    assert not [t for t in messages if "pwned" in t.lower()]
    assert console.errors == []  # not even a CSP violation: nothing tried to load
    # No element of the message carries a handler, a frame or a form.
    handlers = page.evaluate(
        """() => [...document.querySelectorAll('.message *')].flatMap(
            el => [...el.attributes].map(a => a.name).filter(n => n.startsWith('on')))"""
    )
    assert handlers == []
    assert page.locator(".message iframe, .message form, .message svg, .message img").count() == 0
    # The safe link opens in a new tab without a referrer or an opener.
    safe = page.get_by_role("link", name="a safe link")
    expect(safe).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(safe).to_have_attribute("target", "_blank")
    _assert_only_local(requests, live_server)


def test_a_hostile_attachment_downloads_instead_of_rendering(
    page: Any, live_server: Any, world: Any, console: Console
) -> None:
    message = store_bytes(m.NESTED_WITH_ATTACHMENTS)
    requests, dialogs = _watch(page)
    log_in(page, "alice", PASSWORD)
    page.goto(f"/comms/{message.communication_id}/")
    # The inline cid: image comes from our own server.
    expect(page.locator(".message-new img")).to_have_attribute(
        "src", f"/comms/email/{message.pk}/attachment/0/"
    )
    link = page.locator(f'a[href="/comms/email/{message.pk}/attachment/1/"]')
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert "/" not in download.suggested_filename
    with open(download.path(), "rb") as fh:
        assert fh.read() == b"<script>alert('attached')</script>"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    _assert_only_local(requests, live_server)


def test_real_world_spam_and_newsletters_load_nothing_from_elsewhere(
    page: Any, live_server: Any, world: Any, console: Console
) -> None:
    """The real messages of the fetched corpus — newsletters and spam full of remote
    images, tracking links and scripts' leftovers — opened one after another in
    Chromium: nothing is fetched from anywhere but our own server, no dialog opens."""
    from pathlib import Path

    import pytest

    from amends.comms.outlook import MSG_MAGIC

    folder = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "mail" / "mail-parser"
    if not folder.is_dir():
        pytest.skip("the real-world mail was not fetched: run `make test-data`")
    from amends.comms.actions import Matcher, store_parsed_message
    from amends.comms.importing import parse_message

    matcher = Matcher(world.acme)  # imported for Acme, as `amends import --client` does
    messages = []
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        if not data.startswith(MSG_MAGIC):
            messages.append(store_parsed_message(None, parse_message(data), matcher=matcher))
    assert len(messages) == 22
    requests, dialogs = _watch(page)
    log_in(page, "alice", PASSWORD)
    for message in messages:
        page.goto(f"/comms/{message.communication_id}/")
        expect(page.locator(".message")).to_be_visible()
        for summary in page.locator("details.message-fold > summary").all():
            summary.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    _assert_only_local(requests, live_server)
