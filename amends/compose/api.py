"""API: Writing to the client: drafts and message templates (R13, R35)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from amends.cases.queries import get_case_for
from amends.compose import actions, queries
from amends.compose.models import Draft, DraftVersion, MessageTemplate
from amends.compose.schemas import (
    DraftIn,
    DraftOut,
    DraftPatch,
    DraftVersionOut,
    RenderIn,
    RenderOut,
    SendIn,
    SendOut,
    TemplateKind,
    TemplateOut,
    TemplatePatch,
)
from amends.compose.templating import case_context, default_bullets, render_message
from amends.core.api_support import (
    ADMIN_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Page,
    actor,
)

router = Router(tags=["Compose"])


@router.get(
    "/cases/{case_id}/drafts",
    response={200: list[DraftOut], **READ_ERRORS},
    summary="List a case's drafts",
)
@paginate(Page)
def list_drafts(request: HttpRequest, case_id: Id) -> QuerySet[Draft]:
    """Messages written on the case, newest first (sent ones included)."""
    user = actor(request)
    return queries.list_drafts(user, case=get_case_for(user, case_id))


@router.post(
    "/cases/{case_id}/drafts",
    response={201: DraftOut, **WRITE_ERRORS},
    summary="Start a draft",
)
def create_draft(request: HttpRequest, case_id: Id, payload: DraftIn) -> Status:
    """Start a message to the client on the case. Use `POST /cases/{case_id}/render/{kind}`
    first to fill it out from a template."""
    user = actor(request)
    case = get_case_for(user, case_id)
    draft = actions.save_draft(user, case, **payload.model_dump())
    return Status(201, queries.get_draft_for(user, draft.pk))


@router.get("/drafts/{draft_id}", response={200: DraftOut, **READ_ERRORS}, summary="Get a draft")
def get_draft(request: HttpRequest, draft_id: Id) -> Draft:
    """One draft on a case you can see."""
    return queries.get_draft_for(actor(request), draft_id)


@router.patch(
    "/drafts/{draft_id}", response={200: DraftOut, **WRITE_ERRORS}, summary="Save a draft"
)
def update_draft(request: HttpRequest, draft_id: Id, payload: DraftPatch) -> Draft:
    """Change the fields you send; the text it replaces is kept as a version. A sent
    draft cannot change (422)."""
    user = actor(request)
    draft = queries.get_draft_for(user, draft_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    actions.save_draft(
        user,
        draft.case,
        kind=changes.get("kind", draft.kind),
        subject=changes.get("subject", draft.subject),
        body=changes.get("body", draft.body),
        bullets=changes.get("bullets", draft.bullets),
        draft=draft,
        version=payload.version,
    )
    return queries.get_draft_for(user, draft.pk)


@router.get(
    "/drafts/{draft_id}/versions",
    response={200: list[DraftVersionOut], **READ_ERRORS},
    summary="List a draft's earlier versions",
)
@paginate(Page)
def list_draft_versions(request: HttpRequest, draft_id: Id) -> QuerySet[DraftVersion]:
    """Every text a save replaced, newest first."""
    return queries.list_versions(queries.get_draft_for(actor(request), draft_id))


@router.post(
    "/drafts/{draft_id}/send",
    response={200: SendOut, **WRITE_ERRORS},
    summary="Send a draft to the client",
)
def send_draft(request: HttpRequest, draft_id: Id, payload: SendIn) -> dict[str, object]:
    """Email the draft from the case's point of contact, answering the latest email of the
    case's thread. The coach runs first: a blocking finding refuses the send (422) unless
    `acknowledge` is true. A failed send records nothing."""
    user = actor(request)
    draft = queries.get_draft_for(user, draft_id)
    comm = actions.send_draft(
        user,
        draft,
        to=payload.to,
        cc=payload.cc,
        version=payload.version,
        acknowledge=payload.acknowledge,
    )
    return {"draft": queries.get_draft_for(user, draft.pk), "communication": comm.pk}


@router.get(
    "/templates",
    response={200: list[TemplateOut], **READ_ERRORS},
    summary="List message templates",
)
def list_templates(request: HttpRequest) -> list[MessageTemplate]:
    """The template of each kind of message (the default until an admin changes it)."""
    return queries.list_templates()


@router.patch(
    "/templates/{kind}",
    response={200: TemplateOut, **ADMIN_WRITE_ERRORS},
    summary="Change a message template (admin)",
)
def update_template(
    request: HttpRequest, kind: TemplateKind, payload: TemplatePatch
) -> MessageTemplate:
    """Admins only. The template must render with sample facts, and may use only the
    allowed tags and filters (422 says which is not)."""
    user = actor(request)
    if not user.is_admin:
        raise PermissionDenied("Only an admin can change message templates.")
    template = queries.get_template(kind)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    return actions.update_template(user, template, version=payload.version, **changes)


@router.post(
    "/cases/{case_id}/render/{kind}",
    response={200: RenderOut, **WRITE_ERRORS},
    summary="Fill out a message from a template",
)
def render_template(
    request: HttpRequest, case_id: Id, kind: TemplateKind, payload: RenderIn
) -> dict[str, str]:
    """Render the template of `kind` with the case's facts and your bullet points (or
    those pre-filled from the case). Nothing is saved."""
    user = actor(request)
    case = get_case_for(user, case_id)
    bullets = payload.bullets if payload.bullets.strip() else default_bullets(case)
    template = queries.get_template(kind)
    out = render_message(template.subject, template.body, case_context(case, bullets=bullets))
    return {"kind": kind, "subject": out.subject, "body": out.body, "bullets": bullets}
