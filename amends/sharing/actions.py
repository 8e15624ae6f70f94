"""Every write about share links, their views, client updates and client feedback.

Callers fetch the case through a permission-scoped query (`amends.cases.queries`) first;
the public page reaches a link only through `queries.resolve_token`.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from amends.accounts.models import User
from amends.cases.models import Case
from amends.clients.actions import record_timeline
from amends.core.errors import ValidationError
from amends.sharing.models import ClientFeedback, ClientUpdate, ShareLink, ShareView

DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
LABEL_MAX = 200
UPDATE_MAX = 5000
FEEDBACK_MAX = 2000
NAME_MAX = 100
# The client may leave this many notes per link per hour (a simple brake on abuse).
FEEDBACK_PER_HOUR = 5
UA_MAX = 300


def _clean_text(value: str, *, field: str, limit: int, required: bool) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: "Write something first."})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it under {limit} characters (it has {len(text)})."})
    return text


@transaction.atomic
def create_share_link(
    actor: User, case: Case, *, label: str = "", expires_at: datetime | None = None
) -> tuple[ShareLink, str]:
    """A new secret link to the case's client document; the secret is returned once."""
    now = timezone.now()
    label = _clean_text(label, field="label", limit=LABEL_MAX, required=False)
    if expires_at is None:
        expires_at = now + DEFAULT_LIFETIME
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > now + MAX_LIFETIME:
        raise ValidationError({"expires_at": "A link can last at most one year."})
    raw = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        case=case,
        digest=ShareLink.digest_of(raw),
        hint=raw[:6],
        label=label,
        created_by=actor,
        expires_at=expires_at,
    )
    who = f" for {label}" if label else ""
    record_timeline(
        client=case.client,
        case=case,
        actor=actor,
        kind="share_link_created",
        summary=f"Shared the resolution document{who} (link {link.hint}…, "
        f"until {expires_at:%Y-%m-%d})",
        subject=link,
    )
    return link, raw


@transaction.atomic
def revoke_share_link(actor: User, link: ShareLink) -> ShareLink:
    """Stop a link working at once. Revoking twice is harmless."""
    link = ShareLink.objects.select_for_update().select_related("case__client").get(pk=link.pk)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = actor
        link.save(update_fields=["revoked_at", "revoked_by"])
        record_timeline(
            client=link.case.client,
            case=link.case,
            actor=actor,
            kind="share_link_revoked",
            summary=f"Revoked the share link {link.hint}…"
            + (f" for {link.label}" if link.label else ""),
            subject=link,
        )
    return link


def truncate_ip(raw: str) -> str:
    """Keep only the network: IPv4 /24, IPv6 /48; anything unparsable is dropped."""
    try:
        ip = ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def record_view(link: ShareLink, *, kind: str, ip: str, user_agent: str) -> ShareView:
    return ShareView.objects.create(
        link=link,
        kind=kind,
        ip=truncate_ip(ip),
        user_agent="".join(ch for ch in (user_agent or "") if ch.isprintable())[:UA_MAX],
    )


@transaction.atomic
def publish_update(actor: User, case: Case, *, text: str) -> ClientUpdate:
    """A new "latest update" for the client's document (R24)."""
    text = _clean_text(text, field="text", limit=UPDATE_MAX, required=True)
    update = ClientUpdate.objects.create(case=case, text=text, by=actor)
    record_timeline(
        client=case.client,
        case=case,
        actor=actor,
        kind="client_update",
        summary=f"Published an update for the client: {' '.join(text.split())[:200]}",
        subject=update,
    )
    return update


class TooMuchFeedback(Exception):
    """The link has had FEEDBACK_PER_HOUR notes in the last hour."""


@transaction.atomic
def leave_feedback(link: ShareLink, *, text: str, name: str = "") -> ClientFeedback:
    """The client's note from the shared page: kept on the case and on its timeline (R24)."""
    text = _clean_text(text, field="text", limit=FEEDBACK_MAX, required=True)
    name = _clean_text(name, field="name", limit=NAME_MAX, required=False)
    # Lock the link so concurrent posts count each other.
    link = ShareLink.objects.select_for_update().select_related("case__client").get(pk=link.pk)
    since = timezone.now() - timedelta(hours=1)
    if link.feedback.filter(at__gte=since).count() >= FEEDBACK_PER_HOUR:
        raise TooMuchFeedback
    feedback = ClientFeedback.objects.create(case=link.case, link=link, name=name, text=text)
    who = name or (link.label or "the client")
    record_timeline(
        client=link.case.client,
        case=link.case,
        actor=None,
        kind="client_feedback",
        summary=f"Feedback from {who} on the shared document: {' '.join(text.split())[:300]}",
        subject=feedback,
    )
    return feedback
