"""The coach as the composer uses it: the case's open concerns and the playbook's rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amends.coach import Report

if TYPE_CHECKING:
    from amends.accounts.models import User
    from amends.cases.models import Case

MAX_COACHED = 50_000


def coach_draft(user: User, text: str, case: Case, kind: str | None = None) -> Report:
    """Check `text` against the method, with the case's open concerns (R6, R10–R13);
    a routine `kind` of message is not asked to apologise (see `coach_case_draft`)."""
    from amends.playbook.coaching import coach_case_draft

    return coach_case_draft(user, text[:MAX_COACHED], case, kind=kind)


def marked_segments(text: str, report: Report) -> list[dict[str, object]]:
    """`text` cut into pieces, the spans of findings marked (for a server-rendered
    preview: no script needed). Overlapping spans keep the first one."""
    text = text[:MAX_COACHED]
    pieces: list[dict[str, object]] = []
    pos = 0
    for number, f in enumerate(report.findings, start=1):
        if f.end <= f.start or f.start < pos or f.end > len(text):
            continue
        if f.start > pos:
            pieces.append({"text": text[pos : f.start], "n": 0})
        pieces.append(
            {"text": text[f.start : f.end], "n": number, "severity": f.severity, "rule": f.rule}
        )
        pos = f.end
    if pos < len(text):
        pieces.append({"text": text[pos:], "n": 0})
    return pieces
