"""Amends benchmarks: `make bench` (or `python -m bench [--clients N]`).

Each figure is compared with a baseline measured in the same run on the same data, so the
numbers mean something on any machine:

1. write path — recording items inside cases through `cases.actions.add_to_case`
   (validation, scoping checks, timeline entry, one transaction each) against a bare
   `Model.objects.create` of the same rows;
2. "Needs attention" for an admin who sees every client (`cases.queries.needs_attention`)
   against the plain SQL reads of the same candidate rows with no clocks or scoping;
3. the case page's "what the method asks next" (`cases.queries.guidance`) against a bare
   fetch of the case's children.

Results go to stdout; copy them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta


def _setup(data_dir: str) -> None:
    os.environ["AMENDS_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up caches and connections
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--cases-per-client", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="amends-bench-") as tmp:
        _setup(tmp)
        from django.db import connection
        from django.utils import timezone

        from amends.accounts.actions import create_user
        from amends.cases.actions import add_to_case, open_case
        from amends.cases.models import Case, Commitment
        from amends.cases.queries import guidance, needs_attention
        from amends.clients.actions import create_client
        from amends.comms.actions import record_communication
        from amends.comms.models import Communication

        now = timezone.now()
        admin = create_user(None, username="bench", password=None, is_admin=True)
        owner = create_user(None, username="owner", password=None)
        cases: list[Case] = []
        for i in range(args.clients):
            client = create_client(
                None, name=f"Client {i:04d}", owner=owner, timezone="Europe/London"
            )
            record_communication(
                owner,
                client,
                channel="email",
                direction="in",
                summary="Where are we?",
                occurred_at=now - timedelta(hours=i % 40),
            )
            for j in range(args.cases_per_client):
                cases.append(
                    open_case(
                        owner,
                        client,
                        title=f"Case {i}-{j}",
                        opened_at=now - timedelta(days=j, hours=i % 24),
                    )
                )

        kinds = [
            ("concern", {"text": "We were not told the launch would slip."}),
            (
                "action",
                {
                    "title": "Send a written plan",
                    "owner": owner,
                    "deadline": (now - timedelta(days=1)).date(),
                    "success_measure": "Client confirms",
                },
            ),
            ("commitment", {"what": "Call back", "due_at": now + timedelta(hours=12)}),
            ("checkin", {"scheduled_at": now + timedelta(days=1)}),
        ]
        t = time.perf_counter()
        for case in cases:
            for kind, fields in kinds:
                add_to_case(owner, case, kind, **fields)
        action_s = time.perf_counter() - t
        writes = len(cases) * len(kinds)

        t = time.perf_counter()
        for case in cases:
            Commitment.objects.create(case=case, what="Call back", due_at=now + timedelta(hours=12))
            Commitment.objects.create(case=case, what="Call back", due_at=now + timedelta(hours=12))
            Commitment.objects.create(case=case, what="Call back", due_at=now + timedelta(hours=12))
            Commitment.objects.create(case=case, what="Call back", due_at=now + timedelta(hours=12))
        raw_s = time.perf_counter() - t

        def attention() -> object:
            return needs_attention(admin, now)

        def baseline_attention() -> object:
            return (
                list(Case.objects.filter(first_response_at__isnull=True)),
                list(Communication.objects.filter(direction="in")),
                list(Commitment.objects.filter(status="pending", due_at__lte=now + timedelta(2))),
            )

        att_ms = _median_ms(attention, args.repeat)
        base_ms = _median_ms(baseline_attention, args.repeat)
        items = attention().total  # type: ignore[attr-defined]

        sample = cases[len(cases) // 2]

        def guide() -> object:
            return guidance(Case.objects.get(pk=sample.pk), now)

        def baseline_guide() -> object:
            case = Case.objects.get(pk=sample.pk)
            return (list(case.concerns.all()), list(case.actions.all()), list(case.checkins.all()))

        guide_ms = _median_ms(guide, args.repeat * 4)
        guide_base_ms = _median_ms(baseline_guide, args.repeat * 4)

        engine = connection.vendor
        print(
            f"Amends benchmarks — {engine}, {args.clients} clients, {len(cases)} cases, "
            f"Python {sys.version.split()[0]}"
        )
        print(f"{'measure':<44}{'amends':>12}{'baseline':>12}{'ratio':>8}")
        rows = [
            (
                "write path: items recorded per second",
                writes / action_s,
                4 * len(cases) / raw_s,
                "/s",
            ),
            (f"needs attention, {items} items (median ms)", att_ms, base_ms, "ms"),
            ("case guidance panel (median ms)", guide_ms, guide_base_ms, "ms"),
        ]
        for name, ours, base, unit in rows:
            ratio = ours / base if unit == "ms" else base / ours
            print(f"{name:<44}{ours:>10.1f}{unit:>2}{base:>10.1f}{unit:>2}{ratio:>7.1f}×")
        print("ratio = how many times the baseline's cost Amends pays (lower is better).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
