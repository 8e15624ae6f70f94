#!/usr/bin/env python3
"""Take a full-page screenshot of a page with the system Chromium.

    .venv/bin/python scripts/screenshot.py URL OUT.png [--width 1280] [--height 900]
                                          [--login USER:PASSWORD]

Drives Debian's /usr/bin/chromium (apt-get install chromium) headless through
Playwright; no Playwright browser download is used. With --login, first signs
in through the form at /accounts/login/ on the same host as URL.
"""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urljoin, urlsplit

CHROMIUM = os.environ.get("AMENDS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOGIN_PATH = "/accounts/login/"
TIMEOUT_MS = 30_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="page to capture, e.g. http://127.0.0.1:8000/")
    parser.add_argument("out", help="PNG file to write")
    parser.add_argument("--width", type=int, default=1280, help="viewport width (default 1280)")
    parser.add_argument("--height", type=int, default=900, help="viewport height (default 900)")
    parser.add_argument("--login", metavar="USER:PASSWORD", help="sign in first")
    parser.add_argument("--viewport", action="store_true", help="only the visible window")
    args = parser.parse_args(argv)
    if args.login is not None and ":" not in args.login:
        parser.error("--login must be USER:PASSWORD")
    if urlsplit(args.url).scheme not in ("http", "https"):
        parser.error("URL must start with http:// or https://")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not os.access(CHROMIUM, os.X_OK):
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: run `make venv`", file=sys.stderr)
        return 2

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": args.width, "height": args.height})
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                if args.login:
                    username, _, password = args.login.partition(":")
                    login_url = urljoin(args.url, LOGIN_PATH)
                    page.goto(login_url, wait_until="domcontentloaded")
                    page.fill("input[name=username]", username)
                    page.fill("input[name=password]", password)
                    with page.expect_navigation(wait_until="domcontentloaded"):
                        page.click("form [type=submit]")
                    if urlsplit(page.url).path == LOGIN_PATH:
                        print(f"login as {username!r} failed", file=sys.stderr)
                        return 1
                response = page.goto(args.url, wait_until="networkidle")
                page.screenshot(path=args.out, full_page=not args.viewport)
                status = response.status if response is not None else "?"
                print(f"{args.out}: {page.url} (HTTP {status}, {args.width}x{args.height})")
            finally:
                browser.close()
    except PlaywrightError as exc:
        print(f"screenshot failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
