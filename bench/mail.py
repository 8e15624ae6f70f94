"""Email import and search benchmark: `python -m bench.mail` (run by `make bench`).

On one generated, realistic Maildir (bench/mailgen.py: multipart/alternative HTML,
quoted replies, small attachments, five charsets, threads, a few messages without
Message-ID or Date), in the same run:

a. a plain standard-library loop: `email.message_from_binary_file(policy=default)` and
   `get_body()` over every file (the floor any Python importer starts from);
b. `notmuch new` into a fresh database (skipped, with a message, without notmuch);
c. `amends import MAILDIR` end to end, in a subprocess, into a fresh database (SQLite;
   PostgreSQL when AMENDS_DATABASE_URL is set, as under scripts/with_postgres.py):
   wall time including start-up, and peak memory (the proportional set size of the
   process tree — the importer and its parsing workers — sampled every 200 ms: each
   sample reads every process's smaps_rollup, ~7 ms of CPU here, and sampled every 50 ms
   the measuring took 1.7 s of CPU from the two cores the import runs on);
d. search latency over N documents (the index seeded directly with bulk rows), ~200
   realistic queries (common and rare words, two words, phrases, partial words) as a
   team member and as an admin: p50 / p95 / max;
e. in the database (c) left: a client added for one of the ten domains whose mail waited
   in triage, and the time the `comms.match_triage` work takes to tie that mail to it,
   against (c)'s rate.

    python -m bench.mail                 # 20,000 messages, 200,000 search documents
    python -m bench.mail --quick         # 2,000 messages, 20,000 documents
    AMENDS_BENCH_MESSAGES=5000 python -m bench.mail

Results go to stdout; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.mailgen import (
    CLIENT_DOMAINS,
    FIRM,
    STAFF,
    WORDS,
    write_maildir,
    write_text_heavy_maildir,
)

NOTMUCH = shutil.which("notmuch")


@dataclass
class Run:
    seconds: float
    peak_mb: float | None = None
    note: str = ""
    env: dict[str, str] | None = None  # the database an import left, for (e)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        mem = 0
    return f"{os.cpu_count()} CPUs ({cpu}), {mem:,} MB RAM, Python {sys.version.split()[0]}"


# --- (a) the standard library ------------------------------------------------------------


def _files(maildir: Path) -> list[Path]:
    return sorted([*(maildir / "cur").iterdir(), *(maildir / "new").iterdir()])


def stdlib_loop(maildir: Path) -> Run:
    start = time.perf_counter()
    for path in _files(maildir):
        with path.open("rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        if body is not None:
            body.get_content()
    return Run(time.perf_counter() - start)


def amends_parse_loop(maildir: Path) -> tuple[Run, Run]:
    """Amends' own parser alone over every file, then the tone scorer alone over the
    text of every message not from the firm (what the import does besides writing)."""
    from amends.comms.importing import ParsedMessage, parse_message
    from amends.comms.tone import score

    texts = []
    start = time.perf_counter()
    for path in _files(maildir):
        parsed = parse_message(path.read_bytes())
        if isinstance(parsed, ParsedMessage) and not parsed.from_address.endswith("@" + FIRM):
            texts.append(parsed.text)
    parsing = Run(time.perf_counter() - start)
    start = time.perf_counter()
    for text in texts:
        score(text)
    return parsing, Run(time.perf_counter() - start, note=f"{len(texts):,} inbound messages")


# --- (b) notmuch ---------------------------------------------------------------------------


def notmuch_new(maildir: Path, work: Path) -> Run | None:
    if NOTMUCH is None:
        return None
    db = work / "notmuch-db"
    db.mkdir()
    config = work / "notmuch-config"
    config.write_text(
        f"[database]\npath={db}\nmail_root={maildir}\n"
        f"[user]\nname=Bench\nprimary_email={STAFF[0]}@{FIRM}\n"
        "[new]\ntags=inbox;unread\nignore=\n[maildir]\nsynchronize_flags=false\n"
    )
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    start = time.perf_counter()
    done = subprocess.run(
        [NOTMUCH, "new", "--quiet"], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return Run(seconds, note=f"notmuch failed: {done.stderr.strip()[:200]}")
    count = subprocess.run(
        [NOTMUCH, "count", "--output=files", "*"], env=env, capture_output=True, text=True
    ).stdout.strip()
    return Run(seconds, note=f"{count} files indexed")


# --- (c) amends import ---------------------------------------------------------------------


SAMPLE_SECONDS = 0.2


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of `pid` and its descendants, in kB (0 once gone). PSS
    splits shared pages between the processes sharing them, so a worker forked from
    another is not counted twice (RSS would)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def _fresh_database(name: str, work: Path) -> dict[str, str]:
    """Environment pointing Amends at a new, empty database."""
    url = os.environ.get("AMENDS_DATABASE_URL", "")
    if not url:
        return {"AMENDS_DATA_DIR": str(work / name)}
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return {"AMENDS_DATABASE_URL": re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", url, count=1)}


def _seed_import_database() -> None:
    """Run in a subprocess: migrate, then the firm's users and its clients (30 of the
    40 client domains; mail from the other 10 waits in triage)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
    django.setup()
    from django.core.management import call_command

    from amends.accounts.actions import create_user
    from amends.clients.actions import add_contact, create_client

    call_command("migrate", verbosity=0)
    users = [
        create_user(None, username=name, password=None, email=f"{name}@{FIRM}") for name in STAFF
    ]
    for i, domain in enumerate(CLIENT_DOMAINS[:30]):
        client = create_client(
            None, name=f"Client {domain}", owner=users[i % len(users)], email_domains=domain
        )
        add_contact(users[0], client, name="Dana", email=f"dana@{domain}")


def amends_import(maildir: Path, work: Path, tag: str) -> Run:
    env = {**os.environ, **_fresh_database(f"amends_bench_import_{tag}", work)}
    env["DJANGO_SETTINGS_MODULE"] = "amends.settings"
    subprocess.run([sys.executable, "-m", "bench.mail", "_seed"], env=env, check=True)
    amends = Path(sys.executable).parent / "amends"
    command = [str(amends)] if amends.exists() else [sys.executable, "-m", "amends.cli"]
    out = work / f"import-{tag}.out"
    peak = 0
    start = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen(
            [*command, "import", str(maildir)], env=env, stdout=fh, stderr=subprocess.STDOUT
        )
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_pss_kb(proc.pid))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
    text = out.read_text(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"amends import failed ({proc.returncode}):\n{text[-2000:]}")
    imported = re.search(r"([\d,]+) imported\n", text)
    # Only the sampled tree: the kernel's ru_maxrss of a child also counts the memory of
    # this (forked) benchmark process between fork and exec.
    del usage
    peak_mb = peak / 1024
    note = f"{imported.group(1) if imported else '?'} imported"
    return Run(seconds, peak_mb, note=note, env=env)


def _match_triage_in_database() -> None:
    """Run in a subprocess on the import's database: add a client for the first domain
    whose mail waits in triage, then tie that mail to it as the job does. Prints the
    count and the seconds."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
    django.setup()
    from amends.accounts.models import User
    from amends.clients.actions import create_client
    from amends.comms.triage_actions import match_waiting

    owner = User.objects.order_by("pk").first()
    create_client(None, name="Late client", owner=owner, email_domains=CLIENT_DOMAINS[30])
    start = time.perf_counter()
    placed = match_waiting()
    print(placed, time.perf_counter() - start)


def triage_match(imported: Run) -> Run:
    env = imported.env or {}
    out = subprocess.run(
        [sys.executable, "-m", "bench.mail", "_triage"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return Run(float(out[-1]), note=f"{int(out[-2]):,} messages tied")


# --- (d) search ----------------------------------------------------------------------------


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ["a", "e", "i", "o", "u", "ai", "ou"]]
    words = list(dict.fromkeys(WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choices(syllables, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def search_latency(documents: int, queries: int, seed: int = 5) -> dict[str, list[float]]:
    """Seed `documents` search documents over 200 clients, then time `queries` searches
    as a member (on 10 clients' teams) and as an admin. Needs Django set up on a fresh
    database. Returns milliseconds per query, by who asked."""
    from django.db import connection, transaction
    from django.utils import timezone

    from amends.accounts.actions import create_user, set_team_membership
    from amends.clients.models import Client
    from amends.search.models import SearchDocument
    from amends.search.queries import search

    rng = random.Random(seed)
    owner = create_user(None, username="owner", password=None)
    admin = create_user(None, username="admin", password=None, is_admin=True)
    member = create_user(None, username="member", password=None)
    clients = Client.objects.bulk_create(
        Client(name=f"Client {i:03d}", owner=owner) for i in range(200)
    )
    for client in clients[:10]:
        set_team_membership(None, client_id=client.pk, user=member)
    vocab = _vocabulary(rng, 30_000)
    weights = [1 / (rank + 10) ** 1.05 for rank in range(len(vocab))]
    cumulative = []
    acc = 0.0
    for w in weights:
        acc += w
        cumulative.append(acc)
    now = timezone.now()
    client_ids = [c.pk for c in clients]
    bodies: list[str] = []
    with transaction.atomic():
        batch: list[SearchDocument] = []
        for i in range(documents):
            words = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(40, 220))
            title = " ".join(words[:6]).capitalize()
            body = " ".join(words)
            if i % 50 == 0:
                bodies.append(body)
            batch.append(
                SearchDocument(
                    kind="communication",
                    object_id=i + 1,
                    client_id=rng.choice(client_ids),
                    occurred_at=now - timedelta_days(rng.uniform(0, 1500)),
                    title=title,
                    body=body,
                )
            )
            if len(batch) == 5000:
                SearchDocument.objects.bulk_create(batch)
                batch = []
        SearchDocument.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "INSERT INTO search_fts(rowid, title, body, doc_key, scope)"
                    " SELECT id, title, body, kind || ':' || object_id || ':' || client_id,"
                    " 'c' || client_id FROM search_searchdocument"
                )
            else:
                cursor.execute(
                    "UPDATE search_searchdocument SET search_vector ="
                    " setweight(to_tsvector('english', title), 'A')"
                    " || setweight(to_tsvector('english', body), 'B')"
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize")
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")

    common, middle, rare = vocab[:200], vocab[200:3000], vocab[3000:20_000]
    texts: list[str] = []
    for i in range(queries):
        kind = i % 6
        if kind == 0:
            texts.append(rng.choice(common))
        elif kind == 1:
            texts.append(rng.choice(middle))
        elif kind == 2:
            texts.append(rng.choice(rare))
        elif kind == 3:
            texts.append(f"{rng.choice(common)} {rng.choice(middle)}")
        elif kind == 4:
            words = rng.choice(bodies).split()
            at = rng.randrange(len(words) - 2)
            texts.append('"' + " ".join(words[at : at + 2]) + '"')
        else:
            texts.append(rng.choice(middle)[:5])
    for text in texts[:20]:  # warm the caches
        search(admin, text)
    kinds = ["common word", "mid word", "rare word", "two words", "phrase", "partial word"]
    timings: dict[str, list[float]] = {"member": [], "admin": []}
    for i, text in enumerate(texts):
        who, user = ("member", member) if i % 2 else ("admin", admin)
        start = time.perf_counter()
        page = search(user, text, limit=20)
        list(page.hits)
        elapsed = (time.perf_counter() - start) * 1000
        timings[who].append(elapsed)
        timings.setdefault(f"  {kinds[i % 6]}", []).append(elapsed)
    return timings


def timedelta_days(days: float) -> Any:
    from datetime import timedelta

    return timedelta(days=days)


def _search_in_fresh_database(work: Path, documents: int, queries: int) -> dict[str, list[float]]:
    env = _fresh_database("amends_bench_search", work)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return search_latency(documents, queries)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_seed"]:
        _seed_import_database()
        return 0
    if argv[:1] == ["_triage"]:
        _match_triage_in_database()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages", type=int, default=int(os.environ.get("AMENDS_BENCH_MESSAGES", 20_000))
    )
    parser.add_argument(
        "--documents", type=int, default=int(os.environ.get("AMENDS_BENCH_DOCUMENTS", 200_000))
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="2,000 messages, 20,000 documents")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.documents = min(args.messages, 2000), min(args.documents, 20_000)

    engine = "postgresql" if os.environ.get("AMENDS_DATABASE_URL") else "sqlite"
    with tempfile.TemporaryDirectory(prefix="amends-mailbench-") as tmp:
        work = Path(tmp)
        maildir = work / "maildir"
        t = time.perf_counter()
        write_maildir(maildir, args.messages)
        size = sum(p.stat().st_size for p in _files(maildir))
        print(
            f"Email benchmark — {engine}; {args.messages:,} messages "
            f"({size / 1024 / 1024:.0f} MB Maildir, generated in {time.perf_counter() - t:.0f} s)"
        )
        print(f"Machine: {_machine()}")
        n = args.messages
        stdlib = stdlib_loop(maildir)  # also warms the page cache for everyone
        parsing, scoring = amends_parse_loop(maildir)
        notmuch = notmuch_new(maildir, work)
        ours = amends_import(maildir, work, engine)
        print(f"{'import':<40}{'seconds':>9}{'msg/s':>9}{'peak MB':>9}")
        rows = [
            ("stdlib parse loop (policy=default)", stdlib),
            ("  amends parser alone (one process)", parsing),
            ("  amends tone scoring alone (VADER)", scoring),
        ]
        if notmuch is not None:
            rows.append(("notmuch new", notmuch))
        rows.append((f"amends import ({engine}, end to end)", ours))
        for name, run in rows:
            peak = f"{run.peak_mb:9.0f}" if run.peak_mb is not None else f"{'':>9}"
            print(f"{name:<40}{run.seconds:9.1f}{n / run.seconds:9.0f}{peak}  {run.note}")
        if notmuch is None:
            print("notmuch: not installed; skipped (apt install notmuch)")
        else:
            print(f"amends vs notmuch new: {notmuch.seconds / ours.seconds:.2f}× (target ≥ 3×)")
        print(f"amends vs stdlib loop: {stdlib.seconds / ours.seconds:.2f}×")
        print(f"peak memory: {ours.peak_mb:.0f} MB (target < 250 MB)")
        late = triage_match(ours)
        count = int(late.note.split()[0].replace(",", ""))
        rate = count / late.seconds if late.seconds else 0.0
        print(
            f"triage matching (a client added after the import): {late.note} in"
            f" {late.seconds:.1f} s, {rate:.0f} msg/s"
            f" ({n / ours.seconds / rate if rate else 0:.0f}× slower than importing)"
        )
        # Memory's worst case: every message 64 KB of plain text, so a batch holds as much
        # text as raw mail (the generated mailbox above averages 6 KB, mostly not text).
        heavy_count = 500 if args.quick else 2000
        heavy = amends_import(
            write_text_heavy_maildir(work / "text-heavy", heavy_count), work, f"{engine}_text"
        )
        print(
            f"text-heavy mailbox ({heavy_count:,} messages of 64 KB of text): "
            f"{heavy.seconds:.1f} s, peak memory {heavy.peak_mb:.0f} MB (target < 250 MB)"
        )
        if not args.skip_search:
            timings = _search_in_fresh_database(work, args.documents, args.queries)
            print(f"search over {args.documents:,} documents, {args.queries} queries (ms):")
            print(f"{'':<16}{'p50':>8}{'p95':>8}{'max':>8}")
            everything = [*timings["member"], *timings["admin"]]
            for who, values in [("all", everything), *timings.items()]:
                print(
                    f"{who:<16}{statistics.median(values):8.1f}"
                    f"{_percentile(values, 0.95):8.1f}{max(values):8.1f}"
                )
            print("target: p95 < 50 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
