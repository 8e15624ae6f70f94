"""Permission-scoped reads about drafts and message templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from amends.accounts.queries import scope_to_user
from amends.compose.models import Draft, DraftVersion, Kind, MessageTemplate
from amends.core.errors import NotFound

if TYPE_CHECKING:
    from amends.accounts.models import User
    from amends.cases.models import Case

TEMPLATE_KINDS = [k for k in Kind.values if k != Kind.FREE]


def list_drafts(user: User, *, case: Case | None = None) -> QuerySet[Draft]:
    """Drafts on the cases `user` may see, newest first."""
    qs = scope_to_user(Draft.objects.select_related("case", "created_by"), user, "case__client")
    return qs.filter(case=case) if case is not None else qs


def get_draft_for(user: User, draft_id: object) -> Draft:
    try:
        return (
            list_drafts(user)
            .select_related("case__client", "case__point_of_contact")
            .get(pk=int(str(draft_id)))
        )
    except (Draft.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("draft") from None


def list_versions(draft: Draft) -> QuerySet[DraftVersion]:
    return draft.versions.select_related("saved_by").order_by("-number")


def get_version(draft: Draft, number: object) -> DraftVersion:
    try:
        return draft.versions.select_related("saved_by").get(number=int(str(number)))
    except (DraftVersion.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("version") from None


def list_templates() -> list[MessageTemplate]:
    """Every template kind, the stored text or the default (created on first read)."""
    from amends.compose.actions import get_or_create_template

    return [get_or_create_template(kind) for kind in TEMPLATE_KINDS]


def get_template(kind: str) -> MessageTemplate:
    from amends.compose.actions import get_or_create_template

    if kind not in TEMPLATE_KINDS:
        raise NotFound("template")
    return get_or_create_template(kind)


def template_for_kind(kind: str) -> MessageTemplate | None:
    """The template a new draft of `kind` starts from (the free kind has a default only)."""
    from amends.compose.actions import get_or_create_template
    from amends.compose.defaults import DEFAULTS

    if kind == Kind.FREE:  # not editable: a greeting and the signature, never stored
        subject, body = DEFAULTS[kind]
        return MessageTemplate(kind=kind, subject=subject, body=body)
    return get_or_create_template(kind)


def recipients(case: Case) -> list[dict[str, Any]]:
    """Who the message goes to: the client's contacts with an email address."""
    return [
        {"id": c.pk, "name": c.name, "email": c.email, "role": c.role}
        for c in case.client.contacts.exclude(email="").order_by("name", "id")[:50]
    ]


def reply_target(case: Case) -> Any:
    """The latest inbound email of the case, which a sent message answers (threading)."""
    from amends.comms.models import EmailMessage

    return (
        EmailMessage.objects.filter(communication__case=case, direction="in")
        .order_by("-occurred_at", "-id")
        .first()
    )
