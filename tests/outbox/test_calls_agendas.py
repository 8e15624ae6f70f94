"""Calls prepared and recorded, with their recap (R14, R22), and check-in agendas sent
with a calendar invitation (R19)."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from django.utils import timezone
from icalendar import Calendar

from amends.cases.actions import add_to_case, open_case
from amends.comms.models import Communication
from amends.compose.models import Draft
from amends.core.errors import NotFound, ValidationError
from amends.outbox import actions
from amends.outbox.models import Agenda, CallPrep

pytestmark = pytest.mark.django_db


def _concern(world, text="Nobody told us the launch moved"):
    return add_to_case(world.alice, world.case, "concern", text=text)


def test_a_call_sheet_starts_from_the_case(world):
    _concern(world)
    add_to_case(world.alice, world.case, "action", title="Send the new launch plan")
    prep = actions.prepare_call(world.alice, world.case)
    assert "Nobody told us the launch moved" in prep.concerns
    assert "Send the new launch plan" in prep.proposed_plan
    assert "Dana Client" in prep.their_attendees
    assert "Alice Owner" in prep.our_attendees
    assert prep.project_state.startswith("Case status:")


def test_recording_the_outcome_puts_the_call_on_the_case_and_drafts_the_recap(world):
    prep = actions.prepare_call(
        world.alice, world.case, scheduled_at=timezone.now() - timedelta(hours=1)
    )
    prep = actions.record_call_outcome(world.alice, prep, outcome="Agreed a new date: 1 June.")
    call = prep.communication
    assert call.channel == "call" and call.direction == "out" and call.case == world.case
    assert call.summary == "Agreed a new date: 1 June."
    assert {a["name"] for a in call.attendees} >= {"Alice Owner"}
    world.case.refresh_from_db()
    assert world.case.first_response_at is not None
    draft = Draft.objects.get(pk=prep.recap_draft_id)
    assert draft.kind == "call_recap" and "Agreed a new date" in draft.body
    with pytest.raises(ValidationError, match="already recorded"):
        actions.record_call_outcome(world.alice, prep, outcome="again")


def test_sending_the_recap_marks_it_recap_of_the_call(world, smtp_server):
    prep = actions.prepare_call(
        world.alice, world.case, scheduled_at=timezone.now() - timedelta(hours=1)
    )
    prep = actions.record_call_outcome(world.alice, prep, outcome="We agreed the plan.")
    draft = Draft.objects.get(pk=prep.recap_draft_id)
    comm = actions.send_case_email(
        world.alice,
        world.case,
        to=["dana@acme.example"],
        subject=draft.subject,
        text=draft.body,
        draft=draft,
    )
    assert comm.recap_of == prep.communication
    draft.refresh_from_db()
    assert draft.status == "sent" and draft.sent_communication == comm
    assert len(smtp_server.messages) == 1


def test_outsider_cannot_prepare_or_record(world):
    with pytest.raises(NotFound):
        actions.prepare_call(world.carol, world.case)
    prep = actions.prepare_call(world.alice, world.case)
    with pytest.raises(NotFound):
        actions.record_call_outcome(world.carol, prep, outcome="x")
    assert not Communication.objects.filter(channel="call").exists()


def test_call_input_is_bounded(world):
    with pytest.raises(ValidationError):
        actions.prepare_call(world.alice, world.case, facts="x" * 10001)
    with pytest.raises(ValidationError):
        actions.prepare_call(world.alice, world.case, duration_minutes=10_000)
    with pytest.raises(ValidationError):
        actions.prepare_call(world.alice, world.case, nonsense="x")
    prep = actions.prepare_call(world.alice, world.case)
    with pytest.raises(ValidationError):
        actions.record_call_outcome(world.alice, prep, outcome="   ")
    assert not CallPrep.objects.exclude(pk=prep.pk).exists()


def _checkin(world, days=3):
    return add_to_case(
        world.alice, world.case, "checkin", scheduled_at=timezone.now() + timedelta(days=days)
    )


def test_an_agenda_is_generated_in_five_parts(world):
    add_to_case(world.alice, world.case, "positive", text="Dana sent the content early")
    _concern(world)
    add_to_case(world.alice, world.case, "action", title="Weekly status email")
    add_to_case(world.alice, world.case, "milestone", title="Staging site live")
    checkin = _checkin(world)
    agenda = actions.create_agenda(world.alice, world.case)
    assert agenda.checkin == checkin
    assert "Dana sent the content early" in agenda.affirmations
    assert "Nobody told us" in agenda.current_state
    assert "Weekly status email" in agenda.moving_forward
    assert agenda.check_ins.strip()
    assert "Staging site live" in agenda.milestones
    text = agenda.as_text()
    for title in ("going well", "Where we are", "move forward", "check in", "Milestones"):
        assert title in text


def test_sending_an_agenda_attaches_an_invitation(world, smtp_server):
    checkin = _checkin(world)
    agenda = actions.create_agenda(world.alice, world.case, affirmations="Great teamwork")
    actions.send_agenda(world.alice, agenda)
    assert len(smtp_server.messages) == 1
    msg = message_from_bytes(smtp_server.messages[0].data, policy=default)
    assert "Great teamwork" in msg.get_body(("plain",)).get_content()
    (ics,) = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "REQUEST"
    cal = Calendar.from_ical(ics.get_payload(decode=True))
    assert str(cal["method"]) == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert event["uid"]
    assert event.decoded("dtstart") == checkin.scheduled_at.replace(microsecond=0) or abs(
        event.decoded("dtstart") - checkin.scheduled_at
    ) < timedelta(seconds=1)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert "alice@firm.example" in str(event["organizer"])
    attendees = event["attendee"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:dana@acme.example"]
    assert "Great teamwork" in str(event["description"])
    agenda.refresh_from_db()
    checkin.refresh_from_db()
    assert agenda.sent_at is not None and agenda.sent_communication.case == world.case
    assert "Great teamwork" in checkin.agenda


def test_an_agenda_without_a_checkin_cannot_be_sent(world, smtp_server):
    agenda = actions.create_agenda(world.alice, world.case)
    assert agenda.checkin is None
    with pytest.raises(ValidationError, match="check-in"):
        actions.send_agenda(world.alice, agenda)
    assert smtp_server.messages == []


def test_refused_agenda_keeps_nothing(world, smtp_server):
    checkin = _checkin(world)
    agenda = actions.create_agenda(world.alice, world.case)
    smtp_server.refuse = {"*"}
    with pytest.raises(ValidationError):
        actions.send_agenda(world.alice, agenda)
    agenda.refresh_from_db()
    checkin.refresh_from_db()
    assert agenda.sent_at is None and checkin.agenda == ""


def test_a_checkin_of_another_case_is_refused(world):
    second = open_case(world.alice, world.acme, title="Another Acme case")
    other = add_to_case(
        world.alice, second, "checkin", scheduled_at=timezone.now() + timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        actions.create_agenda(world.alice, world.case, checkin=other)
    agenda = actions.create_agenda(world.alice, world.case)
    with pytest.raises(ValidationError):
        actions.update_agenda(world.alice, agenda, version=agenda.version, checkin=other)
    assert Agenda.objects.count() == 1


def test_a_refused_recap_leaves_the_draft_unsent(world, smtp_server):
    prep = actions.prepare_call(
        world.alice, world.case, scheduled_at=timezone.now() - timedelta(hours=1)
    )
    prep = actions.record_call_outcome(world.alice, prep, outcome="We agreed the plan.")
    draft = Draft.objects.get(pk=prep.recap_draft_id)
    smtp_server.refuse = {"*"}
    with pytest.raises(ValidationError):
        actions.send_case_email(
            world.alice,
            world.case,
            to=["dana@acme.example"],
            subject=draft.subject,
            text=draft.body,
            draft=draft,
        )
    draft.refresh_from_db()
    assert draft.status != "sent" and draft.sent_communication is None
    assert not Communication.objects.filter(recap_of=prep.communication).exists()
