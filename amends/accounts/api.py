"""API: who am I, the people at the firm, client teams, and API tokens."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from amends.accounts import actions, queries
from amends.accounts.models import ApiToken, TeamMembership, User
from amends.accounts.schemas import (
    MembershipIn,
    MembershipOut,
    MeOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from amends.clients.queries import get_client_for
from amends.core.api_support import (
    ADMIN_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Page,
    actor,
)
from amends.core.errors import NotFound, ValidationError

router = Router(tags=["People and tokens"])


def _get_user_for(user: User, user_id: int) -> User:
    """A person at the firm by id, as `user` may list them, or NotFound.

    (Helper read: belongs in `accounts.queries` as `get_user_for`.)
    """
    found = queries.list_users(user).filter(pk=user_id).first()
    if found is None:
        raise NotFound("user")
    return found


def user_field(user: User, field: str, user_id: int | None) -> User | None:
    """The active person a body field names by id (None stays None), or 422 on `field`."""
    if user_id is None:
        return None
    found = queries.list_users(user).filter(pk=user_id, is_active=True).first()
    if found is None:
        raise ValidationError({field: "There is no active user with that id."})
    return found


@router.get("/me", response={200: MeOut, **READ_ERRORS}, summary="Who am I")
def me(request: HttpRequest) -> User:
    """The user the bearer token belongs to."""
    return actor(request)


@router.get("/users", response={200: list[UserOut], **READ_ERRORS}, summary="List people")
@paginate(Page)
def list_users(request: HttpRequest) -> QuerySet[User]:
    """Everyone at the firm, by username. Admins also see deactivated accounts."""
    return queries.list_users(actor(request))


@router.get("/tokens", response={200: list[TokenOut], **READ_ERRORS}, summary="List my tokens")
@paginate(Page)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    """Your own API tokens, newest first, including revoked ones. Secrets are never shown."""
    return queries.list_tokens(actor(request)).order_by("-created_at", "-id")


@router.post("/tokens", response={201: TokenCreatedOut, **WRITE_ERRORS}, summary="Create a token")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Create an API token for yourself. The response holds the secret `token`, shown
    this once: only a digest is stored, so it cannot be shown again."""
    token, raw = actions.issue_token(actor(request), name=payload.name)
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None, **READ_ERRORS}, summary="Revoke a token")
def revoke_token(request: HttpRequest, token_id: Id) -> Status:
    """Revoke one of your tokens: it stops working at once. Revoking twice is harmless."""
    user = actor(request)
    actions.revoke_token(user, token=queries.get_token_for(user, token_id))
    return Status(204, None)


@router.get(
    "/clients/{client_id}/team",
    response={200: list[MembershipOut], **READ_ERRORS},
    summary="List a client's team",
    tags=["Clients"],
)
@paginate(Page)
def list_team(request: HttpRequest, client_id: Id) -> QuerySet[TeamMembership]:
    """Who is on the client's team: only they (and admins) can see the client."""
    client = get_client_for(actor(request), client_id)
    return queries.list_team(client.pk).order_by("user__username", "user_id")


@router.put(
    "/clients/{client_id}/team/{user_id}",
    response={200: MembershipOut, **ADMIN_WRITE_ERRORS},
    summary="Put someone on a client's team",
    tags=["Clients"],
)
def set_team_member(
    request: HttpRequest, client_id: Id, user_id: Id, payload: MembershipIn
) -> TeamMembership:
    """Add a person to the client's team, or change their role there. Admins only."""
    user = actor(request)
    client = get_client_for(user, client_id)
    member = _get_user_for(user, user_id)
    return actions.set_team_membership(user, client_id=client.pk, user=member, role=payload.role)


@router.delete(
    "/clients/{client_id}/team/{user_id}",
    response={204: None, **ADMIN_WRITE_ERRORS},
    summary="Take someone off a client's team",
    tags=["Clients"],
)
def remove_team_member(request: HttpRequest, client_id: Id, user_id: Id) -> Status:
    """Take a person off the client's team. Admins only. The client's owner and backup
    must stay on it (422 until someone else takes that role)."""
    user = actor(request)
    client = get_client_for(user, client_id)
    member = _get_user_for(user, user_id)
    actions.remove_team_membership(user, client_id=client.pk, user=member)
    return Status(204, None)
