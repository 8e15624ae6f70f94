"""Permission-scoped reads about clients. Outsiders get NotFound, never a hint."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.clients.models import Client, Contact, Engagement, TimelineEntry
from amends.core.errors import NotFound


def list_clients(user: User, *, search: str = "") -> QuerySet[Client]:
    """Clients the user may see, with the number of open cases."""
    qs = scope_to_user(Client.objects.all(), user, "id").select_related("owner", "backup")
    if search:
        qs = qs.filter(name__icontains=search[:100])
    return qs.annotate(open_cases=Count("cases", filter=~Q(cases__status__in=["resolved", "lost"])))


def get_client_for(user: User, client_id: object) -> Client:
    try:
        return list_clients(user).get(pk=int(str(client_id)))
    except (Client.DoesNotExist, ValueError, TypeError):
        raise NotFound("client") from None


def list_contacts(user: User, *, client: Client | None = None) -> QuerySet[Contact]:
    qs = scope_to_user(Contact.objects.select_related("client"), user)
    return qs.filter(client=client) if client is not None else qs


def get_contact_for(user: User, contact_id: object) -> Contact:
    try:
        return list_contacts(user).get(pk=int(str(contact_id)))
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise NotFound("contact") from None


def list_engagements(user: User, *, client: Client | None = None) -> QuerySet[Engagement]:
    qs = scope_to_user(Engagement.objects.select_related("client"), user)
    return qs.filter(client=client) if client is not None else qs


def get_engagement_for(user: User, engagement_id: object) -> Engagement:
    try:
        return list_engagements(user).get(pk=int(str(engagement_id)))
    except (Engagement.DoesNotExist, ValueError, TypeError):
        raise NotFound("engagement") from None


def list_timeline(
    user: User,
    *,
    client: Client | None = None,
    case: object = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[TimelineEntry]:
    """Timeline entries in order, newest first, for what the user may see."""
    qs = scope_to_user(TimelineEntry.objects.select_related("actor", "case", "client"), user)
    if client is not None:
        qs = qs.filter(client=client)
    if case is not None:
        qs = qs.filter(case=case)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lte=until)
    return qs
