"""API: communications with clients — emails, calls, meetings and notes (R22, R23)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from amends.accounts.api import user_field
from amends.accounts.models import User
from amends.cases.queries import get_case_for
from amends.clients.queries import get_client_for, get_contact_for
from amends.comms import actions, queries
from amends.comms.models import Communication
from amends.comms.schemas import (
    CommunicationFilter,
    CommunicationIn,
    CommunicationOut,
    CommunicationPatch,
)
from amends.core.api_support import READ_ERRORS, WRITE_ERRORS, Id, Page, actor
from amends.core.errors import NotFound, ValidationError

router = Router(tags=["Communications"])

_LINKS: dict[str, tuple[Callable[[User, object], Any], str]] = {
    "case": (get_case_for, "case"),
    "contact": (get_contact_for, "contact"),
    "recap_of": (queries.get_communication_for, "communication"),
}


def _with_links(user: User, fields: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids in `fields` into the objects they name, as `user` may see them.

    An id the user cannot see is refused like a missing one (422 on that field); whether
    a visible object belongs to the same client is checked by the write action.
    """
    for name, (get_for, noun) in _LINKS.items():
        if fields.get(name) is not None:
            try:
                fields[name] = get_for(user, fields[name])
            except NotFound:
                raise ValidationError({name: f"There is no {noun} with that id."}) from None
    if "person" in fields:
        fields["person"] = user_field(user, "person", fields["person"])
    return fields


@router.get(
    "/communications",
    response={200: list[CommunicationOut], **READ_ERRORS},
    summary="List communications",
)
@paginate(Page)
def list_communications(
    request: HttpRequest, filters: Query[CommunicationFilter]
) -> QuerySet[Communication]:
    """Communications with the clients you can see, newest first. Filter by `client` or
    `case` (an id you cannot see answers 404)."""
    user = actor(request)
    client = get_client_for(user, filters.client) if filters.client is not None else None
    case = get_case_for(user, filters.case) if filters.case is not None else None
    return queries.list_communications(user, client=client, case=case)


@router.post(
    "/communications",
    response={201: CommunicationOut, **WRITE_ERRORS},
    summary="Record a communication",
)
def create_communication(request: HttpRequest, payload: CommunicationIn) -> Status:
    """Record an email, call, meeting or note with a client (R22, R23). A real reply to
    the client (email, call or meeting, direction `out`) stops the first-response clock
    of the case it is linked to, or of all the client's open cases when unlinked (R1).
    The case, contact and recap must belong to the same client (422 otherwise)."""
    user = actor(request)
    client = get_client_for(user, payload.client)
    fields = _with_links(user, payload.model_dump(exclude={"client"}, exclude_none=True))
    comm = actions.record_communication(user, client, **fields)
    return Status(201, queries.get_communication_for(user, comm.pk))


@router.get(
    "/communications/{comm_id}",
    response={200: CommunicationOut, **READ_ERRORS},
    summary="Get a communication",
)
def get_communication(request: HttpRequest, comm_id: Id) -> Communication:
    """One communication with a client you can see."""
    return queries.get_communication_for(actor(request), comm_id)


@router.patch(
    "/communications/{comm_id}",
    response={200: CommunicationOut, **WRITE_ERRORS},
    summary="Edit a communication",
)
def update_communication(
    request: HttpRequest, comm_id: Id, payload: CommunicationPatch
) -> Communication:
    """Change the fields you send (`null` clears a link)."""
    user = actor(request)
    comm = queries.get_communication_for(user, comm_id)
    fields = _with_links(user, payload.model_dump(exclude_unset=True, exclude={"version"}))
    actions.update_communication(user, comm, version=payload.version, **fields)
    return queries.get_communication_for(user, comm.pk)
