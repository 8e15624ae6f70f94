"""`kill -9` halfway through a large import, then a re-run: every batch committed is
whole (messages, timeline, search index agree: each communication is indexed, or listed
as waiting when PostgreSQL's indexer had not caught up), and the re-run ends with exactly
the right count, everything indexed. Runs `amends import` in a subprocess against its
own fresh database (a file on SQLite; a new database on the PostgreSQL server under
test)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.mail import _fresh_database
from bench.mailgen import write_maildir

MESSAGES = 2500
TABLES = {
    "raw": "comms_rawmessage",
    "emails": "comms_emailmessage",
    "comms": "comms_communication",
    "timeline": "clients_timelineentry WHERE kind = 'comm.email'",
    "docs": "search_searchdocument WHERE kind = 'communication'",
    "linked": "comms_emailmessage WHERE communication_id IS NOT NULL",
    "unthreaded": "comms_emailmessage WHERE thread_root_id IS NULL",
    "pending": "search_pendingindex",
}


def _counts(env: dict[str, str]) -> dict[str, int]:
    url = env.get("AMENDS_DATABASE_URL")
    out = {}
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            for name, table in TABLES.items():
                out[name] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        return out
    path = Path(env["AMENDS_DATA_DIR"]) / "amends.sqlite3"
    conn = sqlite3.connect(path, timeout=30)
    try:
        for name, table in TABLES.items():
            try:
                out[name] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except sqlite3.OperationalError:  # not migrated yet
                out[name] = 0
    finally:
        conn.close()
    return out


def _consistent(counts: dict[str, int]) -> None:
    assert counts["raw"] == counts["emails"]
    assert counts["comms"] == counts["linked"] == counts["timeline"]
    assert counts["comms"] == counts["docs"] + counts["pending"]
    assert counts["unthreaded"] == 0


def _amends() -> list[str]:
    script = Path(sys.executable).parent / "amends"
    return [str(script)] if script.exists() else [sys.executable, "-m", "amends.cli"]


def _kill_halfway(path: Path, env: dict[str, str], root: Path) -> None:
    """Start `amends import PATH` and `kill -9` it once 400 emails are stored."""
    proc = subprocess.Popen(
        [*_amends(), "import", str(path)],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    try:
        while _counts(env)["emails"] < 400:
            assert proc.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _run_import(path: Path, env: dict[str, str], root: Path) -> subprocess.CompletedProcess[str]:
    """`amends import PATH` to the end; it must succeed."""
    done = subprocess.run(
        [*_amends(), "import", str(path)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture
def env(tmp_path):
    name = f"amends_kill_test_{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "amends.settings",
        **_fresh_database(name, tmp_path),
    }
    env.pop("AMENDS_TEST_DATABASE", None)
    yield env
    if os.environ.get("AMENDS_DATABASE_URL"):
        import psycopg

        with psycopg.connect(os.environ["AMENDS_DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_kill_9_halfway_then_rerun_ends_with_the_exact_count(tmp_path, env):
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "bench.mail", "_seed"], env=env, cwd=root, check=True, timeout=300
    )
    maildir = write_maildir(tmp_path / "maildir", MESSAGES)
    _kill_halfway(maildir, env, root)
    halfway = _counts(env)
    assert 0 < halfway["emails"] < MESSAGES
    _consistent(halfway)

    done = _run_import(maildir, env, root)
    final = _counts(env)
    assert final["emails"] == MESSAGES
    _consistent(final)
    assert final["pending"] == 0
    assert f"{MESSAGES - halfway['emails']:,} imported" in done.stdout
    assert f"{halfway['emails']:,} already there" in done.stdout


def test_kill_9_during_an_archive_import_then_rerun_removes_what_it_unpacked(tmp_path, env):
    """`amends import export.tgz` killed halfway leaves its unpacked copy in the data
    folder; the next archive import removes it (saying so), and ends with the count."""
    import tarfile

    # On PostgreSQL the data folder (where archives are unpacked) is not the database's.
    env = {**env, "AMENDS_DATA_DIR": env.get("AMENDS_DATA_DIR") or str(tmp_path / "data")}
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "bench.mail", "_seed"], env=env, cwd=root, check=True, timeout=300
    )
    maildir = write_maildir(tmp_path / "maildir", MESSAGES)
    archive = tmp_path / "export.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(maildir, arcname="Maildir")
    uploads = Path(env["AMENDS_DATA_DIR"]) / "uploads"
    _kill_halfway(archive, env, root)
    (left,) = list(uploads.iterdir())
    assert (left / "files" / "Maildir").is_dir()
    halfway = _counts(env)["emails"]
    assert 0 < halfway < MESSAGES

    done = _run_import(archive, env, root)
    assert f"Removed {left}, left by an import that was interrupted." in done.stdout
    assert list(uploads.iterdir()) == []
    final = _counts(env)
    assert final["emails"] == MESSAGES
    _consistent(final)
