"""Drafts are saved per case and every save keeps the text it replaces."""

from __future__ import annotations

import pytest

from amends.compose.actions import save_draft, send_draft
from amends.compose.htmlmail import to_html
from amends.compose.models import Draft
from amends.compose.queries import get_draft_for, list_drafts
from amends.core.errors import NotFound, StaleEdit, ValidationError


def test_saving_a_draft_keeps_the_previous_text(world):
    draft = save_draft(world.alice, world.case, kind="first_response", subject="S1", body="One")
    assert draft.version == 1 and not draft.versions.exists()
    save_draft(
        world.bob,
        world.case,
        kind="first_response",
        subject="S2",
        body="Two",
        draft=draft,
        version=1,
    )
    draft.refresh_from_db()
    assert (draft.subject, draft.body, draft.version) == ("S2", "Two", 2)
    old = draft.versions.get()
    assert (old.number, old.subject, old.body, old.saved_by) == (1, "S1", "One", world.bob)


def test_a_stale_edit_is_refused_and_changes_nothing(world):
    draft = save_draft(world.alice, world.case, kind="free", subject="S", body="One")
    save_draft(
        world.alice, world.case, kind="free", subject="S", body="Two", draft=draft, version=1
    )
    stale = Draft.objects.get(pk=draft.pk)
    with pytest.raises(StaleEdit):
        save_draft(
            world.bob, world.case, kind="free", subject="S", body="Three", draft=stale, version=1
        )
    draft.refresh_from_db()
    assert draft.body == "Two" and draft.versions.count() == 1


def test_hostile_input_is_refused_clearly(world):
    with pytest.raises(ValidationError) as exc:
        save_draft(world.alice, world.case, kind="free", subject="S", body="x" * 50_001)
    assert "body" in exc.value.message_dict
    with pytest.raises(ValidationError):
        save_draft(world.alice, world.case, kind="rant", subject="S", body="x")
    with pytest.raises(ValidationError):
        save_draft(world.alice, world.case, kind="free", subject="a\x00", body="x")
    assert not Draft.objects.exists()


def test_an_outsider_cannot_see_a_draft(world):
    draft = save_draft(world.alice, world.case, kind="free", subject="S", body="x")
    with pytest.raises(NotFound):
        get_draft_for(world.carol, draft.pk)
    assert not list_drafts(world.carol).exists()
    assert get_draft_for(world.bob, draft.pk) == draft


def test_the_html_alternative_is_escaped_and_structured():
    html = to_html(
        "Dear Dana,\n\nWhat we will do\n- Fix <b>it</b>\n- Call you\n\n<script>x</script>"
    )
    assert "<ul><li>Fix &lt;b&gt;it&lt;/b&gt;</li><li>Call you</li></ul>" in html
    assert "<strong>What we will do</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_sending_goes_out_by_smtp_and_marks_the_draft_sent(rich, smtp_server):
    draft = save_draft(
        rich.alice,
        rich.case,
        kind="free",
        subject="Sorry about the launch",
        body="Dear Dana,\n\nI am sorry we missed the date.\n\nAlice",
    )
    comm = send_draft(rich.alice, draft, to=["dana@acme.example"], acknowledge=True)
    draft.refresh_from_db()
    assert draft.is_sent and draft.sent_communication == comm
    assert comm.direction == "out" and comm.case == rich.case
    assert len(smtp_server.messages) == 1
    raw = smtp_server.messages[0].data
    assert b"Sorry about the launch" in raw and b"text/html" in raw
    with pytest.raises(ValidationError):
        save_draft(
            rich.alice,
            rich.case,
            kind="free",
            subject="x",
            body="y",
            draft=draft,
            version=draft.version,
        )


def test_a_refused_send_keeps_the_draft_and_says_why(rich, smtp_server):
    smtp_server.refuse = {"*"}
    draft = save_draft(rich.alice, rich.case, kind="free", subject="S", body="Dear Dana, sorry.")
    with pytest.raises(ValidationError) as exc:
        send_draft(rich.alice, draft, to=["dana@acme.example"], acknowledge=True)
    assert "refused" in str(exc.value)
    draft.refresh_from_db()
    assert not draft.is_sent


def test_a_blocking_finding_must_be_acknowledged(rich, smtp_server):
    # The real coach: a non-apology in a full response blocks until acknowledged.
    body = "Dana,\n\nWe are sorry if you feel let down by the launch.\n\nAlice"
    draft = save_draft(rich.alice, rich.case, kind="full_response", subject="S", body=body)
    with pytest.raises(ValidationError) as exc:
        send_draft(rich.alice, draft, to=["dana@acme.example"])
    assert "non_apology" in str(exc.value)
    assert not smtp_server.messages
    send_draft(rich.alice, draft, to=["dana@acme.example"], acknowledge=True)
    assert len(smtp_server.messages) == 1
