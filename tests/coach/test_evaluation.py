"""The coach's precision and recall on the labelled drafts must not drop below the
recorded figures (tests/coach/eval/recorded.json; update it when the rules improve)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amends.coach.evaluation import evaluate, load

HERE = Path(__file__).parent / "eval"


@pytest.mark.parametrize("split", ["tune", "held_out"])
def test_figures_do_not_drop(split):
    recorded = json.loads((HERE / "recorded.json").read_text())[split]
    now = evaluate(load(HERE / "drafts.json"), split=split).figures()
    assert now["drafts"] == recorded["drafts"]
    for key in ("precision", "recall"):
        assert now["overall"][key] >= recorded["overall"][key], key
    for code, figures in recorded["rules"].items():
        for key in ("precision", "recall"):
            assert now["rules"][code][key] >= figures[key], (code, key)


def test_the_set_is_large_and_labelled_with_known_codes():
    from amends.coach.rules import RULES_BY_CODE

    rows = load(HERE / "drafts.json")
    assert sum(r["split"] == "tune" for r in rows) >= 60
    assert sum(r["split"] == "held_out" for r in rows) >= 10
    for r in rows:
        assert set(r["expected"]) <= set(RULES_BY_CODE), r["id"]
