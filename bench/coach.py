"""Coach benchmark: `python -m bench.coach`.

A 1,000-word draft against a case with 20 concerns, median and p95 over many runs, beside
a baseline measured in the same run: a plain regex scan of the same text (one compiled
alternation of three excuse phrases). Two drafts: a dense synthetic one (every sentence
trips a rule) and a realistic one stitched from the labelled drafts in tests/coach/eval.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from amends.coach import ConcernRef, check

PARA = (
    "I'm sorry: we missed the launch date and didn't tell you until the day itself. "
    "We were very busy with other launches, and the reason was that the team was stretched. "
    "- We will send the revised timeline. Priya will call you on Monday at 9. "
)
SYNTHETIC_CONCERNS = [
    ConcernRef(i, f"Concern {i}: the invoice for month {i} had extra hours") for i in range(20)
]
EVAL = Path(__file__).resolve().parent.parent / "tests" / "coach" / "eval" / "drafts.json"


def _first_words(text: str, n: int = 1000) -> str:
    out, count = [], 0
    for line in text.splitlines(keepends=True):
        words = line.split()
        if count + len(words) > n:
            out.append(" ".join(words[: n - count]))
            break
        out.append(line)
        count += len(words)
    return "".join(out)


def _realistic() -> tuple[str, list[ConcernRef]]:
    drafts = json.loads(EVAL.read_text(encoding="utf-8"))["drafts"]
    text = _first_words("\n\n".join(d["text"] for d in drafts))
    texts = [c for d in drafts for c in d["concerns"]][:20]
    return text, [ConcernRef(i, t) for i, t in enumerate(texts)]


def _times(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    synthetic = _first_words(" ".join([PARA] * 60))
    rx = re.compile(r"we were very busy|the reason was|beyond our control", re.IGNORECASE)
    cases = [("synthetic", synthetic, SYNTHETIC_CONCERNS)]
    if EVAL.exists():
        cases.append(("realistic", *_realistic()))
    print("Coach: a 1,000-word draft, 20 concerns, 500 runs each")
    for name, text, concerns in cases:
        med, p95 = _times(lambda t=text, c=concerns: check(t, concerns=c), 500)
        bmed, bp95 = _times(lambda t=text: rx.findall(t), 500)
        print(
            f"  {name:10} coach median {med:6.2f} ms  p95 {p95:6.2f} ms | "
            f"baseline regex scan median {bmed:5.3f} ms  p95 {bp95:5.3f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
