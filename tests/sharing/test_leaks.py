"""Nothing internal ever reaches the shared page or its PDF (R20, DESIGN: a share link
shows only what is marked for the client).

Unique markers are planted in every internal field of everything reachable from the case
(and in other cases and clients); the page and the PDF text are searched for them. The
markers that ARE for the client must appear, so the test cannot pass by showing nothing.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from amends.accounts.actions import create_user, set_team_membership
from amends.cases.models import (
    Action,
    CheckIn,
    Commitment,
    Concern,
    Concession,
    Expectation,
    Milestone,
    Positive,
)
from amends.clients.actions import record_timeline
from amends.comms.models import Communication
from amends.sharing.actions import leave_feedback, publish_update
from amends.sharing.models import ClientUpdate

from .conftest import page_url, pdf_url
from .pdftext import pdf_text

_n = itertools.count(1)


class Planted:
    def __init__(self) -> None:
        self.internal: list[str] = []
        self.shown: list[str] = []

    def secret(self) -> str:
        m = f"INTERNAL-LEAK-{next(_n):03d}"
        self.internal.append(m)
        return m

    def ok(self) -> str:
        m = f"CLIENTOK{next(_n):03d}"
        self.shown.append(m)
        return m


def plant_everything(world, link) -> Planted:
    p = Planted()
    s = p.secret
    now = timezone.now()
    case, acme = world.case, world.acme
    link.label = s()
    link.save()
    # The case, the client, its contact and engagement, the people.
    case.title, case.summary = s(), s()
    case.lost_reason, case.client_confirmation = s(), s()
    case.save()
    acme.notes, acme.email_domains = s(), "acme.example"
    acme.save()
    c = world.contact
    c.notes, c.role, c.phone, c.email = s(), s(), s()[:50], f"{s()}@acme.example"
    c.save()
    world.engagement.name = s()
    world.engagement.save()
    alice = world.alice
    alice.email, alice.last_name = f"{s()}@firm.example", s()
    alice.save()
    # A team member whose login, email and surname are secret; only "Zed" may show.
    zed = create_user(
        None,
        username=s().lower(),
        password="x" * 12,
        display_name=f"Zed {s()}",
        email=f"{s()}@firm.example",
    )
    set_team_membership(None, client_id=acme.pk, user=zed)
    # Concerns and their answers: always internal.
    Concern.objects.create(case=case, text=s(), source=s(), answer=s())
    # Expectations: shown only when agreed and for the client, and only the client's words.
    Expectation.objects.create(
        case=case,
        expected_by_client=p.ok(),
        expected_by_team=s(),
        delivered=s(),
        constraint=s(),
        constraint_reason=s(),
        agreed=True,
    )
    Expectation.objects.create(case=case, expected_by_client=s(), agreed=False)
    Expectation.objects.create(case=case, expected_by_client=s(), agreed=True, for_client=False)
    # The plan.
    Action.objects.create(
        case=case,
        title=p.ok(),
        success_measure=p.ok(),
        owner=zed,
        deadline=now.date() + timedelta(days=3),
    )
    Action.objects.create(case=case, title=s(), success_measure=s(), for_client=False)
    Action.objects.create(case=case, title=s(), status=Action.Status.DROPPED)
    # Promises.
    Commitment.objects.create(case=case, what=p.ok(), to_whom=s(), owner=zed, due_at=now)
    Commitment.objects.create(case=case, what=s(), due_at=now, for_client=False)
    # Amends: never the cost; never offered or declined ones.
    Concession.objects.create(
        case=case,
        kind="credit",
        description=p.ok(),
        value=Decimal("1500"),
        cost=Decimal("987654.32"),
        status=Concession.Status.ACCEPTED,
    )
    Concession.objects.create(case=case, kind="discount", description=s())
    Concession.objects.create(
        case=case, kind="other", description=s(), status=Concession.Status.DECLINED
    )
    Concession.objects.create(
        case=case,
        kind="credit",
        description=s(),
        status=Concession.Status.DELIVERED,
        for_client=False,
    )
    # Check-ins: the dates only.
    CheckIn.objects.create(
        case=case, scheduled_at=now + timedelta(days=7), agenda=s(), notes=s(), outcome=s()
    )
    CheckIn.objects.create(case=case, scheduled_at=now, notes=s(), for_client=False)
    Milestone.objects.create(case=case, title=p.ok(), due_on=now.date())
    Milestone.objects.create(case=case, title=s(), for_client=False)
    Positive.objects.create(case=case, text=s(), by_client=True)
    Positive.objects.create(case=case, text=s())
    # Communications, the timeline, earlier updates and the client's own feedback.
    Communication.objects.create(
        client=acme,
        case=case,
        channel="email",
        direction="in",
        occurred_at=now,
        subject=s(),
        summary=s(),
        contact=c,
    )
    Communication.objects.create(
        client=acme,
        case=case,
        channel="note",
        direction="out",
        occurred_at=now,
        subject=s(),
        summary=s(),
    )
    record_timeline(client=acme, case=case, actor=alice, kind="note", summary=s())
    old = publish_update(alice, case, text=s())
    ClientUpdate.objects.filter(pk=old.pk).update(published_at=now - timedelta(days=2))
    publish_update(alice, case, text=p.ok())
    leave_feedback(link, text=s(), name=s())
    # Other cases of the same client, other clients: nothing of theirs.
    from amends.cases.actions import open_case

    other = open_case(alice, acme, title=s(), summary=s())
    Action.objects.create(case=other, title=s())
    Expectation.objects.create(case=other, expected_by_client=s(), agreed=True)
    Commitment.objects.create(case=other, what=s(), due_at=now)
    Milestone.objects.create(case=other, title=s())
    ClientUpdate.objects.create(case=other, text=s(), by=alice)
    Action.objects.create(case=world.other_case, title=s())
    ClientUpdate.objects.create(case=world.other_case, text=s(), by=world.carol)
    world.globex.notes = s()
    world.globex.save()
    return p


def _assert_clean(text: str, planted: Planted, where: str) -> None:
    flat = text.replace("\n", "")
    for marker in planted.internal:
        for haystack in (text, flat):
            assert marker.lower() not in haystack.lower(), f"{marker} leaked into the {where}"
    assert "987654" not in flat and "987,654" not in flat, f"the cost leaked into the {where}"
    for marker in planted.shown:
        assert marker in flat, f"{marker} (for the client) missing from the {where}"


@pytest.fixture
def planted(world, link):
    return plant_everything(world, link[0])


def test_the_page_shows_nothing_internal(world, link, planted):
    html = HttpClient().get(page_url(link[1])).content.decode()
    _assert_clean(html, planted, "page")
    assert "Zed" in html and "1,500.00 GBP" in html


def test_the_pdf_shows_nothing_internal(world, link, planted):
    r = HttpClient().get(pdf_url(link[1]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = pdf_text(r.content)
    _assert_clean(text, planted, "PDF")
    assert "Zed" in text and "1,500.00 GBP" in text


def test_the_pdf_bytes_hold_no_internal_text_either(world, link, planted):
    """Belt and braces: no marker in the raw or decompressed bytes (metadata, titles)."""
    raw = HttpClient().get(pdf_url(link[1])).content
    for marker in planted.internal:
        assert marker.encode() not in raw


def test_unmarking_hides_at_once_and_marking_shows(world, link, planted):
    """Always current: the page is read live, so a change shows on the next load."""
    action = Action.objects.get(case=world.case, title=planted.shown[1])
    action.for_client = False
    action.save()
    html = HttpClient().get(page_url(link[1])).content.decode()
    assert planted.shown[1] not in html
    Action.objects.filter(case=world.case, for_client=False, status="planned").update(
        for_client=True
    )
    html = HttpClient().get(page_url(link[1])).content.decode()
    assert planted.shown[1] in html
