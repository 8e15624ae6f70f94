"""Reads of the playbook: the coach settings an admin tuned, and the rule list."""

from __future__ import annotations

from dataclasses import dataclass

from amends.coach import RuleSetting
from amends.coach.rules import RULES, RULES_BY_CODE, Rule
from amends.core.errors import NotFound
from amends.playbook.models import CoachRule


def coach_settings() -> dict[str, RuleSetting]:
    """One small query: every tuned rule as the coach's `RuleSetting`."""
    return {
        row.code: RuleSetting(
            enabled=row.enabled,
            severity=row.severity or None,  # type: ignore[arg-type]
            extra_phrases=tuple(row.extra_phrases or ()),
        )
        for row in CoachRule.objects.all()
        if row.code in RULES_BY_CODE
    }


@dataclass(frozen=True)
class RuleView:
    rule: Rule
    setting: CoachRule  # unsaved (pk None, version 1) when never tuned

    @property
    def severity(self) -> str:
        return self.setting.severity or self.rule.severity


def list_rules() -> list[RuleView]:
    tuned = {r.code: r for r in CoachRule.objects.select_related("updated_by")}
    return [RuleView(rule, tuned.get(rule.code) or CoachRule(code=rule.code)) for rule in RULES]


def get_rule(code: str) -> RuleView:
    rule = RULES_BY_CODE.get(str(code))
    if rule is None:
        raise NotFound("coach rule")
    setting = CoachRule.objects.filter(code=rule.code).select_related("updated_by").first()
    return RuleView(rule, setting or CoachRule(code=rule.code))
