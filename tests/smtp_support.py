"""A real SMTP server on loopback for tests (aiosmtpd): it keeps every message's bytes.

Use the `smtp_server` fixture (tests/outbox/conftest.py, tests/browser/conftest.py):
it starts the server, points the AMENDS_SMTP_* settings at it (no TLS) and yields it;
`smtp_server.messages` lists what arrived, `smtp_server.refuse` makes it refuse
recipients (a set of addresses, or "*" for everyone).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the message exactly as received (after DATA, dot-unstuffed)


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        refuse = self.server.refuse
        if "*" in refuse or address.lower() in refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            self.server.messages.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)
                )
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_smtp_server() -> Iterator[tuple[SmtpServer, Controller]]:
    server = SmtpServer(port=free_port())
    controller = Controller(_Handler(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server, controller
    finally:
        controller.stop()


def smtp_fixture(settings: Any) -> Iterator[SmtpServer]:
    """The body of the `smtp_server` fixture (pytest-django's `settings` passed in)."""
    for server, _ in run_smtp_server():
        settings.AMENDS_SMTP_HOST = server.host
        settings.AMENDS_SMTP_PORT = server.port
        settings.AMENDS_SMTP_SECURITY = "none"
        settings.AMENDS_SMTP_USER = ""
        settings.AMENDS_SMTP_PASSWORD = ""
        settings.AMENDS_SMTP_TIMEOUT = 10
        settings.AMENDS_MAIL_FROM_DOMAIN = "amends.test"
        yield server
