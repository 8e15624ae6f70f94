"""Every write about users, teams and tokens."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from amends.accounts.models import ApiToken, TeamMembership, User
from amends.core.errors import ValidationError


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only an admin can manage users and teams.")


@transaction.atomic
def create_user(
    actor: User | None,
    *,
    username: str,
    password: str | None,
    email: str = "",
    display_name: str = "",
    is_admin: bool = False,
) -> User:
    """Create a person's account. `actor=None` is the command line (trusted)."""
    _require_admin(actor)
    username = username.strip()
    if not username:
        raise ValidationError({"username": "A username is required."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username “{username}” is taken."})
    user = User(username=username, email=email, display_name=display_name, is_admin=is_admin)
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def set_admin(actor: User, *, user: User, is_admin: bool) -> User:
    _require_admin(actor)
    if user == actor and not is_admin:
        raise ValidationError("You cannot remove your own admin role.")
    user.is_admin = is_admin
    user.save(update_fields=["is_admin"])
    return user


@transaction.atomic
def set_team_membership(
    actor: User | None, *, client_id: int, user: User, role: str = TeamMembership.Role.MEMBER
) -> TeamMembership:
    """Put a person on a client's team (or change their role there)."""
    _require_admin(actor)
    if role not in TeamMembership.Role.values:
        raise ValidationError(
            {"role": f"Role must be one of {', '.join(TeamMembership.Role.values)}."}
        )
    membership, _ = TeamMembership.objects.update_or_create(
        user=user, client_id=client_id, defaults={"role": role}
    )
    return membership


@transaction.atomic
def remove_team_membership(actor: User, *, client_id: int, user: User) -> None:
    """Take a person off a client's team; the owner and backup must stay on it."""
    from amends.clients.models import Client

    _require_admin(actor)
    client = Client.objects.get(pk=client_id)
    if user.pk in (client.owner_id, client.backup_id):
        raise ValidationError(
            f"{user} is the {'owner' if user.pk == client.owner_id else 'backup'} of "
            f"{client}; choose someone else for that role first."
        )
    TeamMembership.objects.filter(client_id=client_id, user=user).delete()


@transaction.atomic
def issue_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    """Create an API token for `user`; the raw token is returned once and never stored."""
    name = name.strip()[:100] or "API token"
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, digest=ApiToken.digest_of(raw), hint=raw[:10]
    )
    return token, raw


@transaction.atomic
def revoke_token(user: User, *, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_token(raw: str) -> User | None:
    """The active user behind a bearer token, or None."""
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
