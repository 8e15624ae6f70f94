"""The matcher is only an optimisation: it must find what a plain scan finds."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from amends.coach import ConcernRef, check
from amends.coach.evaluation import load
from amends.coach.matcher import Matcher, first_keys, index
from amends.coach.rules import RULES

DRAFTS = load(Path(__file__).parent / "eval" / "drafts.json")


def test_matcher_finds_every_match_a_plain_scan_finds():
    for rule in RULES:
        if not rule.patterns:
            continue
        plain = re.compile("|".join(f"(?:{p})" for p in rule.patterns), re.IGNORECASE)
        fast = Matcher(rule.patterns)
        for d in DRAFTS:
            text = d["text"]
            spans = fast.spans(text, index(text))
            for m in plain.finditer(text):
                assert any(s <= m.start() < e for s, e in spans), (rule.code, d["id"], m[0])
            assert bool(spans) == bool(plain.search(text)), (rule.code, d["id"])


def test_first_keys():
    assert first_keys(r"\bto be fair\b") == {"to"}
    assert first_keys(r"\b(?:sorry|apologi[sz]e) if") == {"sor", "apo"}
    assert first_keys(r"\b(?:I|we)(?:'m| am)? sorry") == {"i", "we"}
    assert first_keys(r"\b(?:an? )?error") is None  # optional first group: scanned
    assert first_keys(r"\ban?\b") is None  # a short word that may go on: scanned


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.lists(st.text(max_size=60), max_size=3))
def test_any_text_gives_a_consistent_report(text, concerns):
    report = check(text, concerns=[ConcernRef(i + 1, c) for i, c in enumerate(concerns)])
    for f in report.findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert f.text == text[f.start : f.end]
    assert len(report.coverage) == len(concerns)
