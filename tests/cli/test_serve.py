"""The real `amends` command in a subprocess: serve, help, and errors without tracebacks."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AMENDS = [sys.executable, "-m", "amends.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Always a throwaway SQLite database, even when the suite runs against PostgreSQL.
    env.pop("AMENDS_DATABASE_URL", None)
    env.update(
        AMENDS_DATA_DIR=str(data_dir),
        AMENDS_SECRET_KEY="test-only-not-secret",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="amends.settings",
    )
    return env


def _run(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AMENDS, *args],
        cwd=ROOT,
        env=_env(data_dir),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("amends-data")
    result = _run(data_dir, "migrate", "--noinput", "-v0")
    assert result.returncode == 0, result.stderr
    return data_dir


class _Server:
    def __init__(self, data_dir: Path, *args: str):
        self.proc = subprocess.Popen(
            [*AMENDS, "serve", "--host", "127.0.0.1", "--port", "0", *args],
            cwd=ROOT,
            env=_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"never printed {text!r}; output was:\n{''.join(seen)}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_answers_and_stops_cleanly_on_a_signal(migrated, sig):
    server = _Server(migrated)
    try:
        line = server.wait_for("Amends is running on")
        assert "— press Ctrl+C to stop" in line
        url = line.split("running on ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        with urllib.request.urlopen(url + "healthz", timeout=10) as response:
            assert response.status == 200
        started = time.monotonic()
        server.proc.send_signal(sig)
        assert server.proc.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
        server.wait_for("Amends stopped.", timeout=5)
    finally:
        server.stop()


def test_serve_refuses_an_unmigrated_database(tmp_path):
    result = _run(tmp_path, "serve", "--port", "0")
    assert result.returncode == 1
    assert "amends migrate" in result.stderr and "Traceback" not in result.stderr


def test_serve_help_mentions_the_worker_option(tmp_path):
    result = _run(tmp_path, "serve", "--help")
    assert result.returncode == 0
    assert "--no-worker" in result.stdout and "amends worker" in " ".join(result.stdout.split())
    assert "--threads" in result.stdout and "AMENDS_PORT" in result.stdout


def test_the_commands_are_listed(tmp_path):
    result = _run(tmp_path, "help")
    assert result.returncode == 0
    for name in ("serve", "demo", "createuser", "backup", "restore"):
        assert f"    {name}\n" in result.stdout


def test_a_validation_error_exits_non_zero_without_a_traceback(migrated):
    result = _run(migrated, "createuser", "shorty", "--password-stdin", stdin="abc\n")
    assert result.returncode == 1
    assert "too short" in result.stderr and "Traceback" not in result.stderr


def test_demo_then_backup_then_restore_through_the_real_command(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    assert _run(data, "migrate", "--noinput", "-v0").returncode == 0
    demo = _run(data, "demo", "--if-empty")
    assert demo.returncode == 0 and "amends-demo-2026" in demo.stdout
    archive = tmp_path / "demo.zip"
    assert _run(data, "backup", str(archive)).returncode == 0
    refused = _run(data, "restore", str(archive))
    assert refused.returncode == 1 and "--force" in refused.stderr
    restored = _run(data, "restore", str(archive), "--force")
    assert restored.returncode == 0 and "Restored" in restored.stdout


def test_the_installed_console_script_runs(tmp_path):
    script = Path(sys.executable).parent / "amends"
    if not script.exists():
        pytest.skip("the amends console script is not installed (pip install -e .)")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, env=_env(tmp_path)
    )
    assert result.returncode == 0
    for name in ("serve", "demo", "createuser", "backup", "restore"):
        assert name in result.stdout
