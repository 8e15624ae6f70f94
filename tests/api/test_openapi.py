"""The OpenAPI description, the local interactive docs, and schemas that match models."""

from __future__ import annotations

import json
import re
from typing import get_args

import pytest
from django.db import models

from amends.accounts.models import TeamMembership
from amends.accounts.schemas import TeamRole
from amends.cases import schemas as cs
from amends.cases.models import Action, Case, Commitment, Concern, Concession
from amends.cases.parts import PARTS
from amends.clients.models import Engagement
from amends.clients.schemas import BudgetUnit
from amends.comms.models import Communication
from amends.comms.schemas import Channel, Direction

from .conftest import BASE

EXPECTED_PATHS = (
    {
        "/me",
        "/me/attention",
        "/coach",
        "/coach/rules",
        "/coach/rules/{code}",
        "/users",
        "/tokens",
        "/tokens/{token_id}",
        "/clients",
        "/clients/{client_id}",
        "/clients/{client_id}/team",
        "/clients/{client_id}/team/{user_id}",
        "/clients/{client_id}/timeline",
        "/timeline",
        "/clients/{client_id}/contacts",
        "/contacts/{contact_id}",
        "/clients/{client_id}/engagements",
        "/engagements/{engagement_id}",
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/transitions",
        "/cases/{case_id}/timeline",
        "/commitments/{commitment_id}/kept",
        "/commitments/{commitment_id}/missed",
        "/communications",
        "/communications/{comm_id}",
        "/search",
        "/jobs",
        "/jobs/{job_id}",
        "/jobs/{job_id}/retry",
        "/imports",
        "/imports/{job_id}",
        "/triage",
        "/triage/domains",
        "/triage/domains/dismiss",
        "/triage/assign",
        "/triage/assign-by-thread",
        "/triage/dismiss",
        "/triage/{message_id}/assign",
        "/triage/{message_id}/dismiss",
        "/triage/{message_id}/restore",
        "/mailboxes",
        "/mailboxes/{mailbox_id}",
        "/mailboxes/{mailbox_id}/poll",
        "/upcoming-meetings",
        "/upcoming-meetings/{meeting_id}",
        "/clients/{client_id}/responsiveness",
        "/cases/{case_id}/responsiveness",
        "/responsiveness",
        "/emails/{email_id}",
        "/emails/{email_id}/thread",
        "/emails/{email_id}/attachments/{index}",
        "/emails/{email_id}/link",
        "/emails/{email_id}/concern",
        "/cases/{case_id}/share-links",
        "/share-links/{link_id}",
        "/share-links/{link_id}/views",
        "/cases/{case_id}/client-updates",
        "/cases/{case_id}/drafts",
        "/drafts/{draft_id}",
        "/drafts/{draft_id}/versions",
        "/drafts/{draft_id}/send",
        "/templates",
        "/templates/{kind}",
        "/cases/{case_id}/render/{kind}",
        "/cases/{case_id}/emails",
        "/cases/{case_id}/calls",
        "/calls/{call_id}",
        "/calls/{call_id}/outcome",
        "/cases/{case_id}/agendas",
        "/agendas/{agenda_id}",
        "/agendas/{agenda_id}/send",
    }
    | {f"/cases/{{case_id}}/{kind}s" for kind in PARTS}
    | {f"/{kind}s/{{part_id}}" for kind in PARTS}
)


@pytest.fixture
def spec(client, db):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_openapi_lists_every_path(spec):
    paths = {p.removeprefix(BASE) for p in spec["paths"]}
    assert paths == EXPECTED_PATHS


def test_every_operation_is_described_and_needs_the_bearer_token(spec):
    scheme = spec["components"]["securitySchemes"]["BearerAuth"]
    assert scheme == scheme | {"type": "http", "scheme": "bearer"}
    ids = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary") and op.get("description"), where
            assert op["security"] == [{"BearerAuth": []}], where
            assert "401" in op["responses"], where
            ids.append(op["operationId"])
    assert len(ids) == len(set(ids)), "operation ids must be unique"


def test_each_kind_inside_a_case_has_its_own_typed_schemas(spec):
    schemas = spec["components"]["schemas"]
    for kind in PARTS:
        op = spec["paths"][f"{BASE}/cases/{{case_id}}/{kind}s"]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        assert body["properties"], kind
        assert body.get("additionalProperties") is False, kind
    concern = schemas["ConcernIn"]["properties"]
    assert concern["text"]["maxLength"] == 5000
    assert concern["kind"]["enum"] == ["concern", "question", "feeling"]
    assert schemas["ConcessionIn"]["properties"]["kind"]["enum"] == list(Concession.Kind.values)


def test_error_responses_are_documented_with_the_error_schema(spec):
    op = spec["paths"][f"{BASE}/cases/{{case_id}}/transitions"]["post"]
    ref = op["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ErrorOut")
    detail = spec["components"]["schemas"]["ErrorDetail"]["properties"]
    assert {"code", "message", "fields", "missing"} <= set(detail)


def test_the_docs_page_uses_only_local_assets(client, db):
    response = client.get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert "cdn" not in html.lower() and "//" not in "".join(assets)
    # Scripts come only from our origin; only the docs page may use inline styles.
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" in csp
    assert "'unsafe-inline'" not in client.get(f"{BASE}/me")["Content-Security-Policy"]


def test_docs_static_assets_are_served(client, db):
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset


# ------------------------------------------------ schemas stay in step with models


@pytest.mark.parametrize(
    ("literal", "choices"),
    [
        (cs.CaseStatus, Case.Status),
        (cs.Severity, Case.Severity),
        (cs.ConcernKind, Concern.Kind),
        (cs.ConcernStatus, Concern.Status),
        (cs.Horizon, Action.Horizon),
        (cs.ActionStatus, Action.Status),
        (cs.CommitmentStatus, Commitment.Status),
        (cs.ConcessionKind, Concession.Kind),
        (cs.ConcessionStatus, Concession.Status),
        (TeamRole, TeamMembership.Role),
        (BudgetUnit, Engagement.BudgetUnit),
        (Channel, Communication.Channel),
        (Direction, Communication.Direction),
    ],
)
def test_enums_match_the_model_choices(literal, choices):
    assert list(get_args(literal)) == list(choices.values)


def test_every_kind_inside_a_case_has_schemas():
    assert set(cs.PART_SCHEMAS) == set(PARTS)


@pytest.mark.parametrize("kind", list(PARTS))
def test_part_schemas_cover_exactly_the_editable_fields(kind):
    part, schemas = PARTS[kind], cs.PART_SCHEMAS[kind]
    assert set(schemas.create.model_fields) == set(part.fields)
    assert set(schemas.patch.model_fields) == set(part.fields) | {"version"}
    assert set(part.fields) <= set(schemas.out.model_fields)


@pytest.mark.parametrize("kind", list(PARTS))
def test_part_schemas_bound_text_like_the_model(kind):
    part, schemas = PARTS[kind], cs.PART_SCHEMAS[kind]
    for name in part.fields:
        field = part.model._meta.get_field(name)
        free_text = isinstance(field, models.CharField | models.TextField) and not field.choices
        if free_text and field.max_length:
            for schema in (schemas.create, schemas.patch):
                limits = [
                    getattr(m, "max_length", None) for m in schema.model_fields[name].metadata
                ]
                assert field.max_length in limits, (kind, name, schema.__name__)


@pytest.mark.parametrize("kind", list(PARTS))
def test_documented_defaults_are_the_model_defaults(kind):
    part, schema = PARTS[kind], cs.PART_SCHEMAS[kind].create
    for name, info in schema.model_fields.items():
        field = part.model._meta.get_field(name)
        if info.is_required() or info.default is None or callable(field.default):
            continue
        assert info.default == field.default, (kind, name)
