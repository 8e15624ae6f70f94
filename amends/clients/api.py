"""API: clients, their contacts and engagements, and the client timeline."""

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from amends.accounts.api import user_field
from amends.accounts.models import User
from amends.clients import actions, queries
from amends.clients.models import Client, Contact, Engagement, TimelineEntry
from amends.clients.schemas import (
    ClientFilter,
    ClientIn,
    ClientOut,
    ClientPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    EngagementIn,
    EngagementOut,
    EngagementPatch,
    TimelineEntryOut,
)
from amends.core.api_support import (
    ADMIN_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Moment,
    Page,
    actor,
)

router = Router(tags=["Clients"])

# Every write answers with the record read back through its scoped query, so the
# response is exactly what a later GET returns (e.g. decimals as stored: "40.00").


class TimelineFilter(Schema):
    since: Moment | None = Field(None, description="Only entries at or after this time.")
    until: Moment | None = Field(None, description="Only entries at or before this time.")


def _with_users(user: User, fields: dict[str, Any]) -> dict[str, Any]:
    """Turn `owner` / `backup` ids into users (422 naming the field if unknown)."""
    for name in ("owner", "backup"):
        if name in fields:
            fields[name] = user_field(user, name, fields[name])
    return fields


# ------------------------------------------------------------------------- clients


@router.get("/clients", response={200: list[ClientOut], **READ_ERRORS}, summary="List clients")
@paginate(Page)
def list_clients(request: HttpRequest, filters: Query[ClientFilter]) -> QuerySet[Client]:
    """The clients you are on the team of (admins: all), by name, with open case counts."""
    return queries.list_clients(actor(request), search=filters.search).order_by("name", "id")


@router.post("/clients", response={201: ClientOut, **ADMIN_WRITE_ERRORS}, summary="Add a client")
def create_client(request: HttpRequest, payload: ClientIn) -> Status:
    """Add a client. Admins only. The owner and backup join the client's team as leads."""
    user = actor(request)
    client = actions.create_client(user, **_with_users(user, payload.model_dump()))
    return Status(201, queries.get_client_for(user, client.pk))


@router.get(
    "/clients/{client_id}", response={200: ClientOut, **READ_ERRORS}, summary="Get a client"
)
def get_client(request: HttpRequest, client_id: Id) -> Client:
    """One client you can see."""
    return queries.get_client_for(actor(request), client_id)


@router.patch(
    "/clients/{client_id}", response={200: ClientOut, **WRITE_ERRORS}, summary="Edit a client"
)
def update_client(request: HttpRequest, client_id: Id, payload: ClientPatch) -> Client:
    """Change the fields you send. A new owner or backup joins the team and the change is
    put on the timeline (R2, R3)."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    fields = _with_users(user, payload.model_dump(exclude_unset=True, exclude={"version"}))
    actions.update_client(user, client, version=payload.version, **fields)
    return queries.get_client_for(user, client.pk)


@router.get(
    "/clients/{client_id}/timeline",
    response={200: list[TimelineEntryOut], **READ_ERRORS},
    summary="A client's timeline",
)
@paginate(Page)
def client_timeline(
    request: HttpRequest, client_id: Id, filters: Query[TimelineFilter]
) -> QuerySet[TimelineEntry]:
    """Everything that happened with the client, newest first (R7)."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    return queries.list_timeline(user, client=client, since=filters.since, until=filters.until)


# ------------------------------------------------------------------------ contacts


@router.get(
    "/clients/{client_id}/contacts",
    response={200: list[ContactOut], **READ_ERRORS},
    summary="List a client's contacts",
)
@paginate(Page)
def list_contacts(request: HttpRequest, client_id: Id) -> QuerySet[Contact]:
    """The people at the client, by name."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    return queries.list_contacts(user, client=client).order_by("name", "id")


@router.post(
    "/clients/{client_id}/contacts",
    response={201: ContactOut, **WRITE_ERRORS},
    summary="Add a contact",
)
def create_contact(request: HttpRequest, client_id: Id, payload: ContactIn) -> Status:
    """Add a person at the client."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    contact = actions.add_contact(user, client, **payload.model_dump())
    return Status(201, queries.get_contact_for(user, contact.pk))


@router.get(
    "/contacts/{contact_id}", response={200: ContactOut, **READ_ERRORS}, summary="Get a contact"
)
def get_contact(request: HttpRequest, contact_id: Id) -> Contact:
    """One contact at a client you can see."""
    return queries.get_contact_for(actor(request), contact_id)


@router.patch(
    "/contacts/{contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Edit a contact"
)
def update_contact(request: HttpRequest, contact_id: Id, payload: ContactPatch) -> Contact:
    """Change the fields you send."""
    user = actor(request)
    contact = queries.get_contact_for(user, contact_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    actions.update_contact(user, contact, version=payload.version, **fields)
    return queries.get_contact_for(user, contact.pk)


# --------------------------------------------------------------------- engagements


@router.get(
    "/clients/{client_id}/engagements",
    response={200: list[EngagementOut], **READ_ERRORS},
    summary="List a client's engagements",
)
@paginate(Page)
def list_engagements(request: HttpRequest, client_id: Id) -> QuerySet[Engagement]:
    """The client's pieces of work with their budgets, latest start first."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    return queries.list_engagements(user, client=client).order_by(
        F("starts_on").desc(nulls_last=True), "name", "id"
    )


@router.post(
    "/clients/{client_id}/engagements",
    response={201: EngagementOut, **WRITE_ERRORS},
    summary="Add an engagement",
)
def create_engagement(request: HttpRequest, client_id: Id, payload: EngagementIn) -> Status:
    """Add a piece of work with a budget in money or hours (R31)."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    engagement = actions.add_engagement(user, client, **payload.model_dump())
    return Status(201, queries.get_engagement_for(user, engagement.pk))


@router.get(
    "/engagements/{engagement_id}",
    response={200: EngagementOut, **READ_ERRORS},
    summary="Get an engagement",
)
def get_engagement(request: HttpRequest, engagement_id: Id) -> Engagement:
    """One engagement of a client you can see."""
    return queries.get_engagement_for(actor(request), engagement_id)


@router.patch(
    "/engagements/{engagement_id}",
    response={200: EngagementOut, **WRITE_ERRORS},
    summary="Edit an engagement",
)
def update_engagement(
    request: HttpRequest, engagement_id: Id, payload: EngagementPatch
) -> Engagement:
    """Change the fields you send, e.g. the budget used so far."""
    user = actor(request)
    engagement = queries.get_engagement_for(user, engagement_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    actions.update_engagement(user, engagement, version=payload.version, **fields)
    return queries.get_engagement_for(user, engagement.pk)
