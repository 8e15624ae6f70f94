"""Every rule of the coach, with drafts that must and must not trigger it."""

from __future__ import annotations

from pathlib import Path

import pytest

from amends.coach import ConcernRef, RuleSetting, check
from amends.coach.rules import RULES

GOOD = """Hi Dana,

I'm sorry: we missed the launch date and didn't tell you until the day itself.

- Priya will send the revised timeline by Thursday 14 March.
- I'll call you every Monday at 9.

Call me on 020 7946 0123.

Maria
"""


def fired(text: str, **kw) -> set[str]:
    return {f.rule for f in check(text, **kw).findings}


def spans(text: str, code: str) -> list[str]:
    return [f.text for f in check(text).findings if f.rule == code]


POSITIVE = [
    ("excuse", "We were very busy with other launches."),
    ("excuse", "This was due to circumstances beyond our control."),
    ("excuse", "The reason was that the team was off sick."),
    ("excuse", "It wasn't really our fault."),
    ("blame_client", "As you failed to send the copy, it slipped."),
    ("blame_client", "Your team didn't approve the designs."),
    ("blame_client", "If you had replied sooner we would have caught it."),
    ("blame_person", "John made a mistake in the export."),
    ("blame_person", "Our junior developer deployed it."),
    ("blame_person", "One of our designers forgot the brief."),
    ("defensive", "To be fair, the brief changed."),
    ("defensive", "As we clearly stated in the proposal, it was out of scope."),
    ("defensive", "As I already explained, this is expected."),
    ("non_apology", "We're sorry if you feel let down."),
    ("non_apology", "We apologise for any inconvenience caused."),
    ("non_apology", "We regret that you were unhappy."),
    ("non_apology", "Sorry, but that was agreed."),
    ("passive_voice", "Mistakes were made."),
    ("passive_voice", "The deadline was missed."),
    ("absolute_promise", "We guarantee this will never happen again."),
    ("absolute_promise", "The site will be 100% reliable."),
    ("jargon", "The hotfix will deploy after QA."),
]
NEGATIVE = [
    ("excuse", "We missed the date, and that is on us."),
    ("blame_client", "We should have chased the approval sooner."),
    ("blame_person", "We deployed the wrong branch. I made a mistake."),
    ("defensive", "Thank you for telling us how this landed."),
    ("non_apology", "I'm sorry we missed the launch."),
    ("passive_voice", "We missed the deadline. The deadline was missed by us."),
    (
        "absolute_promise",
        "We cannot guarantee there will be no bugs, but every release gets a review.",
    ),
    ("jargon", "We will release the fix after testing."),
]


@pytest.mark.parametrize(("code", "text"), POSITIVE)
def test_phrase_rules_flag_the_exact_span(code, text):
    found = [f for f in check(text).findings if f.rule == code]
    assert found, (code, text)
    for f in found:
        assert f.text == text[f.start : f.end] and f.text
        assert f.why and f.suggestion and f.requirement


@pytest.mark.parametrize(("code", "text"), NEGATIVE)
def test_phrase_rules_leave_good_text_alone(code, text):
    assert code not in fired(text)


def test_a_good_draft_has_no_findings():
    assert fired(GOOD) == set()
    assert not check(GOOD).blocking


def test_quoted_client_text_is_not_judged():
    text = "> We were very busy. As you failed to reply, mistakes were made.\n\n" + GOOD
    assert fired(text) == set()


def test_sorry_for_any_inconvenience_is_not_an_apology():
    text = GOOD.replace("I'm sorry: we", "Sorry for any inconvenience: we")
    assert {"non_apology", "missing_apology"} <= fired(text)


def test_missing_apology_next_step_and_contact():
    assert {"missing_apology", "missing_next_step", "missing_contact"} <= fired(
        "The file is attached."
    )
    assert "missing_apology" not in fired("We apologise. We lost your files.")
    assert "missing_next_step" not in fired("I'll call you tomorrow.")
    assert "missing_contact" not in fired("Call me on 020 7946 0123.\n\nMaria")
    assert "missing_contact" in fired("Call me.\n")  # no name


def test_plan_steps_need_a_date_and_an_owner():
    text = GOOD + "\n- We will review the tests.\n- Priya will call you on Friday.\n"
    found = [f for f in check(text).findings if f.rule == "plan_step"]
    assert [f.text for f in found] == ["We will review the tests."]
    assert "date" in found[0].why and "owner" in found[0].why


def test_concern_coverage_with_evidence():
    concerns = [
        ConcernRef(1, "The launch slipped and nobody told us"),
        ConcernRef(2, "Why were we invoiced for forty extra hours?"),
    ]
    report = check(GOOD, concerns=concerns)
    cov = {c.concern.id: c for c in report.coverage}
    assert cov[1].covered and "launch" in cov[1].evidence
    assert not cov[2].covered
    assert [f.rule for f in report.findings].count("uncovered_concern") == 1
    assert report.blocking


def test_wall_of_text():
    para = " ".join(["word"] * 130) + "."
    assert "wall_of_text" in fired(GOOD + "\n" + para)
    assert "wall_of_text" not in fired(GOOD)


def test_client_words_are_not_jargon():
    text = GOOD + "\nThe staging site is fixed.\n"
    assert "jargon" in fired(text)
    assert "jargon" not in fired(text, concerns=[ConcernRef(1, "The staging site leaked data")])


def test_settings_disable_change_severity_and_add_phrases():
    text = GOOD + "\nWe were very busy.\nOur bad luck again.\n"
    assert "excuse" in fired(text)
    assert "excuse" not in fired(text, settings={"excuse": RuleSetting(enabled=False)})
    report = check(text, settings={"excuse": RuleSetting(severity="info")})
    assert {f.severity for f in report.findings if f.rule == "excuse"} == {"info"}
    tuned = check(text, settings={"excuse": RuleSetting(extra_phrases=("bad luck",))})
    assert "bad luck" in [f.text for f in tuned.findings if f.rule == "excuse"]


def test_findings_are_in_text_order_and_json_ready():
    report = check("We were very busy. Mistakes were made. To be fair, it was hard.")
    starts = [f.start for f in report.findings]
    assert starts == sorted(starts)
    d = report.as_dict()
    assert d["blocking"] is True and d["findings"][0]["rule"]


def test_every_rule_is_documented_and_has_a_code():
    doc = Path("docs/coach.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule.code}`" in doc
        assert rule.why and rule.suggestion and rule.requirement


@pytest.mark.parametrize("text", ["", "\x00" * 10, "a" * 200_000, "> only a quote", "🙂" * 1000])
def test_hostile_text_does_not_crash(text):
    check(text, concerns=[ConcernRef(1, text[:100] or "x")])
