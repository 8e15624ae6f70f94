"""Every API operation, with a valid request on Acme's data and what each persona gets.

`test_every_endpoint.py` proves the table lists exactly the operations in the OpenAPI,
so a new endpoint cannot ship without its outsider and anonymous tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from amends.accounts.actions import issue_token
from amends.cases.parts import PARTS

from .conftest import KIND_FIELD_BUG, PART_EDITS, needs_kind_field_fix, part_create_body

Body = Callable[[Any, Any], Any] | None


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the OpenAPI, with {placeholders}
    body: Body = None  # (world, acme) -> a valid JSON body
    member_status: int = 200  # what the team member (or admin, if admin_only) gets
    admin_only: bool = False
    outsider: str = "404"  # 404 | own (about oneself, nothing of Acme) | forbidden
    # Set when the happy path is blocked by a known domain bug (see the report).
    known_bug: bool = False
    # Sent as a multipart form with an uploaded .eml (`body` gives the other form fields).
    upload: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: list[Route] = [
    Route("GET", "/me", outsider="own"),
    Route("GET", "/me/attention", outsider="own"),
    Route("GET", "/users", outsider="own"),
    Route("GET", "/tokens", outsider="own"),
    Route("POST", "/tokens", lambda w, a: {"name": "cli"}, 201, outsider="own"),
    Route("DELETE", "/tokens/{token_id}", member_status=204),
    Route("GET", "/clients"),
    Route(
        "POST",
        "/clients",
        lambda w, a: {"name": "Initech", "owner": w.bob.pk},
        201,
        admin_only=True,
        outsider="forbidden",
    ),
    Route("GET", "/clients/{client_id}"),
    Route("PATCH", "/clients/{client_id}", lambda w, a: {"version": 1, "notes": "n"}),
    Route("GET", "/clients/{client_id}/team"),
    Route(
        "PUT",
        "/clients/{client_id}/team/{user_id}",
        lambda w, a: {"role": "member"},
        admin_only=True,
    ),
    Route("DELETE", "/clients/{client_id}/team/{user_id}", member_status=204, admin_only=True),
    Route("GET", "/clients/{client_id}/timeline"),
    Route("GET", "/clients/{client_id}/contacts"),
    Route("POST", "/clients/{client_id}/contacts", lambda w, a: {"name": "Eve"}, 201),
    Route("GET", "/contacts/{contact_id}"),
    Route("PATCH", "/contacts/{contact_id}", lambda w, a: {"version": 1, "role": "CEO"}),
    Route("GET", "/clients/{client_id}/engagements"),
    Route(
        "POST",
        "/clients/{client_id}/engagements",
        lambda w, a: {"name": "Support", "budget": "100.00"},
        201,
    ),
    Route("GET", "/engagements/{engagement_id}"),
    Route("PATCH", "/engagements/{engagement_id}", lambda w, a: {"version": 1, "used": "1"}),
    Route("GET", "/cases"),
    Route("POST", "/cases", lambda w, a: {"client": w.acme.pk, "title": "New trouble"}, 201),
    Route("GET", "/cases/{case_id}"),
    Route("PATCH", "/cases/{case_id}", lambda w, a: {"version": w.case.version, "summary": "s"}),
    Route(
        "POST", "/cases/{case_id}/transitions", lambda w, a: {"to": "lost", "reason": "They left."}
    ),
    Route("GET", "/cases/{case_id}/timeline"),
    Route("POST", "/commitments/{commitment_id}/kept", lambda w, a: {"version": 1}),
    Route("POST", "/commitments/{commitment_id}/missed", lambda w, a: {}),
    Route("GET", "/communications"),
    Route(
        "POST",
        "/communications",
        lambda w, a: {
            "client": w.acme.pk,
            "case": w.case.pk,
            "channel": "call",
            "direction": "out",
            "contact": w.contact.pk,
            "summary": "Called Dana",
        },
        201,
    ),
    Route("GET", "/communications/{comm_id}"),
    Route("PATCH", "/communications/{comm_id}", lambda w, a: {"version": 1, "subject": "s"}),
    Route("GET", "/search"),
    Route("GET", "/jobs"),
    Route("GET", "/jobs/{job_id}"),
    Route("POST", "/jobs/{job_id}/retry"),
    Route("POST", "/imports", lambda w, a: {"client": w.acme.pk}, 202, upload=True),
    Route("GET", "/imports"),
    Route("GET", "/imports/{job_id}"),
    Route("GET", "/triage", admin_only=True, outsider="forbidden"),
    Route(
        "POST", "/triage/{message_id}/assign", lambda w, a: {"client": w.acme.pk}, admin_only=True
    ),
]
for _kind in PARTS:
    field, value = PART_EDITS[_kind]
    ROUTES += [
        Route("GET", f"/cases/{{case_id}}/{_kind}s"),
        Route(
            "POST",
            f"/cases/{{case_id}}/{_kind}s",
            lambda w, a, k=_kind: part_create_body(k, w),
            201,
            known_bug=_kind == "concession" and KIND_FIELD_BUG,
        ),
        Route("GET", f"/{_kind}s/{{part_id}}"),
        Route(
            "PATCH", f"/{_kind}s/{{part_id}}", lambda w, a, f=field, v=value: {"version": 1, f: v}
        ),
    ]


def _failed_acme_job(world: Any) -> Any:
    """A job on Acme that has failed for good (so it can be retried)."""
    from amends.watch.actions import enqueue_job
    from amends.watch.models import Job

    job = enqueue_job(world.alice, kind="noop", client=world.acme, max_attempts=1)
    Job.objects.filter(pk=job.pk).update(status="failed", attempts=1, last_error="Boom")
    return job


def _acme_import_job(world: Any) -> Any:
    """An import job on Acme (queued; it is never run here)."""
    from amends.watch.actions import enqueue_job

    payload = {"path": "uploads/none/upload.eml", "client": world.acme.pk, "actor": world.alice.pk}
    return enqueue_job(world.alice, kind="comms.import", payload=payload, client=world.acme)


UPLOAD_EML = (
    b"From: Dana Client <dana@acme.example>\r\nTo: alice@firm.example\r\n"
    b"Subject: Uploaded\r\nMessage-ID: <upload-route@acme.example>\r\n"
    b"Date: Mon, 6 Jul 2026 08:14:02 +0000\r\n\r\nHello.\r\n"
)


def _unmatched_message(world: Any) -> Any:
    """An imported email from a stranger, waiting in triage."""
    from amends.comms.actions import Matcher, store_parsed_message
    from amends.comms.importing import parse_message
    from amends.comms.models import EmailMessage

    stored = EmailMessage.objects.filter(message_id="triage-route@nowhere.example").first()
    if stored is not None:
        return stored
    parsed = parse_message(
        b"From: Zed Stranger <zed@nowhere.example>\r\nTo: alice@firm.example\r\n"
        b"Subject: Hello there\r\nMessage-ID: <triage-route@nowhere.example>\r\n"
        b"Date: Mon, 6 Jul 2026 08:14:02 +0000\r\n\r\nWho handles this?\r\n"
    )
    return store_parsed_message(None, parsed, matcher=Matcher())  # type: ignore[arg-type]


def fill(route: Route, world: Any, acme: Any) -> str:
    """The route's path with Acme's ids in it."""
    kind = route.path.split("/")[1].removesuffix("s")
    token, _ = issue_token(world.alice, name="to revoke")
    removing = route.method == "DELETE" and "/team/" in route.path
    ids = {
        "client_id": world.acme.pk,
        "case_id": world.case.pk,
        "contact_id": acme.contact.pk,
        "engagement_id": acme.engagement.pk,
        "comm_id": acme.message.pk,
        "token_id": token.pk,
        # Put Carol on the team; "remove" Ada, who is not on it (harmless, 204).
        "user_id": world.ada.pk if removing else world.carol.pk,
        "commitment_id": acme.parts["commitment"].pk,
        "part_id": acme.parts[kind].pk if kind in acme.parts else 0,
        "job_id": (
            0
            if "{job_id}" not in route.path
            else _acme_import_job(world).pk
            if route.path.startswith("/imports")
            else _failed_acme_job(world).pk
        ),
        "message_id": _unmatched_message(world).pk if "{message_id}" in route.path else 0,
    }
    return route.path.format(**ids)


def params(routes: list[Route]) -> list[Any]:
    """Routes as pytest parameters; a route blocked by a known bug is expected to fail."""
    return [
        pytest.param(r, id=r.id, marks=needs_kind_field_fix if r.known_bug else ()) for r in routes
    ]
