"""A real Dovecot IMAP server for the mailbox tests, started in a temporary directory.

It listens on 127.0.0.1 on a free port with SSL only (a self-signed certificate made
here), checks passwords against a passwd-file, and keeps mail in Maildirs under the
temporary directory. As root (CI) its login and internal processes run as Debian's
`dovenull` and `dovecot` users and mail belongs to `dovecot`; as anyone else, everything
runs as the current user. Each test gets a fresh mail user, so tests do not see each
other's mail. The tests are skipped, saying why, when Dovecot is not installed.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

DOVECOT = "/usr/sbin/dovecot"
START_TIMEOUT = 20.0
USERS = 500  # one per test that needs a mailbox of its own


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_certificate(directory: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


@dataclass
class MailUser:
    username: str
    password: str


@dataclass
class Dovecot:
    """A running Dovecot: `host`, `port`, `cafile` (its certificate) and helpers to make
    users and put mail in their folders."""

    root: Path
    host: str
    port: int
    cafile: str
    _counter: itertools.count

    users: list[MailUser]

    def new_user(self) -> MailUser:
        # Users are written before the server starts: Dovecot notices a changed
        # passwd-file by its modification time, too coarse for tests a second apart.
        return self.users[next(self._counter)]

    def client(self, user: MailUser) -> IMAPClient:
        context = ssl.create_default_context(cafile=self.cafile)
        imap = IMAPClient(self.host, port=self.port, ssl=True, ssl_context=context, timeout=10)
        imap.login(user.username, user.password)
        return imap

    def deliver(self, user: MailUser, *messages: bytes, folder: str = "INBOX") -> None:
        """Put messages in a folder (IMAP APPEND, which keeps the bytes as given)."""
        imap = self.client(user)
        try:
            if folder != "INBOX" and not imap.folder_exists(folder):
                imap.create_folder(folder)
            for message in messages:
                imap.append(folder, message)
        finally:
            imap.logout()

    def recreate_folder(self, user: MailUser, folder: str) -> None:
        """Delete and create a folder again: it gets a new UIDVALIDITY."""
        imap = self.client(user)
        try:
            imap.delete_folder(folder)
            imap.create_folder(folder)
        finally:
            imap.logout()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _config(root: Path, port: int, as_root: bool) -> str:
    me = pwd.getpwuid(os.getuid())
    if as_root:
        # Dovecot refuses to run its login processes as root.
        users = (
            "default_internal_user = dovecot\n"
            "default_internal_group = dovecot\n"
            "default_login_user = dovenull\n"
            f"first_valid_uid = {pwd.getpwnam('dovecot').pw_uid}\n"
        )
        mail_owner = "uid=dovecot gid=dovecot"
    else:
        users = (
            f"default_internal_user = {me.pw_name}\n"
            f"default_internal_group = {grp.getgrgid(me.pw_gid).gr_name}\n"
            f"default_login_user = {me.pw_name}\n"
            f"first_valid_uid = {me.pw_uid}\n"
        )
        mail_owner = f"uid={me.pw_uid} gid={me.pw_gid}"
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = amends-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
{users}
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  # A sent folder by another name than the usual ones, marked as such (RFC 6154), as
  # many servers do in the user's language: Amends must find it by its mark.
  mailbox Gesendet {{
    special_use = \\Sent
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = {mail_owner} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def _wait_for(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    logs = [root / "console.log", root / "dovecot.log"]
    text = "\n".join(p.read_text(errors="replace") for p in logs if p.exists())
    raise RuntimeError(f"Dovecot did not start on port {port}:\n{text}")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip(f"Dovecot is not installed ({DOVECOT} is missing: apt install dovecot-imapd)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed to make the test certificate)")
    version = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True)
    if version.returncode != 0 or not version.stdout.startswith("2."):
        pytest.skip(f"Unsupported Dovecot: {version.stdout or version.stderr}")
    as_root = os.getuid() == 0
    if as_root:
        try:
            pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
        except KeyError:
            pytest.skip(
                "As root, Dovecot needs its `dovecot` and `dovenull` users "
                "(Debian's dovecot-core package makes them)"
            )
    root = Path(tempfile.mkdtemp(prefix="amends-dovecot-"))
    try:
        os.chmod(root, 0o755)  # Dovecot's unprivileged processes must reach their sockets
        for name in ("run", "state", "mail"):
            (root / name).mkdir()
        if as_root:
            dovecot_user = pwd.getpwnam("dovecot")
            os.chown(root / "mail", dovecot_user.pw_uid, dovecot_user.pw_gid)
        users = [MailUser(f"user{n}", secrets.token_hex(8)) for n in range(USERS)]
        (root / "passwd").write_text(
            "".join(f"{u.username}:{{PLAIN}}{u.password}::::::\n" for u in users)
        )
        _make_certificate(root)
        port = _free_port()
        (root / "dovecot.conf").write_text(_config(root, port, as_root))
        with open(root / "console.log", "wb") as console:
            process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_for(port, process, root)
            yield Dovecot(root, "127.0.0.1", port, str(root / "cert.pem"), itertools.count(), users)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mail_user(dovecot: Dovecot) -> MailUser:
    return dovecot.new_user()


@pytest.fixture
def trust_dovecot(settings, dovecot: Dovecot) -> Dovecot:
    """Amends trusts the test server's self-signed certificate (AMENDS_IMAP_CA_FILE)."""
    settings.AMENDS_IMAP_CA_FILE = dovecot.cafile
    return dovecot


@pytest.fixture(autouse=True)
def allow_private_mail_servers(settings):
    """The test Dovecot listens on loopback, which Amends refuses by default."""
    settings.AMENDS_IMAP_ALLOW_PRIVATE = True
