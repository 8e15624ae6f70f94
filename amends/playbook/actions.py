"""Writes to the playbook: an admin tunes a coach rule (R35)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction

from amends.accounts.models import User
from amends.coach.engine import MAX_EXTRA_PHRASES, MAX_PHRASE_LENGTH
from amends.core.errors import ValidationError
from amends.core.models import update_versioned
from amends.playbook.models import CoachRule
from amends.playbook.queries import get_rule


def clean_phrases(phrases: Sequence[str]) -> list[str]:
    out: list[str] = []
    for raw in phrases:
        p = " ".join(str(raw).split())
        if not p:
            continue
        if "\x00" in p:
            raise ValidationError({"extra_phrases": "Phrases cannot contain NUL characters."})
        if len(p) > MAX_PHRASE_LENGTH:
            raise ValidationError(
                {"extra_phrases": f"Each phrase must be at most {MAX_PHRASE_LENGTH} characters."}
            )
        if p.lower() not in (o.lower() for o in out):
            out.append(p)
    if len(out) > MAX_EXTRA_PHRASES:
        raise ValidationError({"extra_phrases": f"At most {MAX_EXTRA_PHRASES} phrases per rule."})
    return out


@transaction.atomic
def tune_rule(
    actor: User,
    code: str,
    *,
    version: int | None,
    enabled: bool | None = None,
    severity: str | None = None,
    extra_phrases: Sequence[str] | None = None,
    note: str | None = None,
) -> CoachRule:
    """Change what an admin may tune on one rule; fields left None stay as they are."""
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can tune the coach.")
    view = get_rule(code)
    changes: dict[str, object] = {"updated_by": actor}
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if severity is not None:
        if severity not in CoachRule.Severity.values:
            raise ValidationError({"severity": "Choose block, warn, info, or the rule default."})
        changes["severity"] = severity
    if extra_phrases is not None:
        changes["extra_phrases"] = clean_phrases(extra_phrases)
    if note is not None:
        if len(note) > 2000 or "\x00" in note:
            raise ValidationError({"note": "The note must be at most 2,000 characters."})
        changes["note"] = note.strip()
    row = view.setting
    if row.pk is None:
        row, _ = CoachRule.objects.get_or_create(code=view.rule.code)
    update_versioned(row, version, **changes)
    return row
