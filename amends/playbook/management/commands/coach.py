"""`amends coach FILE [--case ID] [--json]`: check a draft reply with the coach.

Exit status 1 while a blocking finding remains, 0 otherwise; FILE `-` reads stdin."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amends.cases.models import Case
from amends.coach import Report
from amends.coach.engine import check
from amends.playbook.coaching import MAX_DRAFT
from amends.playbook.queries import coach_settings


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class Command(BaseCommand):
    help = "Check a draft reply to a client with the coach (R6, R10–R13, R28)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The draft, a UTF-8 text file; - reads stdin.")
        parser.add_argument("--case", type=int, help="Check it against this case's open concerns.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = self._read(options["file"])
        concerns = []
        if options["case"] is not None:
            from amends.cases.queries import open_concerns
            from amends.coach import ConcernRef

            try:
                case = Case.objects.get(pk=options["case"])
            except (Case.DoesNotExist, OverflowError, ValueError):
                raise CommandError(f"There is no case {options['case']}.", returncode=2) from None
            concerns = [ConcernRef(c.pk, c.text) for c in open_concerns(case)]
        report = check(text, concerns=concerns, settings=coach_settings())
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            self._print(text, report)
        if report.blocking:
            sys.exit(1)

    def _read(self, name: str) -> str:
        try:
            if name == "-":
                raw = sys.stdin.buffer.read(MAX_DRAFT * 4 + 1)
            else:
                with open(name, "rb") as fh:
                    raw = fh.read(MAX_DRAFT * 4 + 1)
        except FileNotFoundError:
            raise CommandError(f"No such file: {name}", returncode=2) from None
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}", returncode=2) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{name} is not UTF-8 text.", returncode=2) from None
        if len(text) > MAX_DRAFT:
            raise CommandError(f"The draft is longer than {MAX_DRAFT:,} characters.", returncode=2)
        return text

    def _print(self, text: str, report: Report) -> None:
        out = self.stdout
        if not report.findings:
            out.write("No findings.")
        for f in report.findings:
            line, col = _line_col(text, f.start)
            where = "draft" if f.start == f.end else f"{line}:{col}"
            out.write(f"{f.severity.upper():5} {f.rule} {where} ({f.requirement})")
            if f.text:
                span = " ".join(f.text.split())
                out.write(f"      “{span[:120]}{'…' if len(span) > 120 else ''}”")
            out.write(f"      why: {f.why}")
            out.write(f"      try: {f.suggestion}")
        if report.coverage:
            out.write("Concerns:")
            for c in report.coverage:
                mark = "answered" if c.covered else "NOT answered"
                out.write(f"  [{mark}] #{c.concern.id} {c.concern.text[:100]}")
                if c.evidence:
                    out.write(f"      by: {c.evidence[:160]}")
        out.write("Blocking: yes" if report.blocking else "Blocking: no")
