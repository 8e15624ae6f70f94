"""The coach, with the case's facts and the admin's settings: what the composer, the API
and the CLI call."""

from __future__ import annotations

from amends.accounts.models import User
from amends.cases.models import Case
from amends.cases.queries import get_case_for, open_concerns
from amends.coach import ConcernRef, Report, RuleSetting, check
from amends.core.errors import ValidationError
from amends.playbook.queries import coach_settings

MAX_DRAFT = 50_000  # characters

# Messages that answer the client's complaint: they must apologise and answer every open
# concern (R6, R10). Routine messages on a case (a budget note, a change-impact notice, a
# hand-off introduction, a check-in invitation, a free message) are still checked for
# excuses, blame, non-apologies, grand promises and the rest, but not for those two.
RESPONSE_KINDS = frozenset({"first_response", "full_response", "call_recap"})
RESPONSE_ONLY_RULES = ("missing_apology", "uncovered_concern")


def coach_case_draft(
    user: User, text: str, case: Case | int | None = None, *, kind: str | None = None
) -> Report:
    """Check `text` against the rules, as tuned by the admins, and against the open
    concerns and questions of `case` (a case or its id, read through the user's scope:
    an outsider gets NotFound). `kind` is the kind of message (a composer draft kind);
    None or a response kind gets every rule, a routine kind is not asked to apologise
    or to answer every concern."""
    if len(text) > MAX_DRAFT:
        raise ValidationError({"text": f"A draft can be at most {MAX_DRAFT:,} characters."})
    concerns: list[ConcernRef] = []
    if case is not None:
        scoped = get_case_for(user, case.pk if isinstance(case, Case) else case)
        concerns = [ConcernRef(c.pk, c.text) for c in open_concerns(scoped)]
    settings = dict(coach_settings())
    if kind is not None and kind not in RESPONSE_KINDS:
        for code in RESPONSE_ONLY_RULES:
            settings[code] = RuleSetting(enabled=False)
        concerns = []
    return check(text, concerns=concerns, settings=settings)
