"""Precision and recall of the coach on a labelled set of drafts.

The set (`tests/coach/eval/drafts.json`) lists, for each draft, its text, the concerns of
its case, and every rule code that should fire; every other rule should not. A rule
"fires" on a draft when it reports at least one finding there. Per rule and overall:

- precision = drafts where it fired and should / drafts where it fired;
- recall    = drafts where it fired and should / drafts where it should.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amends.coach.engine import check
from amends.coach.rules import RULES
from amends.coach.types import ConcernRef


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    per_rule: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (draft, rule, fp|fn)
    drafts: int = 0

    def figures(self) -> dict[str, Any]:
        return {
            "drafts": self.drafts,
            "overall": {
                "precision": round(self.overall.precision, 3),
                "recall": round(self.overall.recall, 3),
            },
            "rules": {
                code: {
                    "precision": round(s.precision, 3),
                    "recall": round(s.recall, 3),
                    "support": s.tp + s.fn,
                }
                for code, s in self.per_rule.items()
            },
        }


def load(path: str | Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data["drafts"])


def evaluate(drafts: Iterable[dict[str, Any]], *, split: str | None = None) -> Evaluation:
    result = Evaluation(per_rule={r.code: Score() for r in RULES})
    for d in drafts:
        if split is not None and d.get("split") != split:
            continue
        result.drafts += 1
        concerns = [ConcernRef(i + 1, t) for i, t in enumerate(d.get("concerns", []))]
        fired = {f.rule for f in check(d["text"], concerns=concerns).findings}
        expected = set(d["expected"])
        for code, score in result.per_rule.items():
            hit, want = code in fired, code in expected
            if hit and want:
                score.tp += 1
                result.overall.tp += 1
            elif hit:
                score.fp += 1
                result.overall.fp += 1
                result.misses.append((d["id"], code, "fp"))
            elif want:
                score.fn += 1
                result.overall.fn += 1
                result.misses.append((d["id"], code, "fn"))
    return result


def table(result: Evaluation) -> str:
    """The Markdown table docs/coach.md shows."""
    lines = [
        "| Rule | Precision | Recall | Drafts where it should fire |",
        "| --- | --- | --- | --- |",
    ]
    for code, s in result.per_rule.items():
        lines.append(f"| `{code}` | {s.precision:.2f} | {s.recall:.2f} | {s.tp + s.fn} |")
    o = result.overall
    lines.append(f"| **overall** | **{o.precision:.2f}** | **{o.recall:.2f}** | {o.tp + o.fn} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m amends.coach.evaluation tests/coach/eval/drafts.json
    import sys

    rows = load(sys.argv[1])
    for name in ("tune", "held_out"):
        ev = evaluate(rows, split=name)
        print(f"## {name} ({ev.drafts} drafts)\n\n{table(ev)}\n")
        for m in ev.misses:
            print("  ", *m)
