"""A server that lies: it announces a small message (RFC822.SIZE) and then sends a
literal of gigabytes. Amends refuses the literal before reading it, records why on the
account, and imports nothing from it. (Dovecot never lies, so this is a small IMAP
server of the test's own, over real TLS on loopback.)"""

from __future__ import annotations

import shutil
import socket
import ssl
import threading
from pathlib import Path

import pytest

from amends.comms.mailboxes import encrypt_secret, poll_mailbox
from amends.comms.models import EmailMessage, MailboxAccount
from tests.comms_imap.conftest import _make_certificate

pytestmark = pytest.mark.django_db

HUGE = 5 * 1024**3  # what the server claims to send


class LyingServer:
    """Answers just enough IMAP for a poll; its one message is "100 bytes" until fetched."""

    def __init__(self, directory: Path) -> None:
        _make_certificate(directory)
        self.cafile = str(directory / "cert.pem")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.context = context
        self.body_bytes_sent = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(raw,), daemon=True).start()

    def _session(self, raw: socket.socket) -> None:
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(10)
                reader = conn.makefile("rb")
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] lying server ready\r\n")
                for line in reader:
                    tag, _, rest = line.decode().strip().partition(" ")
                    if not self._answer(conn, tag, rest.upper()):
                        return
        except (OSError, ssl.SSLError, ValueError):
            return

    def _answer(self, conn: ssl.SSLSocket, tag: str, command: str) -> bool:
        def say(*lines: str) -> None:
            conn.sendall("".join(f"{line}\r\n" for line in lines).encode())

        if command.startswith("CAPABILITY"):
            say("* CAPABILITY IMAP4rev1 AUTH=PLAIN", f"{tag} OK done")
        elif command.startswith(("EXAMINE", "SELECT")):
            say(
                "* 1 EXISTS",
                "* OK [UIDVALIDITY 7] ok",
                "* OK [UIDNEXT 2] ok",
                f"{tag} OK [READ-ONLY] done",
            )
        elif command.startswith("UID SEARCH"):
            say("* SEARCH 1", f"{tag} OK done")
        elif command.startswith("UID FETCH") and "RFC822.SIZE" in command:
            say("* 1 FETCH (UID 1 RFC822.SIZE 100)", f"{tag} OK done")
        elif command.startswith("UID FETCH"):
            conn.sendall(b"* 1 FETCH (UID 1 BODY[] {%d}\r\n" % HUGE)
            chunk = b"x" * 65536
            for _ in range(64):  # 4 MB of the "5 GB", then the connection drops
                conn.sendall(chunk)
                self.body_bytes_sent += len(chunk)
            return False
        elif command.startswith("LOGOUT"):
            say("* BYE", f"{tag} OK done")
            return False
        else:  # LOGIN, NOOP, ENABLE, ID…
            say(f"{tag} OK done")
        return True

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def lying_server(tmp_path, settings):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed to make the test certificate)")
    server = LyingServer(tmp_path)
    settings.AMENDS_IMAP_CA_FILE = server.cafile
    yield server
    server.close()


def test_a_huge_literal_is_refused_before_it_is_read(world, lying_server):
    account = MailboxAccount.objects.create(
        owner=world.alice,
        client=world.acme,
        host="127.0.0.1",
        port=lying_server.port,
        username="dana",
        secret=encrypt_secret("any password"),
        folder="INBOX",
    )

    result = poll_mailbox(account)

    assert f"{HUGE:,} bytes" in result.error and "not read" in result.error
    account.refresh_from_db()
    assert "not read" in account.last_error
    assert account.last_uid == 0  # the message will be tried again, never half-kept
    assert not EmailMessage.objects.exists()
