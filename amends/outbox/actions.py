"""Every write about sending email to the client, calls and agendas."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import nh3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amends.core.errors import StaleEdit, ValidationError
from amends.core.models import update_versioned
from amends.outbox import mail
from amends.outbox.models import Agenda, CallPrep

logger = logging.getLogger("amends.outbox")

if TYPE_CHECKING:
    from amends.accounts.models import User
    from amends.cases.models import Case, CheckIn
    from amends.comms.importing import ParsedMessage
    from amends.comms.models import Communication


def _check_case(actor: User, case: Case) -> Case:
    """The case as `actor` may see it (NotFound otherwise)."""
    from amends.cases.queries import get_case_for

    return get_case_for(actor, case.pk)


def _recap_of(case: Case, draft: Any) -> Communication | None:
    """The call a recap draft follows: the draft's own `recap_of`, else the call sheet
    whose recap draft it is."""
    if draft is None:
        return None
    from amends.comms.models import Communication

    linked = getattr(draft, "recap_of", None)
    if isinstance(linked, Communication):
        return linked
    prep = (
        CallPrep.objects.filter(case=case, recap_draft_id=draft.pk, communication__isnull=False)
        .select_related("communication")
        .first()
    )
    return prep.communication if prep is not None else None


def _mark_draft_sent(draft: Any, comm: Communication) -> None:
    if draft is None or getattr(draft, "pk", None) is None:
        return
    model = type(draft)
    names = {f.name for f in model._meta.get_fields()}
    changes: dict[str, Any] = {}
    if "status" in names:
        changes["status"] = "sent"
    if "sent_communication" in names:
        changes["sent_communication"] = comm
    if "sent_at" in names:
        changes["sent_at"] = comm.occurred_at
    if changes:
        model._default_manager.filter(pk=draft.pk).update(**changes)
        for name, value in changes.items():
            setattr(draft, name, value)


def send_case_email(
    actor: User,
    case: Case,
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    cc: Sequence[str] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),  # (filename, content type, bytes)
    in_reply_to: Any = None,  # an EmailMessage of the case's thread to answer, or None
    draft: Any = None,  # the compose Draft this came from, marked sent
) -> Communication:
    """Send an email to the client from `case`, as its point of contact, through SMTP
    (settings from the environment), keep it byte for byte as an outgoing EmailMessage
    with its Message-ID and In-Reply-To/References set so the reply threads back, and
    record it as an outbound Communication on the case (which stops the right clocks).
    Raises ValidationError with a clear message when it cannot be sent.

    Everything is checked and built first; then the SMTP hand-over; then everything is
    written in one transaction. When the server is down or refuses a recipient, nothing
    is recorded. If the writes fail after the server accepted the message (rare: the
    database gone mid-request), the failure is logged with the Message-ID, and importing
    the sender's Sent folder brings the message in. (Writing first and sending inside the
    transaction would hold SQLite's write lock for as long as the SMTP server takes.)"""
    from amends.comms.actions import max_message_bytes
    from amends.comms.importing import Rejected, parse_message
    from amends.comms.models import EmailMessage

    case = _check_case(actor, case)
    to_list = mail.clean_addresses("to", to)
    if not to_list:
        raise ValidationError({"to": "Name at least one recipient."})
    cc_list = [
        a for a in mail.clean_addresses("cc", cc) if a.lower() not in map(str.lower, to_list)
    ]
    if len(to_list) + len(cc_list) > mail.MAX_RECIPIENTS:
        raise ValidationError({"to": f"At most {mail.MAX_RECIPIENTS} recipients."})
    subject = mail.clean_header("subject", subject, max_chars=mail.MAX_SUBJECT, required=True)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Write the message."})
    if len(text) > mail.MAX_TEXT:
        raise ValidationError({"text": f"At most {mail.MAX_TEXT:,} characters."})
    if html is not None and (not isinstance(html, str) or len(html) > mail.MAX_HTML):
        raise ValidationError({"html": f"At most {mail.MAX_HTML:,} characters of HTML."})
    if html is not None:
        # What reaches the client's mailbox is cleaned like what reaches our pages: no
        # scripts, styles, forms or event handlers from a pasted or API-supplied body.
        html = nh3.clean(html, link_rel="noopener noreferrer")
    if len(attachments) > mail.MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"At most {mail.MAX_ATTACHMENTS} attachments."})
    parent: EmailMessage | None = None
    if in_reply_to is not None:
        if not isinstance(in_reply_to, EmailMessage) or in_reply_to.client_id != case.client_id:
            raise ValidationError({"in_reply_to": "That email is not one of this client's."})
        parent = in_reply_to
    owner = case.point_of_contact
    sender = owner.email or str(getattr(settings, "AMENDS_MAIL_FROM", "") or "").strip()
    if not sender:
        raise ValidationError(
            f"{owner} (the point of contact) has no email address, and no AMENDS_MAIL_FROM "
            "is set: there is no one to send as."
        )
    sender = mail.clean_address("from", sender)
    sender_name = " ".join(str(owner).split())[:200]
    now = timezone.now().replace(microsecond=0)
    built = mail.build_message(
        sender_name=sender_name,
        sender=sender,
        to=to_list,
        cc=cc_list,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        parent_id=parent.message_id if parent else "",
        parent_references=parent.references if parent else (),
        at=now,
        max_bytes=max_message_bytes(),
    )
    parsed = parse_message(built.raw, max_bytes=len(built.raw) + 1)
    if isinstance(parsed, Rejected):  # cannot happen for what we built; never half-send
        raise ValidationError(f"The message cannot be read back: {parsed.reason}")
    contact = (
        case.client.contacts.filter(email__iexact=to_list[0]).order_by("pk").first()
        if to_list
        else None
    )
    recap_of = _recap_of(case, draft)
    root_id = (parent.thread_root_id or parent.pk) if parent is not None else None
    mail.deliver(built)  # refused or down: ValidationError, and nothing was written
    try:
        return _store_sent(
            actor,
            case,
            built,
            parsed,
            at=now,
            contact=contact,
            recap_of=recap_of,
            root_id=root_id,
            draft=draft,
            summary=text[:20000],
        )
    except Exception:
        logger.exception(
            "Sent %s for case %s but could not keep it: import it from the Sent folder.",
            built.message_id,
            case.pk,
        )
        raise


@transaction.atomic
def _store_sent(
    actor: User,
    case: Case,
    built: mail.Built,
    parsed: ParsedMessage,
    *,
    at: datetime,
    contact: Any,
    recap_of: Communication | None,
    root_id: int | None,
    draft: Any,
    summary: str,
) -> Communication:
    """Keep a sent message as an import would (its bytes, the email in its thread) and
    record it as an outgoing email on the case (stops clocks, reaches the timeline and
    the search index)."""
    from amends.comms.actions import record_communication
    from amends.comms.models import Communication, EmailMessage, MessageReference, RawMessage

    raw = RawMessage.objects.create(
        sha256=hashlib.sha256(built.raw).hexdigest(), size=len(built.raw), data=built.raw
    )
    message = EmailMessage.objects.create(
        raw=raw,
        client=case.client,
        message_id=built.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        to_addresses=parsed.to,
        cc_addresses=parsed.cc,
        subject=parsed.subject,
        normalised_subject=parsed.normalised_subject,
        sent_at=at,
        occurred_at=at,
        direction=Communication.Direction.OUT,
        text_body=parsed.text,
        attachments=[vars(a) for a in parsed.attachments],
        problems=parsed.problems,
        source="Sent from Amends",
        imported_by=actor,
    )
    refs = {r for r in [*message.references, message.in_reply_to] if r}
    MessageReference.objects.bulk_create(MessageReference(message=message, ref=r) for r in refs)
    message.thread_root_id = root_id or message.pk
    EmailMessage.objects.filter(pk=message.pk).update(thread_root_id=message.thread_root_id)
    comm = record_communication(
        actor,
        case.client,
        case=case,
        channel=Communication.Channel.EMAIL,
        direction=Communication.Direction.OUT,
        occurred_at=at,
        contact=contact,
        person=actor,
        subject=parsed.subject[:300],
        summary=summary,
        recap_of=recap_of,
    )
    EmailMessage.objects.filter(pk=message.pk).update(communication=comm)
    _mark_draft_sent(draft, comm)
    return comm


# --- Calls (R14, R22) -------------------------------------------------------------------

CALL_FIELDS = {
    "title",
    "scheduled_at",
    "duration_minutes",
    "our_attendees",
    "their_attendees",
    "facts",
    "concerns",
    "proposed_plan",
    "project_state",
    "work_done",
    "choices_made",
    "client_choices_effect",
}


def _lines(items: list[str]) -> str:
    return "\n".join(f"- {i}" for i in items)


def prefill_call(case: Case) -> dict[str, Any]:
    """A first version of the call sheet, from the case: its facts, open concerns, the
    open plan, and what is done (R9, R14). The team edits it before the call."""
    from amends.cases.models import Action, Expectation
    from amends.cases.queries import open_concerns

    concerns = [f"{c.text} ({c.get_kind_display().lower()})" for c in open_concerns(case)]
    actions = list(case.actions.select_related("owner"))
    plan = [
        f"{a.title}"
        + (f" — {a.owner}" if a.owner else "")
        + (f", by {a.deadline:%d %b %Y}" if a.deadline else "")
        for a in actions
        if a.status in Action.OPEN_STATUSES
    ]
    done = [a.title for a in actions if a.status == Action.Status.DONE]
    facts = [case.summary.strip()] if case.summary.strip() else []
    for e in Expectation.objects.filter(case=case):
        line = f"Expected: {e.expected_by_client}"
        if e.delivered:
            line += f" / delivered: {e.delivered}"
        facts.append(line)
    theirs = [
        f"{c.name} <{c.email}>" if c.email else c.name for c in case.client.contacts.all()[:20]
    ]
    return {
        "title": f"Call about {case.title}"[:200],
        "scheduled_at": (timezone.now() + timedelta(days=1)).replace(
            minute=0, second=0, microsecond=0
        ),
        "duration_minutes": 30,
        "our_attendees": str(case.point_of_contact),
        "their_attendees": "\n".join(theirs),
        "facts": "\n".join(facts)[:10000],
        "concerns": _lines(concerns)[:10000],
        "proposed_plan": _lines(plan)[:10000],
        "project_state": f"Case status: {case.get_status_display()}.",
        "work_done": _lines(done)[:10000],
        "choices_made": "",
        "client_choices_effect": "",
    }


def _check_fields(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")


def _bounded(model: Any, fields: dict[str, Any]) -> None:
    """Text within each field's max_length (Django does not check TextFields itself)."""
    for name, value in fields.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            raise ValidationError({name: f"At most {limit:,} characters."})


def _duration(fields: dict[str, Any]) -> None:
    value = fields.get("duration_minutes")
    if value is None:
        return
    try:
        ok = 5 <= int(value) <= 600
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValidationError({"duration_minutes": "Between 5 and 600 minutes."})


@transaction.atomic
def prepare_call(actor: User, case: Case, **fields: Any) -> CallPrep:
    """Prepare a call: what is not given comes from the case (`prefill_call`)."""
    case = _check_case(actor, case)
    _check_fields(fields, CALL_FIELDS)
    values = {**prefill_call(case), **{k: v for k, v in fields.items() if v is not None}}
    _bounded(CallPrep, values)
    _duration(values)
    prep = CallPrep(case=case, created_by=actor, **values)
    prep.full_clean()
    prep.save()
    return prep


@transaction.atomic
def update_call(actor: User, prep: CallPrep, *, version: int | None, **fields: Any) -> CallPrep:
    _check_case(actor, prep.case)
    _check_fields(fields, CALL_FIELDS)
    _bounded(CallPrep, fields)
    _duration(fields)
    update_versioned(prep, version, **fields)
    return prep


def recap_body(prep: CallPrep) -> str:
    when = timezone.localtime(
        prep.communication.occurred_at if prep.communication else prep.scheduled_at
    )
    return (
        f"Thank you for taking the time to talk on {when:%A %d %B}.\n\n"
        "Here is what we discussed and agreed:\n\n"
        f"{prep.outcome.strip()}\n\n"
        "If anything here does not match your understanding, please tell me and I will correct it."
    )


@transaction.atomic
def record_call_outcome(
    actor: User,
    prep: CallPrep,
    *,
    outcome: str,
    version: int | None = None,
    held_at: datetime | None = None,
) -> CallPrep:
    """The call happened: record it on the case (a call Communication, which stops the
    first-response clock) and start its written recap as a draft (R22)."""
    from amends.comms.actions import record_communication
    from amends.comms.models import Communication

    case = _check_case(actor, prep.case)
    if prep.outcome_recorded_at is not None:
        raise ValidationError("The outcome of this call is already recorded.")
    if not isinstance(outcome, str) or not outcome.strip():
        raise ValidationError({"outcome": "Say what was discussed and agreed."})
    if len(outcome) > 20000:
        raise ValidationError({"outcome": "At most 20,000 characters."})
    now = timezone.now()
    held = held_at or min(prep.scheduled_at, now)
    if held > now + timedelta(minutes=5):
        raise ValidationError({"held_at": "A call cannot be recorded before it happens."})
    attendees = [
        {"name": line.strip()[:200], "email": "", "contact": None}
        for line in f"{prep.our_attendees}\n{prep.their_attendees}".splitlines()
        if line.strip()
    ][:50]
    comm = record_communication(
        actor,
        case.client,
        case=case,
        channel=Communication.Channel.CALL,
        direction=Communication.Direction.OUT,
        occurred_at=held,
        person=actor,
        subject=(prep.title or f"Call about {case.title}")[:300],
        summary=outcome.strip(),
    )
    comm.attendees = attendees
    comm.ends_at = held + timedelta(minutes=prep.duration_minutes)
    Communication.objects.filter(pk=comm.pk).update(attendees=attendees, ends_at=comm.ends_at)
    update_versioned(
        prep, version, outcome=outcome.strip(), outcome_recorded_at=now, communication=comm
    )
    draft = _start_recap(actor, case, prep)
    if draft is not None:
        CallPrep.objects.filter(pk=prep.pk).update(recap_draft_id=draft.pk)
        prep.recap_draft_id = draft.pk
    return prep


def _start_recap(actor: User, case: Case, prep: CallPrep) -> Any:
    """The recap draft, through the composer (None while the composer is not there)."""
    from amends.compose.actions import save_draft

    subject = f"Recap of our call: {prep.title or case.title}"[:300]
    try:
        draft = save_draft(actor, case, kind="call_recap", subject=subject, body=recap_body(prep))
    except NotImplementedError:
        return None
    names = {f.name for f in type(draft)._meta.get_fields()}
    if "recap_of" in names and prep.communication is not None:
        type(draft)._default_manager.filter(pk=draft.pk).update(recap_of=prep.communication)
    return draft


# --- Agendas (R19) ----------------------------------------------------------------------

AGENDA_FIELDS = {"checkin", "duration_minutes", *Agenda.PARTS}


def generate_agenda(case: Case) -> dict[str, Any]:
    """The five parts, from the case: positives → what is good; status, open concerns and
    actions → where we are; open actions and expectations → how we move forward; the
    check-in schedule; the milestones (R19, R25)."""
    from amends.cases.models import Action
    from amends.cases.queries import open_concerns

    now = timezone.now()
    positives = [p.text for p in case.positives.all()[:20]]
    actions = list(case.actions.select_related("owner"))
    done = [a.title for a in actions if a.status == Action.Status.DONE]
    open_actions = [a for a in actions if a.status in Action.OPEN_STATUSES]
    concerns = [c.text for c in open_concerns(case)][:20]
    state = [f"Status: {case.get_status_display()}."]
    if done:
        state.append("Done:\n" + _lines(done[:20]))
    if concerns:
        state.append("Still open:\n" + _lines(concerns))
    forward = [
        a.title
        + (f" — {a.owner}" if a.owner else "")
        + (f", by {a.deadline:%d %b %Y}" if a.deadline else "")
        + (f" (success: {a.success_measure})" if a.success_measure else "")
        for a in open_actions[:30]
    ]
    expectations = [e.expected_by_client for e in case.expectations.all()[:20] if e.agreed]
    if expectations:
        forward.extend(f"Agreed: {e}" for e in expectations)
    checkins = [c for c in case.checkins.all() if c.held_at is None and c.scheduled_at >= now]
    milestones = [
        m.title
        + (f" — by {m.due_on:%d %b %Y}" if m.due_on else "")
        + (" (reached)" if m.reached_at else "")
        for m in case.milestones.all()[:30]
    ]
    return {
        "checkin": checkins[0] if checkins else None,
        "affirmations": _lines(positives)[:10000],
        "current_state": "\n\n".join(state)[:10000],
        "moving_forward": _lines(forward)[:10000],
        "check_ins": _lines(
            [f"{timezone.localtime(c.scheduled_at):%A %d %B %Y, %H:%M}" for c in checkins[:20]]
        )[:10000],
        "milestones": _lines(milestones)[:10000],
    }


def _check_checkin(case: Case, checkin: CheckIn | None) -> None:
    if checkin is not None and checkin.case_id != case.pk:
        raise ValidationError({"checkin": "That check-in belongs to another case."})


@transaction.atomic
def create_agenda(actor: User, case: Case, **fields: Any) -> Agenda:
    """A new agenda; parts not given are generated from the case."""
    case = _check_case(actor, case)
    _check_fields(fields, AGENDA_FIELDS)
    values = {**generate_agenda(case), **{k: v for k, v in fields.items() if v is not None}}
    _check_checkin(case, values.get("checkin"))
    _bounded(Agenda, values)
    _duration(values)
    agenda = Agenda(case=case, created_by=actor, **values)
    agenda.full_clean()
    agenda.save()
    return agenda


@transaction.atomic
def update_agenda(actor: User, agenda: Agenda, *, version: int | None, **fields: Any) -> Agenda:
    _check_case(actor, agenda.case)
    _check_fields(fields, AGENDA_FIELDS)
    _check_checkin(agenda.case, fields.get("checkin"))
    _bounded(Agenda, fields)
    _duration(fields)
    update_versioned(agenda, version, **fields)
    return agenda


def _ical_text(value: str) -> str:
    return " ".join(value.split())[:200]


def invitation_ics(
    agenda: Agenda, *, organizer: tuple[str, str], attendees: list[tuple[str, str]]
) -> bytes:
    """The calendar invitation (METHOD:REQUEST) for the agenda's check-in, in UTC."""
    from icalendar import Calendar, Event, vCalAddress, vText

    checkin = agenda.checkin
    if checkin is None:
        raise ValidationError({"checkin": "Choose the check-in this agenda is for."})
    start = checkin.scheduled_at.astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", "-//Amends//Check-in agenda//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    domain = mail.message_id_domain(organizer[1])
    event.add("uid", f"amends-checkin-{checkin.pk}@{domain}")
    event.add("sequence", agenda.version)
    event.add("dtstamp", timezone.now().astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=agenda.duration_minutes))
    event.add("summary", f"Check-in: {agenda.case.title}"[:200])
    event.add("description", agenda.as_text())
    org = vCalAddress(f"mailto:{organizer[1]}")
    org.params["cn"] = vText(_ical_text(organizer[0]))
    event.add("organizer", org)
    for name, address in attendees:
        who = vCalAddress(f"mailto:{address}")
        if name:
            who.params["cn"] = vText(_ical_text(name))
        who.params["role"] = vText("REQ-PARTICIPANT")
        who.params["partstat"] = vText("NEEDS-ACTION")
        who.params["rsvp"] = vText("TRUE")
        event.add("attendee", who, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())


def agenda_recipients(agenda: Agenda) -> list[str]:
    """The client's contacts with an address (the default recipients)."""
    return [
        c.email
        for c in agenda.case.client.contacts.exclude(email="").order_by("name", "pk")[
            : mail.MAX_RECIPIENTS
        ]
    ]


def send_agenda(
    actor: User, agenda: Agenda, *, to: Sequence[str] | None = None, version: int | None = None
) -> Agenda:
    """Email the agenda to the client with the invitation (.ics) attached, and keep it
    with its check-in (the check-in's agenda text)."""
    from amends.cases.actions import update_in_case

    case = _check_case(actor, agenda.case)
    if version is not None and int(version) != agenda.version:
        raise StaleEdit("agenda", agenda.pk, int(version), agenda.version)
    recipients = mail.clean_addresses("to", list(to) if to else agenda_recipients(agenda))
    if not recipients:
        raise ValidationError(
            {"to": "The client has no contact with an email address: name a recipient."}
        )
    owner = case.point_of_contact
    organizer = (str(owner), owner.email or str(getattr(settings, "AMENDS_MAIL_FROM", "")))
    names = {c.email.lower(): c.name for c in case.client.contacts.exclude(email="")}
    ics = invitation_ics(
        agenda,
        organizer=organizer,
        attendees=[(names.get(a.lower(), ""), a) for a in recipients],
    )
    assert agenda.checkin is not None
    when = timezone.localtime(agenda.checkin.scheduled_at)
    text = (
        f"Here is the agenda for our check-in on {when:%A %d %B %Y at %H:%M} "
        f"({timezone.get_current_timezone_name()}). The invitation is attached.\n\n"
        f"{agenda.as_text()}\n"
    )
    # The email first (nothing is kept when it is refused), then the agenda is kept with
    # its check-in: no database lock is held while the SMTP server answers.
    comm = send_case_email(
        actor,
        case,
        to=recipients,
        subject=f"Agenda for our check-in on {when:%d %B %Y}",
        text=text,
        attachments=[("invitation.ics", "text/calendar; method=REQUEST", ics)],
    )
    with transaction.atomic():
        now = timezone.now()
        Agenda.objects.filter(pk=agenda.pk).update(sent_at=now, sent_communication=comm)
        agenda.sent_at, agenda.sent_communication = now, comm
        update_in_case(actor, agenda.checkin, version=None, agenda=agenda.as_text()[:10000])
    return agenda
