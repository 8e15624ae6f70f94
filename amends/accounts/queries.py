"""Reads that depend on who is asking: the root of every permission check."""

from __future__ import annotations

from django.db.models import QuerySet

from amends.accounts.models import ApiToken, TeamMembership, User
from amends.core.errors import NotFound


def visible_client_ids(user: User) -> QuerySet | None:
    """Client ids the user may see, as a subquery; None means every client (admins)."""
    if not user.is_authenticated or not user.is_active:
        return TeamMembership.objects.none().values("client_id")
    if user.is_admin:
        return None
    return TeamMembership.objects.filter(user=user).values("client_id")


def scope_to_user(qs: QuerySet, user: User, client_field: str = "client") -> QuerySet:
    """Restrict any queryset whose rows belong to a client to that user's clients."""
    ids = visible_client_ids(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{client_field}__in": ids})


def list_users(user: User) -> QuerySet[User]:
    """Everyone at the firm (names are not secret inside the firm); admins see inactive too."""
    qs = User.objects.order_by("username")
    return qs if user.is_admin else qs.filter(is_active=True)


def list_team(client_id: int) -> QuerySet[TeamMembership]:
    """The people on a client's team. Callers pass the id of a client they fetched through
    a permission-scoped query (`get_client_for`), never one taken from user input."""
    return TeamMembership.objects.filter(client_id=client_id).select_related("user")


def list_tokens(user: User) -> QuerySet[ApiToken]:
    """A user's own API tokens."""
    return ApiToken.objects.filter(user=user)


def get_token_for(user: User, token_id: int) -> ApiToken:
    try:
        return ApiToken.objects.get(user=user, pk=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFound("token") from None


def is_on_team(user: User, client_id: int) -> bool:
    return user.is_admin or TeamMembership.objects.filter(user=user, client_id=client_id).exists()
