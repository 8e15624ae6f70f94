"""API shapes for share links, their views and the client updates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field

from amends.core.api_support import InSchema, Moment, OutSchema, Str


class ShareLinkOut(OutSchema):
    """A secret link to the case's client document, without its secret."""

    id: int
    case: int = Field(validation_alias="case_id")
    label: str
    hint: str = Field(description="The first characters of the secret, to tell links apart.")
    created_by: int | None = Field(validation_alias="created_by_id")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]


class ShareLinkCreatedOut(ShareLinkOut):
    url: str = Field(description="The secret link, shown this once; only a digest is stored.")


class ShareLinkIn(InSchema):
    label: Str = Field("", max_length=200, description="Who it is for (only the team sees it).")
    expires_at: Moment | None = Field(
        None, description="Default: 90 days from now; at most one year ahead."
    )


class ShareViewOut(OutSchema):
    """One opening of the shared page or its PDF."""

    id: int
    at: datetime
    kind: Literal["page", "pdf"]
    ip: str = Field(description="The network only (IPv4 /24, IPv6 /48).")
    user_agent: str


class ClientUpdateOut(OutSchema):
    """A progress note written for the client; the newest is on the shared document."""

    id: int
    case: int = Field(validation_alias="case_id")
    text: str
    published_at: datetime
    by: int | None = Field(validation_alias="by_id")


class ClientUpdateIn(InSchema):
    text: Str = Field(max_length=5000, min_length=1)
