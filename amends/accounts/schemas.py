"""API input and output shapes for users, client teams and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field

from amends.core.api_support import InSchema, OutSchema, Str

TeamRole = Literal["lead", "member"]  # TeamMembership.Role


class UserOut(OutSchema):
    """A person at the firm."""

    id: int
    username: str
    name: str = Field(description="Display name (or the username when none is set).")
    is_admin: bool
    is_active: bool


class MeOut(UserOut):
    """The user the token belongs to."""

    email: str


class TokenOut(OutSchema):
    """An API token, without its secret (only its first characters, as a hint)."""

    id: int
    name: str
    hint: str = Field(description="The first characters of the token, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool = Field(validation_alias="is_active")


class TokenCreatedOut(TokenOut):
    """A new token: `token` is the secret, shown this once and never stored."""

    token: str = Field(description="The secret. Store it now: it cannot be shown again.")


class TokenIn(InSchema):
    name: Str = Field("API token", max_length=100, description="What the token is for.")


class MembershipOut(OutSchema):
    """A person on a client's team."""

    client: int = Field(validation_alias="client_id")
    user: int = Field(validation_alias="user_id")
    username: str = Field(validation_alias="user.username")
    name: str = Field(validation_alias="user.name")
    role: TeamRole
    added_at: datetime


class MembershipIn(InSchema):
    role: TeamRole = "member"
