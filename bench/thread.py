"""The thread page of a long conversation: `python -m bench.thread [--messages 200]`.

Generates one thread of `--messages` messages (`bench/mailgen.py`: multipart with HTML
alternatives, quoted replies, attachments, several charsets), imports it, then times the
page a user opens to read it (`comms:thread`, through Django's test client: query,
rendering the open messages — the one asked for and the newest three; the others are
listed folded — and the template), cold (nothing rendered yet) and warm (renders kept by
`comms.rendering`'s cache), and unfolding one earlier message (`comms:thread_message`,
the fragment the page fetches), cold. The baseline, measured in the same run on the same
messages, is the standard library's parse of each raw message and its body
(`message_from_bytes(policy=default)` + `get_body()`): the floor any renderer starts
from. Results go to stdout; copy them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="amends-bench-thread-") as tmp:
        os.environ["AMENDS_DATA_DIR"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
        import django

        django.setup()
        from django.core.cache import caches
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client as Browser
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from amends.accounts.actions import create_user
        from amends.clients.actions import create_client
        from amends.comms.actions import import_path
        from amends.comms.models import EmailMessage
        from bench import mailgen

        call_command("migrate", verbosity=0)
        setup_test_environment()  # the test client's host and settings
        box = mailgen.Mailbox()
        choose = box.rng.choice
        # One thread of the length asked for (mailgen picks 1–8 messages a thread).
        box.rng.choice = lambda seq: (  # type: ignore[method-assign]
            args.messages if seq == [1, 1, 2, 2, 3, 3, 4, 5, 6, 8] else choose(seq)
        )
        folder = Path(tmp) / "thread"
        folder.mkdir()
        raws = box.thread()
        for i, raw in enumerate(raws):
            (folder / f"{i:04d}.eml").write_bytes(raw)
        owner = create_user(None, username="owner", password="bench-pass-2026", is_admin=True)
        client = create_client(None, name="Thread Co", owner=owner)
        imported = import_path(None, folder, client=client).imported
        first = EmailMessage.objects.order_by("occurred_at", "pk").first()
        assert first is not None
        url = reverse("comms:thread", args=[first.pk])
        browser = Browser()
        browser.force_login(owner)

        def floor() -> float:
            t = time.perf_counter()
            for raw in raws:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                body = msg.get_body(preferencelist=("html", "plain"))  # type: ignore[attr-defined]
                if body is not None:
                    body.get_content()
            return (time.perf_counter() - t) * 1000

        def page(cold: bool) -> float:
            if cold:
                caches["rendered"].clear()
            t = time.perf_counter()
            response = browser.get(url)
            elapsed = (time.perf_counter() - t) * 1000
            assert response.status_code == 200, response.status_code
            return elapsed

        middle = EmailMessage.objects.order_by("occurred_at", "pk")[imported // 2]
        fragment_url = reverse("comms:thread_message", args=[middle.pk])

        def unfold() -> float:
            caches["rendered"].clear()
            t = time.perf_counter()
            response = browser.get(fragment_url)
            elapsed = (time.perf_counter() - t) * 1000
            assert response.status_code == 200, response.status_code
            return elapsed

        page(cold=True)  # warm up templates and connections
        unfold()
        floors = [floor() for _ in range(args.repeat)]
        colds = [page(cold=True) for _ in range(args.repeat)]
        warms = [page(cold=False) for _ in range(args.repeat)]
        unfolds = [unfold() for _ in range(args.repeat)]
        size = len(browser.get(url).content)

    base = statistics.median(floors)
    cold, warm = statistics.median(colds), statistics.median(warms)
    one = statistics.median(unfolds)
    print(
        f"thread page, {imported} messages ({connection.vendor}, {size // 1024} KB of HTML;"
        f" median of {args.repeat}):"
    )
    print(f"  stdlib parse of every message (baseline)  {base:7.1f} ms")
    print(f"  page, nothing rendered yet               {cold:7.1f} ms  ({cold / base:.2f}x)")
    print(f"  page, renders kept                       {warm:7.1f} ms  ({warm / base:.2f}x)")
    print(f"  unfolding one earlier message            {one:7.1f} ms  ({one / base:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
