"""Message templates rendered with a case's facts, safely (R13, R35).

A template is text an admin typed, so it is hostile input like any other. It is rendered
by a private Django `Engine` (autoescape off: the result is plain text) against a
context this module builds from plain strings, tuples and read-only mappings, never
model objects, so no template can reach an attribute, a method that writes, or a query.
Before rendering, the source is checked against short allow-lists of tags and filters
(nothing that loads, includes, pads to a given width or repeats text), its size and
loop nesting are bounded, and the output is cut at `MAX_OUTPUT` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils import timezone

from amends.compose.models import MAX_SUBJECT, MAX_TEMPLATE
from amends.core.errors import ValidationError

if TYPE_CHECKING:
    from amends.cases.models import Case

MAX_OUTPUT = 50_000
MAX_ITEMS = 20  # items per list in the context
MAX_LOOP_DEPTH = 2
MAX_TAGS = 400

ALLOWED_TAGS = frozenset(
    {
        "if",
        "elif",
        "else",
        "endif",
        "for",
        "empty",
        "endfor",
        "with",
        "endwith",
        "firstof",
        "comment",
        "endcomment",
        "ifchanged",
        "endifchanged",
        "cycle",
        "resetcycle",
        "templatetag",
    }
)
ALLOWED_FILTERS = frozenset(
    {
        "default",
        "default_if_none",
        "upper",
        "lower",
        "title",
        "capfirst",
        "join",
        "length",
        "first",
        "last",
        "pluralize",
        "yesno",
        "truncatewords",
        "truncatechars",
        "slice",
        "striptags",
        "cut",
        "add",
        "divisibleby",
    }
)
_FILTER_RE = re.compile(r"\|\s*([A-Za-z_][A-Za-z0-9_]*)")

_ENGINE = Engine(
    dirs=[],
    app_dirs=False,
    loaders=[("django.template.loaders.locmem.Loader", {})],
    autoescape=False,
    debug=False,
    string_if_invalid="",
    libraries={},
)


# ---------------------------------------------------------------------------- checking


def check_template(source: str, *, field: str = "body", limit: int = MAX_TEMPLATE) -> None:
    """Refuse a template that is too long, malformed, or uses a tag or filter outside the
    allow-lists; the message names what is wrong."""
    if "\x00" in source:
        raise ValidationError({field: "Text cannot contain NUL characters."})
    if len(source) > limit:
        raise ValidationError({field: f"Keep it under {limit:,} characters."})
    depth = 0
    tags = 0
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        tags += 1
        contents = token.contents
        if token.token_type == TokenType.BLOCK:
            name = contents.split()[0] if contents.split() else ""
            if name not in ALLOWED_TAGS:
                raise ValidationError(
                    {field: f"The tag {{% {name} %}} is not allowed in message templates."}
                )
            if name == "for":
                depth += 1
                if depth > MAX_LOOP_DEPTH:
                    raise ValidationError(
                        {field: f"Loops may be nested at most {MAX_LOOP_DEPTH} deep."}
                    )
            elif name == "endfor":
                depth = max(0, depth - 1)
        for filter_name in _FILTER_RE.findall(_without_quoted(contents)):
            if filter_name not in ALLOWED_FILTERS:
                raise ValidationError(
                    {field: f"The filter |{filter_name} is not allowed in message templates."}
                )
    if tags > MAX_TAGS:
        raise ValidationError({field: f"Use at most {MAX_TAGS} tags and variables."})
    try:
        _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError({field: f"The template cannot be read: {exc}"}) from None


def _without_quoted(contents: str) -> str:
    """Tag contents with string literals blanked, so `"a|b"` is not read as a filter."""
    return re.sub(r'"[^"]*"|\'[^\']*\'', '""', contents)


def render_source(source: str, context: Mapping[str, Any], *, field: str = "body") -> str:
    """Render a checked template source with `context` (built by `case_context`)."""
    check_template(source, field=field)
    try:
        text = _ENGINE.from_string(source).render(Context(dict(context), autoescape=False))
    except (TemplateSyntaxError, RecursionError, ValueError, TypeError, ArithmeticError) as exc:
        raise ValidationError({field: f"The template cannot be rendered: {exc}"}) from None
    return _tidy(text)[:MAX_OUTPUT]


def _tidy(text: str) -> str:
    """Collapse the blank lines that tags leave behind: at most one empty line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def render_message(subject_source: str, body_source: str, context: Mapping[str, Any]) -> Rendered:
    subject = render_source(subject_source, context, field="subject")
    subject = " ".join(subject.split())[:MAX_SUBJECT]
    return Rendered(subject=subject, body=render_source(body_source, context))


# ----------------------------------------------------------------------------- context


def _freeze(value: Any) -> Any:
    """Plain, read-only data: strings, tuples, read-only mappings; nothing callable that
    could change anything."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value[:MAX_ITEMS])
    if value is None or isinstance(value, bool):
        return value
    return str(value)


def _day(value: Any, tz: Any = None) -> str:
    """A date, or a time in the client's zone (`tz`), as a person writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).strftime("%a %-d %b %Y, %H:%M")
    return value.strftime("%a %-d %b %Y")


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else ""


def _person(user: Any) -> dict[str, str]:
    if user is None:
        return {"name": "", "first_name": "", "email": ""}
    name = str(user)
    return {"name": name, "first_name": _first_name(name), "email": user.email or ""}


# Sections of the bullet points (R13) and the words that start them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("concerns", "What the client raised"),
    ("happened", "What happened, precisely"),
    ("not_ours", "What was not our mistake (gently, with facts)"),
    ("state", "Where things stand"),
    ("plan", "What we will do"),
    ("amends", "Amends offered"),
    ("checkin", "Next check-in"),
    ("positives", "What went well"),
)


def parse_bullets(text: str) -> dict[str, tuple[str, ...]]:
    """Read bullet points grouped under the headings of `SECTIONS` (a line ending in ":")
    into {section: items}. Lines before any heading count as "happened"."""
    notes: dict[str, list[str]] = {key: [] for key, _ in SECTIONS}
    headings = {label.lower(): key for key, label in SECTIONS}
    current = "happened"
    for raw in text.splitlines()[:500]:
        line = raw.strip()
        if not line:
            continue
        if line.endswith(":") and not line.startswith(("-", "*", "•")):
            label = line[:-1].strip().lower()
            current = headings.get(label) or next(
                (key for lab, key in headings.items() if lab.startswith(label[:12])), current
            )
            continue
        item = line.lstrip("-*• ").strip()
        if item:
            notes[current].append(item[:1000])
    return {key: tuple(items[:MAX_ITEMS]) for key, items in notes.items()}


def format_bullets(notes: Mapping[str, Iterable[str]]) -> str:
    """The inverse of `parse_bullets`: headings and "- " items, every section shown."""
    out: list[str] = []
    for key, label in SECTIONS:
        out.append(f"{label}:")
        items = list(notes.get(key, ()))
        out.extend(f"- {item}" for item in items)
        if not items:
            out.append("- ")
        out.append("")
    return "\n".join(out).strip() + "\n"


def case_facts(case: Case) -> dict[str, Any]:
    """Everything a message may say about `case`, as plain data (not frozen yet)."""
    from amends.cases.models import Action, Commitment, Concession
    from amends.cases.queries import open_concerns

    client = case.client
    poc = case.point_of_contact
    backup = client.backup if client.backup_id and client.backup_id != poc.pk else None
    if backup is None and client.owner_id != poc.pk:
        backup = client.owner
    contacts = [c for c in client.contacts.all()[:MAX_ITEMS]]
    with_email = [c for c in contacts if c.email]
    contact = with_email[0] if with_email else (contacts[0] if contacts else None)
    concerns = open_concerns(case)
    actions = list(case.actions.select_related("owner").order_by("deadline", "id")[:50])
    planned = [a for a in actions if a.status in Action.OPEN_STATUSES]
    done = [a for a in actions if a.status == Action.Status.DONE]
    concessions = [c for c in case.concessions.all()[:50] if c.status != Concession.Status.DECLINED]
    tz = client.working_hours.tz
    now = timezone.now()
    next_checkin = (
        case.checkins.filter(held_at__isnull=True, scheduled_at__gte=now)
        .order_by("scheduled_at")
        .first()
    )
    positives = list(case.positives.all()[:5])
    milestones = list(case.milestones.all()[:MAX_ITEMS])
    promises = list(
        case.commitments.filter(status=Commitment.Status.PENDING).order_by("due_at")[:MAX_ITEMS]
    )
    expectations = list(case.expectations.all()[:MAX_ITEMS])
    engagement = case.engagement or client.engagements.order_by("-id").first()
    budget: dict[str, Any] | None = None
    if engagement is not None and engagement.budget:
        unit = "hours" if engagement.budget_unit == "hours" else engagement.currency
        share = engagement.utilisation or 0.0
        budget = {
            "name": engagement.name,
            "used": f"{engagement.used:,.2f}",
            "total": f"{engagement.budget:,.2f}",
            "remaining": f"{engagement.budget - engagement.used:,.2f}",
            "unit": unit,
            "percentage": f"{share * 100:.0f}",
            "due": _day(engagement.due_on),
        }

    def action_row(a: Action) -> dict[str, str]:
        return {
            "title": a.title,
            "deadline": _day(a.deadline),
            "owner": str(a.owner) if a.owner else "",
            "horizon": a.get_horizon_display(),
            "measure": a.success_measure,
            "status": a.get_status_display(),
        }

    return {
        "today": _day(timezone.localtime(now, tz).date()),
        "client": {"name": client.name},
        "contact": {
            "name": contact.name if contact else "",
            "first_name": _first_name(contact.name) if contact else "",
            "email": contact.email if contact else "",
            "role": contact.role if contact else "",
        },
        "contacts": [{"name": c.name, "email": c.email, "role": c.role} for c in contacts],
        "owner": {**_person(poc), "phone": ""},
        "backup": _person(backup) if backup else None,
        "case": {
            "title": case.title,
            "status": case.get_status_display(),
            "severity": case.get_severity_display(),
            "opened": _day(case.opened_at, tz),
            "summary": case.summary[:2000],
        },
        "concerns": [{"text": c.text, "kind": c.get_kind_display()} for c in concerns],
        "actions": [action_row(a) for a in planned],
        "done": [action_row(a) for a in done],
        "expectations": [
            {
                "client": e.expected_by_client,
                "team": e.expected_by_team,
                "delivered": e.delivered,
                "constraint": e.constraint,
                "reason": e.constraint_reason,
                "agreed": e.agreed,
            }
            for e in expectations
        ],
        "concessions": [
            {
                "description": c.description,
                "kind": c.get_kind_display(),
                "value": f"{c.value:,.2f}",
                "currency": c.currency,
                "status": c.get_status_display(),
            }
            for c in concessions
        ],
        "promises": [{"what": p.what, "due": _day(p.due_at, tz)} for p in promises],
        "next_checkin": {"when": _day(next_checkin.scheduled_at, tz)} if next_checkin else None,
        "positives": [{"text": p.text, "by_client": p.by_client} for p in positives],
        "milestones": [
            {"title": m.title, "due": _day(m.due_on), "reached": bool(m.reached_at)}
            for m in milestones
        ],
        "budget": budget,
    }


def default_notes(facts: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The bullet points a draft starts from, pre-filled from the case (R13)."""

    def plan_line(a: Mapping[str, str]) -> str:
        parts = [a["title"]]
        if a["deadline"]:
            parts.append(f"by {a['deadline']}")
        if a["owner"]:
            parts.append(a["owner"])
        return " — ".join(parts)

    state = [f"Done: {a['title']}" for a in facts["done"]]
    state += [
        f"{m['title']}"
        + (f" (due {m['due']})" if m["due"] else "")
        + (" — reached" if m["reached"] else "")
        for m in facts["milestones"]
    ]
    checkin = facts["next_checkin"]
    return {
        "concerns": tuple(c["text"] for c in facts["concerns"]),
        "happened": (),
        "not_ours": (),
        "state": tuple(state),
        "plan": tuple(plan_line(a) for a in facts["actions"]),
        "amends": tuple(
            f"{c['description']} ({c['status'].lower()})" for c in facts["concessions"]
        ),
        "checkin": (checkin["when"],) if checkin else (),
        "positives": tuple(p["text"] for p in facts["positives"]),
    }


def case_context(case: Case, *, bullets: str | None = None) -> Mapping[str, Any]:
    """The read-only context a template is rendered with: the case's facts, and `notes`,
    the bullet points (the user's, or those pre-filled from the case)."""
    facts = case_facts(case)
    notes = parse_bullets(bullets) if bullets and bullets.strip() else default_notes(facts)
    facts["notes"] = notes
    return _freeze(facts)


def default_bullets(case: Case) -> str:
    return format_bullets(default_notes(case_facts(case)))


def sample_context() -> Mapping[str, Any]:
    """Demo-like facts to check that a template renders before it is saved."""
    action = {
        "title": "Send the revised launch plan",
        "deadline": "Fri 3 Jul 2026",
        "owner": "Alice Owner",
        "horizon": "Immediate",
        "measure": "Dana confirms the plan",
        "status": "Planned",
    }
    facts: dict[str, Any] = {
        "today": "Mon 29 Jun 2026",
        "client": {"name": "Acme Ltd"},
        "contact": {
            "name": "Dana Client",
            "first_name": "Dana",
            "email": "dana@acme.example",
            "role": "Marketing director",
        },
        "contacts": [{"name": "Dana Client", "email": "dana@acme.example", "role": ""}],
        "owner": {
            "name": "Alice Owner",
            "first_name": "Alice",
            "email": "alice@firm.example",
            "phone": "",
        },
        "backup": {"name": "Bob Member", "first_name": "Bob", "email": "bob@firm.example"},
        "case": {
            "title": "Launch slipped",
            "status": "Open",
            "severity": "High",
            "opened": "Mon 29 Jun 2026, 09:00",
            "summary": "",
        },
        "concerns": [{"text": "We were never told the launch would slip.", "kind": "Concern"}],
        "actions": [action],
        "done": [dict(action, status="Done")],
        "expectations": [
            {
                "client": "Launch on 1 July",
                "team": "Launch mid-July",
                "delivered": "",
                "constraint": "",
                "reason": "",
                "agreed": False,
            }
        ],
        "concessions": [
            {
                "description": "10% off the June invoice",
                "kind": "Discount",
                "value": "500.00",
                "currency": "GBP",
                "status": "Offered",
            }
        ],
        "promises": [{"what": "Call Dana", "due": "Tue 30 Jun 2026, 10:00"}],
        "next_checkin": {"when": "Tue 7 Jul 2026, 10:00"},
        "positives": [{"text": "Dana's team sent the assets early.", "by_client": True}],
        "milestones": [{"title": "Launch", "due": "Wed 15 Jul 2026", "reached": False}],
        "budget": {
            "name": "Website relaunch",
            "used": "17,500.00",
            "total": "20,000.00",
            "remaining": "2,500.00",
            "unit": "GBP",
            "percentage": "88",
            "due": "",
        },
    }
    facts["notes"] = default_notes(facts)
    return _freeze(facts)  # type: ignore[no-any-return]
