"""Turning a sentence of a client's email into a concern by selecting it (issue 3, R5):
the selected words fill the form; the concern keeps them, linked to the message."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from amends.cases.models import Concern
from tests.browser.conftest import Console, log_in
from tests.comms_messages import messages as m
from tests.comms_messages.conftest import store_bytes
from tests.conftest import PASSWORD

SENTENCE = "Nobody told us the invoice would double."


def _select(page: Any, text: str) -> None:
    """Select `text` inside the message's new part, as a user dragging over it would."""
    page.evaluate(
        """(text) => {
            const root = document.querySelector('.message-new');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.data.indexOf(text);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + text.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return;
                }
            }
            throw new Error('text not found: ' + text);
        }""",
        text,
    )


def test_selected_words_become_a_concern(page: Any, world: Any, console: Console) -> None:
    message = store_bytes(m.PLAIN_QUOTED)
    log_in(page, "alice", PASSWORD)
    page.goto(f"/comms/{message.communication_id}/")
    use = page.get_by_role("button", name="Use the words selected in the message")
    expect(use).to_be_visible()
    expect(use).to_be_disabled()  # nothing selected yet

    # A selection outside the message (the page header) does not count.
    page.evaluate(
        """() => { const h = document.querySelector('h1'); const r = document.createRange();
        r.selectNodeContents(h); const s = window.getSelection(); s.removeAllRanges();
        s.addRange(r); }"""
    )
    expect(use).to_be_disabled()

    _select(page, SENTENCE)
    expect(use).to_be_enabled()
    use.click()
    quote = page.get_by_label("The client's words")
    expect(quote).to_have_value(SENTENCE)
    expect(quote).to_be_focused()
    page.get_by_label("In case").select_option(str(world.case.pk))
    page.get_by_role("button", name="Add concern").click()
    expect(page.locator(".message-concerns")).to_contain_text(SENTENCE)
    concern = Concern.objects.get(case=world.case, text=SENTENCE)
    assert concern.communication_id == message.communication_id
    assert console.errors == []
