"""Every write about drafts and message templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from amends.compose.defaults import DEFAULTS
from amends.compose.models import (
    MAX_BODY,
    MAX_BULLETS,
    MAX_SUBJECT,
    Draft,
    DraftVersion,
    Kind,
    MessageTemplate,
)
from amends.compose.templating import check_template
from amends.core.errors import ValidationError
from amends.core.models import update_versioned

if TYPE_CHECKING:
    from amends.accounts.models import User
    from amends.cases.models import Case
    from amends.comms.models import Communication


def _clean_text(fields: dict[str, str]) -> dict[str, str]:
    limits = {"subject": MAX_SUBJECT, "bullets": MAX_BULLETS, "body": MAX_BODY}
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    for name, value in fields.items():
        value = value or ""
        if "\x00" in value:
            errors[name] = "Text cannot contain NUL characters."
        elif len(value) > limits[name]:
            errors[name] = f"Keep it under {limits[name]:,} characters."
        out[name] = " ".join(value.split()) if name == "subject" else value.replace("\r\n", "\n")
    if errors:
        raise ValidationError(errors)
    return out


def save_draft(
    actor: User,
    case: Case,
    *,
    kind: str,
    subject: str,
    body: str,
    bullets: str = "",
    draft: Any = None,
    version: int | None = None,
) -> Any:
    """Create a draft on `case` (draft=None) or save a new version of `draft` (needs the
    `version` the editor read; StaleEdit otherwise). `kind` is one of the template kinds
    ("first_response", "full_response", "call_recap", "budget_note", "change_impact",
    "handoff_intro", "checkin_invitation", "free"). Returns the Draft."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(Kind.values)}."})
    text = _clean_text({"subject": subject, "body": body, "bullets": bullets})
    now = timezone.now()
    with transaction.atomic():
        if draft is None:
            return Draft.objects.create(
                case=case, kind=kind, created_by=actor, created_at=now, updated_at=now, **text
            )
        if draft.case_id != case.pk:
            raise ValidationError("That draft belongs to another case.")
        if draft.is_sent:
            raise ValidationError("This draft was sent already; start a new one to write again.")
        previous = Draft.objects.get(pk=draft.pk)
        update_versioned(draft, version, kind=kind, updated_at=now, **text)
        if (previous.subject, previous.bullets, previous.body) != (
            text["subject"],
            text["bullets"],
            text["body"],
        ):
            last = draft.versions.aggregate(n=Max("number"))["n"] or 0
            DraftVersion.objects.create(
                draft=draft,
                number=last + 1,
                subject=previous.subject,
                bullets=previous.bullets,
                body=previous.body,
                saved_by=actor,
                saved_at=now,
            )
        return draft


def mark_draft_sent(actor: User, draft: Draft, communication: Communication | None) -> None:
    """Record that `draft` went out as `communication` (called by the outbox)."""
    Draft.objects.filter(pk=draft.pk).update(
        status=Draft.Status.SENT, sent_communication=communication, updated_at=timezone.now()
    )
    draft.status = Draft.Status.SENT
    draft.sent_communication = communication


def send_draft(
    actor: User,
    draft: Draft,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    version: int | None = None,
    acknowledge: bool = False,
    html: str | None = None,
) -> Communication:
    """Send `draft` to the client through the outbox, after the coach: a blocking finding
    must be fixed or acknowledged (`acknowledge=True`). Raises ValidationError otherwise."""
    from amends.compose.coaching import coach_draft
    from amends.compose.htmlmail import to_html
    from amends.compose.queries import reply_target
    from amends.outbox.actions import send_case_email

    if draft.is_sent:
        raise ValidationError("This draft was sent already.")
    if version is not None and int(version) != draft.version:
        from amends.core.errors import StaleEdit

        raise StaleEdit("draft", draft.pk, int(version), draft.version)
    if not draft.subject.strip():
        raise ValidationError({"subject": "Give the message a subject."})
    if not draft.body.strip():
        raise ValidationError({"body": "The message is empty."})
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise ValidationError({"to": "Choose at least one recipient."})
    report = coach_draft(actor, draft.body, draft.case, draft.kind)
    if report.blocking and not acknowledge:
        rules = sorted({f.rule for f in report.findings if f.severity == "block"})
        raise ValidationError(
            "The coach found something that must be fixed or acknowledged before sending: "
            + ", ".join(rules)
            + "."
        )
    try:
        comm = send_case_email(
            actor,
            draft.case,
            to=recipients,
            cc=[a.strip() for a in cc if a and a.strip()],
            subject=draft.subject,
            text=draft.body,
            html=html if html is not None else to_html(draft.body),
            in_reply_to=reply_target(draft.case),
            draft=draft,
        )
    except NotImplementedError:
        raise ValidationError(
            "Sending email is not available yet on this installation; the draft is kept."
        ) from None
    draft.refresh_from_db()
    if not draft.is_sent:
        mark_draft_sent(actor, draft, comm)
    return comm


def get_or_create_template(kind: str) -> MessageTemplate:
    """The stored template of `kind`, created from the default the first time."""
    if kind not in DEFAULTS:
        raise ValidationError({"kind": f"There is no template kind {kind!r}."})
    subject, body = DEFAULTS[kind]
    template, _ = MessageTemplate.objects.get_or_create(
        kind=kind, defaults={"subject": subject, "body": body}
    )
    return template


def update_template(
    actor: User,
    template: MessageTemplate,
    *,
    version: int | None,
    subject: str | None = None,
    body: str | None = None,
) -> MessageTemplate:
    """Change a message template (admins only); it must render before it is saved."""
    from amends.compose.templating import render_message, sample_context

    if not actor.is_admin:
        raise PermissionDenied("Only an admin can change message templates.")
    changes: dict[str, str] = {}
    if subject is not None:
        check_template(subject, field="subject", limit=MAX_SUBJECT)
        if not subject.strip():
            raise ValidationError({"subject": "Give the template a subject."})
        changes["subject"] = subject
    if body is not None:
        check_template(body)
        if not body.strip():
            raise ValidationError({"body": "Give the template a body."})
        changes["body"] = body.replace("\r\n", "\n")
    render_message(
        changes.get("subject", template.subject),
        changes.get("body", template.body),
        sample_context(),
    )
    with transaction.atomic():
        update_versioned(template, version, updated_by=actor, updated_at=timezone.now(), **changes)
    return template


def reset_template(
    actor: User, template: MessageTemplate, *, version: int | None
) -> MessageTemplate:
    """Put the default text of the template's kind back."""
    subject, body = DEFAULTS[template.kind]
    return update_template(actor, template, version=version, subject=subject, body=body)
