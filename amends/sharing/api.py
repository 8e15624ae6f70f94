"""API: The living resolution document shared with the client (R20, R24).

(No `from __future__ import annotations`: ninja reads the annotations at import time.)
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status
from ninja.pagination import paginate

from amends.cases.queries import get_case_for
from amends.core.api_support import READ_ERRORS, WRITE_ERRORS, Id, Page, actor
from amends.sharing import actions, queries
from amends.sharing.models import ClientUpdate, ShareLink, ShareView
from amends.sharing.schemas import (
    ClientUpdateIn,
    ClientUpdateOut,
    ShareLinkCreatedOut,
    ShareLinkIn,
    ShareLinkOut,
    ShareViewOut,
)

router = Router(tags=["Sharing"])


@router.get(
    "/cases/{case_id}/share-links",
    response={200: list[ShareLinkOut], **READ_ERRORS},
    summary="List a case's share links",
)
@paginate(Page)
def list_share_links(request: HttpRequest, case_id: Id) -> QuerySet[ShareLink]:
    """The case's links to its client document, newest first, including revoked and
    expired ones. Secrets are never shown."""
    user = actor(request)
    return queries.list_links(user, get_case_for(user, case_id)).order_by("-created_at", "-id")


@router.post(
    "/cases/{case_id}/share-links",
    response={201: ShareLinkCreatedOut, **WRITE_ERRORS},
    summary="Share the case's document with the client",
)
def create_share_link(request: HttpRequest, case_id: Id, payload: ShareLinkIn) -> Status:
    """Create a secret link to the living resolution document (R20). The response holds
    the `url`, shown this once: only a digest is stored."""
    user = actor(request)
    case = get_case_for(user, case_id)
    link, raw = actions.create_share_link(
        user, case, label=payload.label, expires_at=payload.expires_at
    )
    url = request.build_absolute_uri(reverse("sharing:public", args=[raw]))
    return Status(201, {**ShareLinkOut.model_validate(link).model_dump(), "url": url})


@router.delete(
    "/share-links/{link_id}", response={204: None, **READ_ERRORS}, summary="Revoke a share link"
)
def revoke_share_link(request: HttpRequest, link_id: Id) -> Status:
    """The link stops working at once (its page answers 404). Revoking twice is harmless."""
    user = actor(request)
    actions.revoke_share_link(user, queries.get_link_for(user, link_id))
    return Status(204, None)


@router.get(
    "/share-links/{link_id}/views",
    response={200: list[ShareViewOut], **READ_ERRORS},
    summary="List the views of a share link",
)
@paginate(Page)
def list_share_views(request: HttpRequest, link_id: Id) -> QuerySet[ShareView]:
    """Every opening of the page or the PDF through this link, newest first."""
    user = actor(request)
    return queries.list_views(user, queries.get_link_for(user, link_id)).order_by("-at", "-id")


@router.get(
    "/cases/{case_id}/client-updates",
    response={200: list[ClientUpdateOut], **READ_ERRORS},
    summary="List the updates published for the client",
)
@paginate(Page)
def list_client_updates(request: HttpRequest, case_id: Id) -> QuerySet[ClientUpdate]:
    """Newest first; the first is the "latest update" on the shared document."""
    user = actor(request)
    return queries.list_updates(user, get_case_for(user, case_id)).order_by("-published_at", "-id")


@router.post(
    "/cases/{case_id}/client-updates",
    response={201: ClientUpdateOut, **WRITE_ERRORS},
    summary="Publish an update for the client",
)
def publish_client_update(request: HttpRequest, case_id: Id, payload: ClientUpdateIn) -> Status:
    """The text becomes the latest update on the shared document at once (R24)."""
    user = actor(request)
    update = actions.publish_update(user, get_case_for(user, case_id), text=payload.text)
    return Status(201, update)
