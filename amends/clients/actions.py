"""Every write about clients, contacts, engagements and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils import timezone

from amends.accounts.models import TeamMembership, User
from amends.clients.models import (
    Client,
    Contact,
    Engagement,
    TimelineEntry,
    parse_domains,
    validate_domains,
)
from amends.core.errors import ValidationError
from amends.core.models import update_versioned

CLIENT_FIELDS = {
    "name",
    "email_domains",
    "timezone",
    "work_start",
    "work_end",
    "work_days",
    "owner",
    "backup",
    "notes",
}
CONTACT_FIELDS = {"name", "email", "role", "phone", "notes"}
ENGAGEMENT_FIELDS = {"name", "budget_unit", "currency", "budget", "used", "starts_on", "due_on"}


def record_timeline(
    *,
    client: Client,
    actor: User | None,
    kind: str,
    summary: str,
    at: datetime | None = None,
    case: Any = None,
    subject: models.Model | None = None,
) -> TimelineEntry:
    """Add one entry to the client's (and case's) timeline. Called inside other actions."""
    return TimelineEntry.objects.create(
        client=client,
        case=case,
        actor=actor,
        kind=kind,
        summary=summary[:500],
        at=at or timezone.now(),
        subject_type=(subject._meta.model_name or "") if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
    )


def _check_fields(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")


def _ensure_team(client: Client, *users: User | None) -> None:
    """The owner and backup are on the client's team, as leads."""
    for user in users:
        if user is not None:
            TeamMembership.objects.update_or_create(
                user=user, client=client, defaults={"role": TeamMembership.Role.LEAD}
            )


def _triage_may_match() -> None:
    """A contact's address or a client's email domains are new: mail waiting in triage
    may now match a client (`comms.triage_actions`)."""
    from amends.comms.triage_actions import queue_triage_match

    queue_triage_match()


def _check_domains_free(client: Client, domains: list[str]) -> None:
    """Mail at a domain goes to one client (the first the matcher meets): a second
    client with the same domain would silently get none of it."""
    for domain in domains:
        others = Client.objects.exclude(pk=client.pk).filter(email_domains__icontains=domain)
        for other in others.only("name", "email_domains"):
            if domain in other.domains:
                raise ValidationError(
                    {"email_domains": f"“{domain}” is already {other.name}'s email domain."}
                )


@transaction.atomic
def create_client(actor: User | None, **fields: Any) -> Client:
    """Create a client; its owner and backup join its team. Admins (or the CLI) only."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only an admin can add a client.")
    _check_fields(fields, CLIENT_FIELDS)
    client = Client(**fields)
    client.full_clean()
    _check_domains_free(client, client.domains)
    client.save()
    _ensure_team(client, client.owner, client.backup)
    record_timeline(
        client=client,
        actor=actor,
        kind="client.created",
        summary=f"Client {client.name} added; owner {client.owner}",
        subject=client,
    )
    if client.domains:
        _triage_may_match()
    return client


@transaction.atomic
def update_client(actor: User, client: Client, *, version: int | None, **fields: Any) -> Client:
    """Change a client's details; a new owner or backup joins the team (R2, R3)."""
    _check_fields(fields, CLIENT_FIELDS)
    # Compare with what is stored: a form bound to `client` may already have changed it.
    old_owner_id, old_backup_id, old_domains = (
        Client.objects.filter(pk=client.pk)
        .values_list("owner_id", "backup_id", "email_domains")
        .get()
    )
    if not actor.is_admin:
        # Only admins manage teams: a member may hand the account to a teammate, but
        # naming an outsider owner or backup would give them access (R2, R3).
        for role in ("owner", "backup"):
            person = fields.get(role)
            if (
                person is not None
                and not TeamMembership.objects.filter(user=person, client=client).exists()
            ):
                raise ValidationError({role: "Choose someone already on this client's team."})
    update_versioned(client, version, **fields)
    # Only the domains added are checked: an edit of anything else never fails on them.
    added = sorted(set(client.domains) - set(Client(email_domains=old_domains).domains))
    _check_domains_free(client, added)  # raised here, the update is rolled back
    _ensure_team(client, client.owner, client.backup)
    if client.owner_id != old_owner_id:
        old_owner = User.objects.get(pk=old_owner_id)
        record_timeline(
            client=client,
            actor=actor,
            kind="client.owner_changed",
            summary=f"Owner changed from {old_owner} to {client.owner}",
            subject=client,
        )
    if client.backup_id != old_backup_id:
        record_timeline(
            client=client,
            actor=actor,
            kind="client.backup_changed",
            summary=f"Backup is now {client.backup or 'nobody'}",
            subject=client,
        )
    if added:
        _triage_may_match()
    return client


@transaction.atomic
def add_email_domain(actor: User, client: Client, domain: str) -> Client:
    """Admins, from triage: add one email domain to a client, so the mail waiting there
    from and to anyone at it follows (as `update_client` with the domain added). The
    same checks as the client form: a domain, not a public provider, no other client's."""
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can add a client's email domain from triage.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    wanted = parse_domains(domain if isinstance(domain, str) else "")
    if len(wanted) != 1:
        raise ValidationError({"domain": "Give one email domain, like example.com."})
    try:  # before any query with it (PostgreSQL refuses a NUL, for one)
        validate_domains(wanted[0])
    except DjangoValidationError as exc:
        raise ValidationError({"domain": " ".join(exc.messages)}) from None
    if wanted[0] in client.domains:
        raise ValidationError({"domain": f"“{wanted[0]}” is already {client.name}'s email domain."})
    domains = " ".join([*client.domains, wanted[0]])
    if len(domains) > Client._meta.get_field("email_domains").max_length:  # type: ignore[operator]
        raise ValidationError({"domain": f"{client.name} has as many email domains as fit."})
    return update_client(actor, client, version=client.version, email_domains=domains)


@transaction.atomic
def add_contact(actor: User, client: Client, **fields: Any) -> Contact:
    _check_fields(fields, CONTACT_FIELDS)
    contact = Contact(client=client, **fields)
    contact.full_clean()
    contact.save()
    record_timeline(
        client=client,
        actor=actor,
        kind="contact.added",
        summary=f"Contact {contact.name} added",
        subject=contact,
    )
    if contact.email:
        _triage_may_match()
    return contact


@transaction.atomic
def update_contact(actor: User, contact: Contact, *, version: int | None, **fields: Any) -> Contact:
    _check_fields(fields, CONTACT_FIELDS)
    old_email = Contact.objects.filter(pk=contact.pk).values_list("email", flat=True).get()
    update_versioned(contact, version, **fields)
    if contact.email and contact.email.lower() != old_email.lower():
        _triage_may_match()
    return contact


@transaction.atomic
def add_engagement(actor: User, client: Client, **fields: Any) -> Engagement:
    _check_fields(fields, ENGAGEMENT_FIELDS)
    engagement = Engagement(client=client, **fields)
    engagement.full_clean()
    engagement.save()
    record_timeline(
        client=client,
        actor=actor,
        kind="engagement.added",
        summary=f"Engagement {engagement.name} ({engagement.budget_label})",
        subject=engagement,
    )
    return engagement


@transaction.atomic
def update_engagement(
    actor: User, engagement: Engagement, *, version: int | None, **fields: Any
) -> Engagement:
    _check_fields(fields, ENGAGEMENT_FIELDS)
    update_versioned(engagement, version, **fields)
    return engagement
