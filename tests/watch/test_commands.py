"""`amends worker` and the worker embedded in `amends serve`, as real subprocesses
against a throwaway SQLite data directory."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from amends.watch.models import Job
from tests.cli.test_serve import AMENDS, ROOT, _env, _run, _Server

ENQUEUE = (
    "from amends.watch.actions import enqueue_job; "
    "print(enqueue_job(None, kind={kind!r}, payload={payload!r}).pk)"
)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    result = _run(tmp_path, "migrate", "--noinput", "-v0")
    assert result.returncode == 0, result.stderr
    return tmp_path


def _enqueue(data_dir: Path, kind: str = "noop", payload: dict | None = None) -> int:
    code = ENQUEUE.format(kind=kind, payload=payload or {})
    result = _run(data_dir, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def _statuses(data_dir: Path) -> dict[int, str]:
    """The jobs' statuses, read straight from the data directory's database: at once,
    where a `amends shell` took seconds to start on a loaded machine and could miss a
    short job's whole run."""
    path = data_dir / "amends.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        return dict(db.execute(f"SELECT id, status FROM {Job._meta.db_table}").fetchall())


def _wait_for_status(data_dir: Path, job_id: int, status: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _statuses(data_dir).get(job_id) == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never became {status}: {_statuses(data_dir)}")


def test_worker_once_runs_what_is_due_and_exits(data_dir):
    ids = [_enqueue(data_dir), _enqueue(data_dir, "demo.count", {"to": 3, "delay": 0})]
    result = _run(data_dir, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "stopped after 2 job(s)" in result.stdout
    assert _statuses(data_dir) == dict.fromkeys(ids, "done")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_worker_promptly_and_cleanly(data_dir, sig):
    proc = subprocess.Popen(
        [*AMENDS, "worker", "--poll", "30"],
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "is running" in proc.stdout.readline()
        proc.send_signal(sig)
        # It was idle with a 30 s poll: stopping must not wait for the poll.
        assert proc.wait(timeout=15) == 0
        assert "stopped after 0 job(s)" in proc.stdout.read()
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_sigterm_lets_the_current_job_finish(data_dir):
    job_id = _enqueue(data_dir, "sleep", {"seconds": 2})
    proc = subprocess.Popen(
        [*AMENDS, "worker", "--poll", "0.1"],
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_status(data_dir, job_id, "running")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert _statuses(data_dir)[job_id] == "done"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_the_worker_refuses_an_unmigrated_database(tmp_path):
    result = _run(tmp_path, "worker", "--once")
    assert result.returncode == 1 and "amends migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_runs_queued_jobs_in_its_embedded_worker(data_dir):
    job_id = _enqueue(data_dir, "demo.count", {"to": 2, "delay": 0})
    server = _Server(data_dir)
    try:
        line = server.wait_for("Amends is running on")
        server.wait_for("Background worker running")
        url = line.split("running on ", 1)[1].split(" ", 1)[0]
        _wait_for_status(data_dir, job_id, "done")
        with urllib.request.urlopen(url + "healthz", timeout=10) as response:
            assert response.status == 200
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0
        server.wait_for("Amends stopped.", timeout=5)
    finally:
        server.stop()


def test_serve_with_no_worker_leaves_jobs_queued(data_dir):
    job_id = _enqueue(data_dir)
    server = _Server(data_dir, "--no-worker")
    try:
        server.wait_for("Amends is running on")
        server.wait_for("No embedded worker")
        time.sleep(1)  # give a (wrongly) running worker time to act; not a timing assertion
        assert _statuses(data_dir)[job_id] == "queued"
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0
    finally:
        server.stop()
