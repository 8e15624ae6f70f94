"""The coach: checks a draft message to a hurt client against what a good reply needs
(R6, R10–R13, R28). Plain Python, no Django import: the caller passes the case facts and
the rule settings in; `amends.playbook` stores what an admin tuned.

The contract other modules rely on (keep it stable):

    report = check(text, concerns=[ConcernRef(id=1, text="The launch slipped twice")],
                   settings=None)
    report.findings      # list[Finding], in text order
    report.coverage      # list[ConcernCoverage], one per concern passed in
    report.blocking      # True while any finding with severity "block" remains
    report.as_dict()     # JSON-ready, used by the API, the CLI (--json) and the pages
"""

from __future__ import annotations

from amends.coach.engine import check
from amends.coach.types import (
    ConcernCoverage,
    ConcernRef,
    Finding,
    Report,
    RuleSetting,
    Severity,
)

__all__ = [
    "ConcernCoverage",
    "ConcernRef",
    "Finding",
    "Report",
    "RuleSetting",
    "Severity",
    "check",
]
