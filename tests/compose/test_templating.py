"""Templates render with the case's facts, and hostile template text gets nowhere."""

from __future__ import annotations

import pytest

from amends.compose.defaults import DEFAULTS
from amends.compose.models import Kind
from amends.compose.templating import (
    MAX_OUTPUT,
    case_context,
    check_template,
    default_bullets,
    parse_bullets,
    render_message,
    render_source,
    sample_context,
)
from amends.core.errors import ValidationError


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_renders_with_the_case_facts(rich, kind):
    subject, body = DEFAULTS[kind]
    out = render_message(subject, body, case_context(rich.case))
    assert "Dear Dana" in out.body
    assert "Alice Owner" in out.body
    assert "{{" not in out.body and "{%" not in out.body
    assert out.subject and "\n" not in out.subject


def test_the_full_response_follows_the_method(rich):
    subject, body = DEFAULTS["full_response"]
    text = render_message(subject, body, case_context(rich.case)).body
    for section in (
        "Thank you for raising",
        "I am sorry",
        "What happened",
        "Where things stand",
        "What we will do",
        "To make amends",
        "Next step",
    ):
        assert section in text
    assert "Send the revised launch plan" in text and "Alice Owner" in text  # owner, date
    assert "10% off the June invoice" in text
    assert "Let us check in on" in text
    assert "Bob Member" in text  # the backup, R3
    assert "Dana's team sent the assets early." in text  # a positive, R25


def test_the_budget_note_gives_the_figures(rich):
    subject, body = DEFAULTS["budget_note"]
    out = render_message(subject, body, case_context(rich.case))
    assert "88%" in out.subject
    assert "17,500.00 of 20,000.00 GBP used so far (88%)" in out.body


def test_bullet_points_start_pre_filled_and_drive_the_sections(rich):
    bullets = default_bullets(rich.case)
    assert "Why did the invoice arrive without warning?" in bullets
    assert "Send the revised launch plan" in bullets
    notes = parse_bullets(bullets + "\nWhat happened, precisely:\n- We missed the QA date.\n")
    assert notes["happened"] == ("We missed the QA date.",)
    body = render_message(
        *DEFAULTS["full_response"],
        case_context(rich.case, bullets="What happened, precisely:\n- We missed the QA date.\n"),
    ).body
    assert "- We missed the QA date." in body


@pytest.mark.parametrize(
    "source",
    [
        "{{ client.__class__ }}",
        "{% load static %}",
        "{% include 'base.html' %}",
        "{% extends 'base.html' %}",
        "{% debug %}",
        "{% lorem 99999 w %}",
        "{{ client.name|center:'999999999' }}",
        "{{ client.name|ljust:'999999999' }}",
        "{{ budget.used|floatformat:'99999' }}",
        "{% for a in concerns %}{% for b in concerns %}{% for c in concerns %}x"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% if %}",
        "{% for x in %}",
        "x" * 20_001,
        "nul \x00",
    ],
)
def test_hostile_templates_are_refused_with_a_message(source):
    with pytest.raises(ValidationError) as exc:
        check_template(source)
    assert exc.value.message_dict["body"]


def test_templates_reach_no_attribute_and_change_nothing(rich):
    context = case_context(rich.case)
    out = render_source(
        "{{ concerns.pop }}|{{ client.clear }}|{{ contact.items }}|{{ case.title.upper }}",
        context,
    )
    assert "Acme" not in out.split("|")[1]
    assert context["concerns"]  # nothing was removed
    assert context["client"]["name"] == "Acme Ltd"


def test_rendering_is_bounded(rich):
    source = (
        "{% for a in concerns %}{% for b in concerns %}" + "y" * 19_000 + "{% endfor %}{% endfor %}"
    )
    out = render_source(source, sample_context())
    assert len(out) <= MAX_OUTPUT


def test_a_filter_inside_a_string_is_not_a_filter():
    check_template('{{ client.name|default:"a|center" }}')
