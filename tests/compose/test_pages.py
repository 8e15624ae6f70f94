"""The composer pages: start, fill out, coach live, save with history, send; templates."""

from __future__ import annotations

import pytest

from amends.compose.actions import save_draft
from amends.compose.models import Draft, MessageTemplate


def test_the_case_page_links_to_the_composer(as_alice, world):
    page = as_alice.get(f"/cases/{world.case.pk}/").content.decode()
    assert f'href="/compose/case/{world.case.pk}/"' in page
    assert "Write to the client" in page


def test_a_new_message_starts_from_bullet_points_pre_filled_from_the_case(as_alice, rich):
    response = as_alice.get(f"/compose/case/{rich.case.pk}/new/?kind=full_response")
    page = response.content.decode()
    assert response.status_code == 200
    assert "What we will do:" in page and "Send the revised launch plan" in page
    assert "10% off the June invoice" in page
    assert 'hx-trigger="input changed delay:400ms, change, change from:#id_kind"' in page
    assert "what happened and what we will do" in page  # the subject from the template


def test_filling_out_writes_the_sections_and_saves_a_draft(as_alice, rich):
    bullets = "What happened, precisely:\n- We missed the QA date and did not tell you.\n"
    response = as_alice.post(
        f"/compose/case/{rich.case.pk}/new/",
        {"kind": "full_response", "subject": "", "bullets": bullets, "body": "", "action": "fill"},
    )
    assert response.status_code == 303
    draft = Draft.objects.get()
    assert response["Location"] == f"/compose/draft/{draft.pk}/"
    assert "We missed the QA date and did not tell you." in draft.body
    assert "I am sorry." in draft.body and draft.subject
    page = as_alice.get(response["Location"]).content.decode()
    assert "We missed the QA date" in page


def test_saving_keeps_history_and_old_versions_can_be_read(as_alice, world):
    draft = save_draft(world.alice, world.case, kind="free", subject="S", body="First text")
    response = as_alice.post(
        f"/compose/draft/{draft.pk}/",
        {
            "kind": "free",
            "subject": "S",
            "bullets": "",
            "body": "Second text",
            "version": 1,
            "action": "save",
        },
    )
    assert response.status_code == 303
    page = as_alice.get(f"/compose/draft/{draft.pk}/").content.decode()
    assert "Version 1" in page and "Second text" in page
    old = as_alice.get(f"/compose/draft/{draft.pk}/versions/1/").content.decode()
    assert "First text" in old


def test_a_stale_save_is_refused_with_a_clear_message(as_alice, world):
    draft = save_draft(world.alice, world.case, kind="free", subject="S", body="One")
    save_draft(
        world.bob, world.case, kind="free", subject="S", body="Bob's", draft=draft, version=1
    )
    response = as_alice.post(
        f"/compose/draft/{draft.pk}/",
        {
            "kind": "free",
            "subject": "S",
            "bullets": "",
            "body": "Alice's",
            "version": 1,
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    draft.refresh_from_db()
    assert draft.body == "Bob's"


def test_the_live_coach_flags_a_non_apology_and_covers_concerns(as_alice, world):
    response = as_alice.post(
        f"/compose/case/{world.case.pk}/coach/",
        {"body": "Dear Dana, we are sorry for any inconvenience."},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-rule="non_apology"' in page
    assert '<mark id="mark-' in page and "sorry for any inconvenience</mark>" in page
    assert "We were never told the launch would slip." in page  # coverage per concern


def test_the_coach_escapes_what_was_typed(as_alice, world):
    page = as_alice.post(
        f"/compose/case/{world.case.pk}/coach/", {"body": "<script>alert(1)</script> sorry"}
    ).content.decode()
    assert "<script>alert(1)" not in page


def test_hostile_posts_do_not_crash(as_alice, world):
    too_long = as_alice.post(f"/compose/case/{world.case.pk}/coach/", {"body": "x" * 60_000})
    assert too_long.status_code == 200
    bad = as_alice.post(
        f"/compose/case/{world.case.pk}/new/",
        {"kind": "nonsense", "subject": "s" * 400, "body": "b", "action": "save"},
    )
    assert bad.status_code == 422
    assert not Draft.objects.exists()
    assert as_alice.get(f"/compose/case/{world.case.pk}/new/?kind=<x>").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/compose/case/{case}/",
        "/compose/case/{case}/new/",
        "/compose/draft/{draft}/",
        "/compose/draft/{draft}/versions/1/",
        "/compose/draft/{draft}/send/",
    ],
)
def test_an_outsider_gets_404(as_carol, world, path):
    draft = save_draft(world.alice, world.case, kind="free", subject="S", body="One")
    save_draft(
        world.alice, world.case, kind="free", subject="S", body="Two", draft=draft, version=1
    )
    url = path.format(case=world.case.pk, draft=draft.pk)
    assert as_carol.get(url).status_code == 404
    assert as_carol.post(url, {"body": "x", "kind": "free", "version": 2}).status_code == 404


def test_an_outsider_cannot_coach_against_someone_elses_case(as_carol, world):
    assert as_carol.post(f"/compose/case/{world.case.pk}/coach/", {"body": "x"}).status_code == 404


def test_sending_shows_recipients_and_sender_then_sends(as_alice, rich, smtp_server):
    draft = save_draft(
        rich.alice,
        rich.case,
        kind="free",
        subject="The launch",
        body="Dear Dana,\n\nI am sorry we missed the date.",
    )
    confirm = as_alice.get(f"/compose/draft/{draft.pk}/send/").content.decode()
    assert "dana@acme.example" in confirm and "Alice Owner" in confirm
    response = as_alice.post(
        f"/compose/draft/{draft.pk}/send/",
        {"to": ["dana@acme.example"], "version": draft.version, "acknowledge": "on"},
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.is_sent and len(smtp_server.messages) == 1


def test_blocking_findings_must_be_acknowledged_before_sending(as_alice, rich, smtp_server):
    draft = save_draft(
        rich.alice,
        rich.case,
        kind="free",
        subject="The launch",
        body="Dear Dana, we are sorry for any inconvenience.",
    )
    response = as_alice.post(
        f"/compose/draft/{draft.pk}/send/",
        {"to": ["dana@acme.example"], "version": draft.version},
    )
    assert response.status_code == 422
    assert "must be fixed or acknowledged" in response.content.decode()
    assert not smtp_server.messages


def test_a_send_failure_is_shown_and_nothing_is_recorded(as_alice, rich, settings):
    settings.AMENDS_SMTP_HOST = ""
    draft = save_draft(rich.alice, rich.case, kind="free", subject="S", body="Dear Dana, sorry.")
    response = as_alice.post(
        f"/compose/draft/{draft.pk}/send/",
        {"to": ["dana@acme.example"], "version": draft.version, "acknowledge": "on"},
    )
    assert response.status_code == 422
    assert 'class="form-errors"' in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_sent


def test_only_admins_edit_templates(as_alice, world):
    assert as_alice.get("/compose/templates/").status_code == 403
    assert as_alice.post("/compose/templates/first_response/", {}).status_code == 403


def test_an_admin_edits_a_template_and_it_must_render(as_ada, world):
    page = as_ada.get("/compose/templates/").content.decode()
    assert "Budget utilisation note" in page
    template = MessageTemplate.objects.get(kind="first_response")
    bad = as_ada.post(
        "/compose/templates/first_response/",
        {"subject": "Hi", "body": "{% load static %}", "version": template.version},
    )
    assert bad.status_code == 422 and "not allowed" in bad.content.decode()
    good = as_ada.post(
        "/compose/templates/first_response/",
        {
            "subject": "Sorry, {{ client.name }}",
            "body": "Dear {{ contact.first_name }}",
            "version": template.version,
        },
    )
    assert good.status_code == 303
    template.refresh_from_db()
    assert template.subject == "Sorry, {{ client.name }}" and template.updated_by == world.ada
    assert as_ada.get("/compose/templates/nonsense/").status_code == 404


def test_a_free_message_fills_out_without_a_stored_template(as_alice, world):
    assert as_alice.get(f"/compose/case/{world.case.pk}/new/?kind=free").status_code == 200
    response = as_alice.post(
        f"/compose/case/{world.case.pk}/new/",
        {"kind": "free", "subject": "", "bullets": "", "body": "", "action": "fill"},
    )
    assert response.status_code == 303
    assert Draft.objects.get().body.startswith("Dear Dana,")
    assert not MessageTemplate.objects.filter(kind="free").exists()
