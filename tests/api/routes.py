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
    Route("GET", "/timeline"),
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
    Route("GET", "/upcoming-meetings"),
    Route("DELETE", "/upcoming-meetings/{meeting_id}", member_status=204),
    Route("GET", "/clients/{client_id}/responsiveness"),
    Route("GET", "/cases/{case_id}/responsiveness"),
    # The resolution document shared with the client (tests/sharing).
    Route("GET", "/cases/{case_id}/share-links"),
    Route("POST", "/cases/{case_id}/share-links", lambda w, a: {"label": "Dana"}, 201),
    Route("DELETE", "/share-links/{link_id}", member_status=204),
    Route("GET", "/share-links/{link_id}/views"),
    Route("GET", "/cases/{case_id}/client-updates"),
    Route("POST", "/cases/{case_id}/client-updates", lambda w, a: {"text": "On track."}, 201),
    Route("GET", "/responsiveness"),
    Route("GET", "/triage", admin_only=True, outsider="forbidden"),
    Route("GET", "/triage/domains", admin_only=True, outsider="forbidden"),
    Route(
        "POST",
        "/triage/domains",
        lambda w, a: {"domain": "initech.example", "client": w.acme.pk},
        admin_only=True,
        outsider="forbidden",
    ),
    Route(
        "POST", "/triage/{message_id}/assign", lambda w, a: {"client": w.acme.pk}, admin_only=True
    ),
    Route("POST", "/triage/{message_id}/dismiss", admin_only=True),
    Route(
        "POST",
        "/triage/domains/dismiss",
        lambda w, a: {"domain": "nowhere.example"},
        admin_only=True,
        outsider="forbidden",
    ),
    Route("POST", "/triage/{message_id}/restore", admin_only=True),
    Route(
        "POST",
        "/triage/assign",
        lambda w, a: {"ids": [_unmatched_message(w).pk], "client": w.acme.pk},
        admin_only=True,
        outsider="forbidden",
    ),
    Route(
        "POST",
        "/triage/assign-by-thread",
        lambda w, a: {"ids": [_unmatched_message(w).pk]},
        admin_only=True,
        outsider="forbidden",
    ),
    Route(
        "POST",
        "/triage/dismiss",
        lambda w, a: {"ids": [_unmatched_message(w).pk]},
        admin_only=True,
        outsider="forbidden",
    ),
    Route("GET", "/mailboxes", outsider="own"),
    Route(
        "POST",
        "/mailboxes",
        lambda w, a: {
            "host": "imap.firm.example",
            "username": "alice",
            "password": "pw",
            "client": w.acme.pk,
        },
        201,
    ),
    Route("GET", "/mailboxes/{mailbox_id}"),
    Route("PATCH", "/mailboxes/{mailbox_id}", lambda w, a: {"version": 1, "label": "Work"}),
    Route("DELETE", "/mailboxes/{mailbox_id}", member_status=204),
    Route("POST", "/mailboxes/{mailbox_id}/poll", member_status=202),
    # Reading an imported email (tests/comms_messages). The attachment download answers
    # application/octet-stream, not JSON: the table asks for a missing one (404 JSON);
    # the download itself is tested in tests/comms_messages/test_api.py.
    Route("GET", "/emails/{email_id}"),
    Route("GET", "/emails/{email_id}/thread"),
    Route("GET", "/emails/{email_id}/attachments/{index}", member_status=404),
    Route("POST", "/emails/{email_id}/link", lambda w, a: {"case": w.case.pk}),
    Route(
        "POST",
        "/emails/{email_id}/concern",
        lambda w, a: {"case": w.case.pk, "quote": "Where is the new launch date?"},
        201,
    ),
    # The composer (tests/compose). No SMTP server here: the send is refused cleanly (422);
    # tests/compose/test_api.py sends to a real one.
    Route("GET", "/cases/{case_id}/drafts"),
    Route("POST", "/cases/{case_id}/drafts", lambda w, a: {"subject": "Hi", "body": "B"}, 201),
    Route("GET", "/drafts/{draft_id}"),
    Route("PATCH", "/drafts/{draft_id}", lambda w, a: {"version": 1, "body": "Hello again"}),
    Route("GET", "/drafts/{draft_id}/versions"),
    Route(
        "POST",
        "/drafts/{draft_id}/send",
        lambda w, a: {"version": 1, "to": ["dana@acme.example"], "acknowledge": True},
        422,
    ),
    Route("GET", "/templates", outsider="own"),
    Route(
        "PATCH",
        "/templates/{kind}",
        lambda w, a: {"version": 1, "subject": "Sorry, {{ client.name }}"},
        admin_only=True,
        outsider="forbidden",
    ),
    Route("POST", "/cases/{case_id}/render/{kind}", lambda w, a: {}),
    # Email out, calls, agendas (tests/outbox). No SMTP server here: sending is refused
    # cleanly (422 invalid); tests/outbox sends to a real one on loopback.
    Route(
        "POST",
        "/cases/{case_id}/emails",
        lambda w, a: {"to": ["dana@acme.example"], "subject": "Hi", "text": "Hello"},
        422,
    ),
    Route("GET", "/cases/{case_id}/calls"),
    Route("POST", "/cases/{case_id}/calls", lambda w, a: {"title": "Call Dana"}, 201),
    Route("GET", "/calls/{call_id}"),
    Route("PATCH", "/calls/{call_id}", lambda w, a: {"version": 1, "facts": "F"}),
    Route("POST", "/calls/{call_id}/outcome", lambda w, a: {"outcome": "We agreed a plan."}),
    Route("GET", "/cases/{case_id}/agendas"),
    Route("POST", "/cases/{case_id}/agendas", lambda w, a: {}, 201),
    Route("GET", "/agendas/{agenda_id}"),
    Route("PATCH", "/agendas/{agenda_id}", lambda w, a: {"version": 1, "milestones": "M"}),
    Route("POST", "/agendas/{agenda_id}/send", lambda w, a: {}, 422),
    Route("POST", "/coach", lambda w, a: {"text": "Sorry.", "case": w.case.pk}),
    Route("GET", "/coach/rules", admin_only=True, outsider="forbidden"),
    Route(
        "PATCH",
        "/coach/rules/{code}",
        lambda w, a: {"version": 1, "enabled": True},
        admin_only=True,
        outsider="forbidden",
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


def _acme_mailbox(world: Any) -> Any:
    """Alice's mailbox, tied to Acme (never polled here)."""
    from amends.comms.mailbox_actions import connect_mailbox

    return connect_mailbox(
        world.alice, host="imap.acme.example", username="alice", password="pw", client=world.acme
    )


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


def _acme_email(world: Any) -> Any:
    """An imported email from Acme's contact, on Acme's timeline."""
    from amends.comms.actions import Matcher, store_parsed_message
    from amends.comms.importing import parse_message
    from amends.comms.models import EmailMessage

    stored = EmailMessage.objects.filter(message_id="email-route@acme.example").first()
    if stored is not None:
        return stored
    parsed = parse_message(
        b"From: Dana Client <dana@acme.example>\r\nTo: alice@firm.example\r\n"
        b"Subject: Launch\r\nMessage-ID: <email-route@acme.example>\r\n"
        b"Date: Mon, 6 Jul 2026 08:14:02 +0000\r\n\r\nWhere is the new launch date?\r\n"
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
        "mailbox_id": _acme_mailbox(world).pk if "{mailbox_id}" in route.path else 0,
        "email_id": _acme_email(world).pk if "{email_id}" in route.path else 0,
        "link_id": _acme_share_link(world).pk if "{link_id}" in route.path else 0,
        "index": 99,
        "draft_id": _acme_draft(world).pk if "{draft_id}" in route.path else 0,
        "kind": "first_response",
        "code": "excuse",
        "call_id": _acme_call(world).pk if "{call_id}" in route.path else 0,
        "agenda_id": _acme_agenda(world).pk if "{agenda_id}" in route.path else 0,
        "meeting_id": acme.upcoming.pk if acme.upcoming is not None else 0,
    }
    return route.path.format(**ids)


def params(routes: list[Route]) -> list[Any]:
    """Routes as pytest parameters; a route blocked by a known bug is expected to fail."""
    return [
        pytest.param(r, id=r.id, marks=needs_kind_field_fix if r.known_bug else ()) for r in routes
    ]


def _acme_draft(world: Any) -> Any:
    """A draft on Acme's case (never sent here)."""
    from amends.compose.actions import save_draft

    return save_draft(world.alice, world.case, kind="free", subject="Sorry", body="Dear Dana")


def _acme_share_link(world: Any) -> Any:
    """A live share link to Acme's case."""
    from amends.sharing.actions import create_share_link

    return create_share_link(world.alice, world.case, label="Dana")[0]


def _acme_call(world: Any) -> Any:
    """A prepared call on Acme's case (not yet held)."""
    from amends.outbox.actions import prepare_call

    return prepare_call(world.alice, world.case, title="Call Dana")


def _acme_agenda(world: Any) -> Any:
    """A check-in agenda on Acme's case (never sent here: no SMTP server)."""
    from amends.outbox.actions import create_agenda

    return create_agenda(world.alice, world.case)
