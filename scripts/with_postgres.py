#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL server.

    python scripts/with_postgres.py -- CMD [ARGS...]

Starts a private PostgreSQL server in a temporary directory (TCP on 127.0.0.1,
a free port, trust auth, durability switched off for speed), runs CMD with

    AMENDS_DATABASE_URL=postgres://amends@127.0.0.1:PORT/amends
    AMENDS_TEST_DATABASE=postgres

in its environment, then stops the server and deletes the directory -- also
when CMD fails or this script gets SIGINT/SIGTERM -- and exits with CMD's exit
code. The `amends` role is the bootstrap superuser, so the Django test runner
can create and drop its own test database.

If PostgreSQL's server binaries are not installed, prints a SKIPPED line and
exits 0. Set AMENDS_PG_BIN to a directory holding initdb/pg_ctl to choose a
particular installation.

PostgreSQL refuses to run as root: when run as root the server runs as the
`postgres` system user (or `nobody`), which owns the temporary directory.

Standard library only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

DB_USER = "amends"
DB_NAME = "amends"
PREFIX = "with_postgres:"

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class ServerError(Exception):
    pass


def say(message: str) -> None:
    print(f"{PREFIX} {message}", file=sys.stderr, flush=True)


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", Path(path).parent.name) or ["0"])


def find_bindir() -> Path | None:
    """Directory holding initdb, pg_ctl and postgres, or None."""
    needed = ("initdb", "pg_ctl", "postgres")
    candidates: list[Path] = []
    if os.environ.get("AMENDS_PG_BIN"):
        candidates.append(Path(os.environ["AMENDS_PG_BIN"]))
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).resolve().parent)
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin"):
        found = sorted(glob.glob(pattern + "/pg_ctl"), key=_version_key, reverse=True)
        candidates.extend(Path(p).parent for p in found)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in needed):
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_account() -> pwd.struct_passwd | None:
    """The account to run the server as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServerError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _world_traversable(path: Path) -> bool:
    return all(part.stat().st_mode & 0o001 for part in [path, *path.parents])


class Postgres:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.account = server_account()
        base = Path(tempfile.gettempdir())
        if self.account is not None and not _world_traversable(base):
            # The server user must be able to reach its directory.
            base = Path("/tmp")  # noqa: S108
        self.root = Path(tempfile.mkdtemp(prefix="amends-pg-", dir=base))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = 0
        self.started = False
        if self.account is not None:
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(
        self, args: Sequence[str], *, check: bool = True, timeout: float = 120, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        extra: dict[str, object] = {}
        if self.account is not None:
            env["HOME"] = str(self.root)
            env["USER"] = env["LOGNAME"] = self.account.pw_name
            extra = {
                "user": self.account.pw_uid,
                "group": self.account.pw_gid,
                "extra_groups": [],
            }
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **extra,  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )
        if check and result.returncode != 0:
            raise ServerError(
                f"{args[0]} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result

    def init(self) -> None:
        self._run(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                DB_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]
        )
        self.sockets.mkdir(mode=0o700)
        if self.account is not None:
            os.chown(self.sockets, self.account.pw_uid, self.account.pw_gid)
        settings = dict(SERVER_SETTINGS, unix_socket_directories=f"'{self.sockets}'")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# with_postgres.py: throwaway test server\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def start(self, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            result = self._run(
                [
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port}",
                ],
                check=False,
                start_new_session=True,  # keep the server out of our process group
            )
            if result.returncode == 0:
                self.started = True
                break
            port_taken = "could not bind" in self.server_log() or "in use" in self.server_log()
            if attempt == attempts or not port_taken:
                raise ServerError(f"pg_ctl start failed:\n{result.stdout}{result.stderr}")
            say(f"port {self.port} was taken, retrying")
        self._run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME])

    def version(self) -> str:
        result = self._run(["postgres", "--version"], check=False)
        return result.stdout.strip().replace("postgres (PostgreSQL) ", "PostgreSQL ")

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def _postmaster_pid(self) -> int | None:
        # The first line is the PID, negated for a standalone (initdb) backend.
        try:
            pid = abs(int((self.data / "postmaster.pid").read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid > 1 else None

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                result = self._run(
                    ["pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30"],
                    check=False,
                    timeout=60,
                )
                stopped = result.returncode == 0
            except subprocess.TimeoutExpired:
                stopped = False
            pid = self._postmaster_pid()
            if not stopped and pid is not None and _is_postgres(pid):
                say(f"pg_ctl stop failed; killing postmaster {pid}")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    time.sleep(0.5)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            say(f"could not remove {self.root}")


def _is_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster")
    except OSError:
        return False


def _tty_sent_it() -> bool:
    """True if we are the terminal's foreground process group.

    Then a Ctrl-C reached the whole group, the command included, and must not be
    forwarded a second time.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def run_command(command: Sequence[str], env: dict[str, str]) -> int:
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as exc:
        say(f"cannot run {command[0]!r}: {exc}")
        return 127
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        if child.poll() is not None:
            return
        if len(received) > 2:
            child.kill()
        elif not (signum == signal.SIGINT and _tty_sent_it()):
            child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    returncode = child.wait()
    return 128 + -returncode if returncode < 0 else returncode


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if "--" in args:
        args = args[args.index("--") + 1 :]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2

    bindir = find_bindir()
    if bindir is None:
        print(
            "SKIPPED: PostgreSQL test pass — PostgreSQL is not installed "
            "(apt-get install postgresql)",
            flush=True,
        )
        return 0

    def interrupt(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)

    server: Postgres | None = None
    try:
        try:
            server = Postgres(bindir)
            server.init()
            server.start()
        except (ServerError, OSError, subprocess.SubprocessError) as exc:
            say(f"could not start PostgreSQL from {bindir}: {exc}")
            if server is not None and server.server_log():
                say(f"server log ({server.log}):")
                print(server.server_log(), file=sys.stderr, flush=True)
            return 1
        as_user = f" as {server.account.pw_name}" if server.account else ""
        say(f"{server.version()} running{as_user} at {server.url} (data in {server.root})")
        env = dict(os.environ, AMENDS_DATABASE_URL=server.url, AMENDS_TEST_DATABASE="postgres")
        return run_command(args, env)
    except Interrupted as exc:
        say(f"interrupted by {exc}")
        return 128 + exc.signum
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            server.stop()
            server.remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
