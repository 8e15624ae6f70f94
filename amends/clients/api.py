"""API: clients, their contacts and engagements, and the client timeline."""

from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, PlainValidator, WithJsonSchema

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
    Page,
    _aware_and_sane,
    actor,
)

router = Router(tags=["Clients"])

# Every write answers with the record read back through its scoped query, so the
# response is exactly what a later GET returns (e.g. decimals as stored: "40.00").


def _all_of(allowed: tuple[str, ...]) -> Any:
    """Check that every value is in `allowed`, with one clear message naming the bad
    value (a `Literal` would be reported per list index, as `filters.channel.0`)."""

    def check(values: list[str]) -> list[str]:
        for value in values:
            if value not in allowed:
                raise ValueError(f"“{value[:40]}” is not one of: {', '.join(allowed)}.")
        return values

    return AfterValidator(check)


def _enum(allowed: tuple[str, ...]) -> Any:
    return WithJsonSchema({"type": "string", "enum": list(allowed)})


TimelineKinds = Annotated[
    list[Annotated[str, _enum(queries.TIMELINE_KINDS)]], _all_of(queries.TIMELINE_KINDS)
]
Directions = Annotated[list[Annotated[str, _enum(queries.DIRECTIONS)]], _all_of(queries.DIRECTIONS)]
_WHEN = (
    "A date (YYYY-MM-DD, read in the client's time zone, or the server's on the "
    "cross-client timeline when no client is given) or a time with an offset."
)


def _day_or_moment(value: Any) -> date | datetime:
    if isinstance(value, date):
        return value
    text = str(value).strip()[:40]
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if not 1900 <= day.year <= 2999:
                raise ValueError("Give a date between the years 1900 and 2999.")
            return day
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        if "between the years" in str(exc):
            raise
        raise ValueError(
            f"“{text}” is neither a date like 2025-03-01 nor a time like 2025-03-01T09:30:00+01:00."
        ) from None
    return _aware_and_sane(moment)


DayOrMoment = Annotated[
    date | datetime,
    PlainValidator(_day_or_moment),
    WithJsonSchema({"type": "string", "examples": ["2025-03-01", "2025-03-01T09:30:00Z"]}),
]


class CaseTimelineFilter(Schema):
    since: DayOrMoment | None = Field(
        None, description=f"Only entries at or after this time, or from this day. {_WHEN}"
    )
    until: DayOrMoment | None = Field(
        None,
        description=f"Only entries at or before this time, or up to the end of this day. {_WHEN}",
    )
    contact: Id | None = Field(
        None, description="Only communications with this contact (attendees of meetings too)."
    )
    channel: TimelineKinds = Field(
        [],
        description="Only these (repeat to give several): the communication channels email, "
        "call, meeting, note; `case` for case events, `client` for changes to the client record.",
    )
    direction: Directions = Field(
        [], description="Only communications in these directions (repeat to give several)."
    )


class TimelineFilter(CaseTimelineFilter):
    case: Id | None = Field(None, description="Only what belongs to this case.")


class TimelinePage(Page):
    """`Page`, with each entry's communication, email and thread ids looked up for the
    whole page at once."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        result = super().paginate_queryset(queryset, pagination, request, **params)
        result["items"] = queries.with_links(result["items"])
        return result


def timeline_for(
    user: User,
    filters: CaseTimelineFilter,
    *,
    client: Client | None = None,
    case: Any = None,
) -> QuerySet[TimelineEntry]:
    """The timeline `filters` ask for, within `client` or `case` when given (fetched by
    the caller through scoped reads); 404 for a case or contact the user cannot see."""
    from amends.cases.queries import get_case_for

    case_id = getattr(filters, "case", None)
    if case is None and case_id is not None:
        case = get_case_for(user, case_id)
    contact = queries.get_contact_for(user, filters.contact) if filters.contact else None
    zone_of = client or (case.client if case is not None else None)
    zone_of = zone_of or (contact.client if contact is not None else None)
    tzname = zone_of.timezone if zone_of is not None else settings.TIME_ZONE
    first = filters.since if not isinstance(filters.since, datetime) else None
    last = filters.until if not isinstance(filters.until, datetime) else None
    day_since, before = queries.day_range(first, last, tzname)
    return queries.list_timeline(
        user,
        client=client,
        case=case,
        contact=contact,
        channel=filters.channel,
        direction=filters.direction,
        since=filters.since if isinstance(filters.since, datetime) else day_since,
        until=filters.until if isinstance(filters.until, datetime) else None,
        before=before,
    )


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
@paginate(TimelinePage)
def client_timeline(
    request: HttpRequest, client_id: Id, filters: Query[TimelineFilter]
) -> QuerySet[TimelineEntry]:
    """Everything that happened with the client, newest first (R7): messages, calls,
    meetings and notes (with their `communication`, `email` and `thread` ids), case events
    and changes to the client record. Filters combine; dates are the client's days."""
    user = actor(request)
    client = queries.get_client_for(user, client_id)
    return timeline_for(user, filters, client=client)


class EverywhereFilter(TimelineFilter):
    client: Id | None = Field(None, description="Only this client's timeline.")


@router.get(
    "/timeline",
    response={200: list[TimelineEntryOut], **READ_ERRORS},
    summary="The timeline of every client you may see",
)
@paginate(TimelinePage)
def timeline_everywhere(
    request: HttpRequest, filters: Query[EverywhereFilter]
) -> QuerySet[TimelineEntry]:
    """Everything that happened with every client on your teams (all clients for an
    admin), newest first, with the same filters as a client's timeline plus `client`."""
    user = actor(request)
    client = queries.get_client_for(user, filters.client) if filters.client else None
    return timeline_for(user, filters, client=client)


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
