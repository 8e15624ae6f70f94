"""The coach's data types (the contract, re-exported by `amends.coach`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["block", "warn", "info"]


@dataclass(frozen=True)
class ConcernRef:
    """An open concern or question of the case the draft should answer (R6)."""

    id: int
    text: str


@dataclass(frozen=True)
class RuleSetting:
    """What an admin tuned for one rule (R35): off, severity, extra phrases to flag."""

    enabled: bool = True
    severity: Severity | None = None  # None: the rule's default
    extra_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule: str  # stable code, e.g. "excuse", "non_apology"
    severity: Severity
    start: int  # character offsets into the draft; start == end for "missing" findings
    end: int
    text: str  # the exact span (empty for "missing" findings)
    why: str  # why it matters, in plain words
    requirement: str  # e.g. "R11"
    suggestion: str  # a suggested fix


@dataclass(frozen=True)
class ConcernCoverage:
    concern: ConcernRef
    covered: bool
    evidence: str = ""  # the sentence of the draft that answers it, if any


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    coverage: list[ConcernCoverage] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "blocking": self.blocking,
            "findings": [asdict(f) for f in self.findings],
            "coverage": [
                {
                    "concern": c.concern.id,
                    "text": c.concern.text,
                    "covered": c.covered,
                    "evidence": c.evidence,
                }
                for c in self.coverage
            ],
        }
