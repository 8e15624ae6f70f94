"""Importing from the Import page in a real browser: a gzipped Google Takeout mbox is
uploaded for a client, the worker imports it, and the list under the form says what
happened — the spam Gmail labelled left out — without a reload."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from amends.comms.models import EmailMessage
from amends.watch.worker import run_one_step
from tests.browser.conftest import Console, log_in
from tests.comms_import import messages as m
from tests.conftest import PASSWORD

SEPARATOR = b"From 1786543210@xxx Mon Jul 13 09:00:00 +0000 2026\n"


def _takeout(*labelled: tuple[int, str]) -> bytes:
    return b"".join(
        SEPARATOR
        + f"X-GM-THRID: 17{n:04d}\nX-Gmail-Labels: {labels}\n".encode()
        + m.simple(n)
        + b"\n"
        for n, labels in labelled
    )


def test_upload_a_gzipped_takeout_and_see_what_was_imported(
    page: Any, world: Any, console: Console, tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    export = tmp_path / "All mail Including Spam and Trash.mbox.gz"
    export.write_bytes(gzip.compress(_takeout((1, "Inbox,Opened"), (2, "Spam"), (3, "Trash"))))

    log_in(page, "alice", PASSWORD)
    page.goto("/comms/import/")
    page.get_by_label("File to import").set_input_files(str(export))
    page.get_by_label("Client").select_option(label="Acme Ltd")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("body")).to_contain_text("is queued")
    imports = page.locator("#imports")
    expect(imports).to_contain_text("All mail Including Spam and Trash.mbox.gz")

    while run_one_step() is not None:  # the worker's turn; the list polls itself
        pass
    expect(imports).to_contain_text("Done")
    expect(imports).to_contain_text(
        "Read 3 of 3: 2 imported, 0 already there, 0 to triage, 0 rejected."
        " 1 spam left out (Gmail's Spam label, junk folders)."
    )
    assert set(EmailMessage.objects.values_list("message_id", flat=True)) == {
        "m1@acme.example",
        "m3@acme.example",
    }
    assert not any((tmp_path / "data" / "uploads").iterdir())
    assert console.errors == []
