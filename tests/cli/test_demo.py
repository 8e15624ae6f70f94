"""`amends demo`: three stories at different stages, and a home page with work on it."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from amends.accounts.models import User
from amends.cases.actions import transition_case
from amends.cases.models import Case, Commitment, Concession
from amends.cases.queries import list_cases, needs_attention
from amends.clients.models import Client, Engagement, TimelineEntry
from amends.clients.queries import list_clients
from amends.comms.queries import awaiting_reply
from amends.core.demo import DEMO_PASSWORD, PEOPLE, load_demo
from amends.core.errors import PreconditionsUnmet

LONDON = ZoneInfo("Europe/London")


def _demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def _case(client_name: str, **filters) -> Case:
    return Case.objects.get(client__name=client_name, **filters)


def test_demo_tells_the_stories_at_their_stages(db):
    _demo()
    assert _case("Harbour & Vine").status == Case.Status.REBUILDING
    assert _case("Fernleigh Housing Association", closed_at__isnull=True).status == "assessing"
    assert _case("Fernleigh Housing Association", closed_at__isnull=False).status == "resolved"
    assert _case("Calder Logistics").status == Case.Status.OPEN
    assert _case("Ashdown Dental Group").status == Case.Status.AGREED
    assert _case("Marlow Fitness").status == Case.Status.LOST


def test_the_launch_story_has_a_plan_amends_and_an_almost_spent_budget(db):
    _demo()
    case = _case("Harbour & Vine")
    assert Engagement.objects.get(client__name="Harbour & Vine").utilisation == pytest.approx(0.9)
    discount = case.concessions.get(kind=Concession.Kind.DISCOUNT)
    assert discount.status == Concession.Status.ACCEPTED
    assert {a.horizon for a in case.actions.all()} == {"immediate", "short", "long"}
    assert case.checkins.filter(held_at__isnull=False).exists()
    assert case.positives.filter(by_client=True).exists()
    outcomes = {c.outcome for c in case.commitments.all()}
    assert {"kept_on_time", "kept_late", "overdue", "pending"} <= outcomes


def test_the_training_story_cannot_be_agreed_without_a_measure_of_success(db):
    _demo()
    case = _case("Fernleigh Housing Association", status="assessing")
    assert case.concerns.filter(kind="feeling").exists()
    constrained = case.expectations.exclude(constraint="").get()
    assert constrained.constraint_reason
    assert case.expectations.exclude(expected_by_team="").exclude(delivered="").exists()
    maya = User.objects.get(username="maya")
    with pytest.raises(PreconditionsUnmet) as refused:
        transition_case(maya, case, to=Case.Status.AGREED)
    assert refused.value.missing == [
        "Action “Re-record the voice-over for modules 1–3” needs a measure of success."
    ]


def test_the_mistreatment_story_is_open_with_its_clock_running_and_no_reply(db):
    _demo()
    case = _case("Calder Logistics")
    assert case.first_response_at is None
    maya = User.objects.get(username="maya")
    waiting = awaiting_reply(maya, timezone.now(), client=case.client)
    assert [w.message.subject for w in waiting] == ["Signage designs"]


def test_every_demo_date_is_in_the_past_where_it_already_happened(db):
    _demo()
    now = timezone.now()
    assert not TimelineEntry.objects.filter(at__gt=now).exists()
    assert not Case.objects.filter(opened_at__gt=now).exists()
    assert not Commitment.objects.filter(kept_at__gt=now).exists()


# Monday before work, midweek lunch, Friday evening, Sunday night: the stories must
# put something in every list of the home page whenever the demo is loaded.
MOMENTS = [
    datetime(2026, 3, 2, 7, 55, tzinfo=LONDON),
    datetime(2026, 6, 17, 13, 0, tzinfo=LONDON),
    datetime(2026, 10, 30, 18, 20, tzinfo=LONDON),
    datetime(2026, 12, 27, 22, 40, tzinfo=LONDON),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.strftime("%a-%H%M"))
def test_the_admin_has_something_in_every_attention_list(db, moment):
    with time_machine.travel(moment, tick=True):
        _demo()
        attention = needs_attention(User.objects.get(username="maya"), timezone.now())
    empty = [name for name, items in vars(attention).items() if not items]
    assert empty == []


def test_mail_from_people_who_are_no_client_yet_waits_in_triage(db):
    from amends.comms.queries import list_unmatched, thread_clients, waiting_domains

    _demo()
    maya = User.objects.get(username="maya")
    assert list_unmatched(maya).count() == 5
    assert [(d.domain, d.messages, d.public) for d in waiting_domains(maya)] == [
        ("quaysidebooks.example", 3, False),  # two from there, and our reply
        ("gmail.com", 2, True),
    ]
    # The shop manager's reply from home answers Harbour & Vine's checkout thread.
    hints = thread_clients(maya, list_unmatched(maya))
    assert {h.name for h in hints.values()} == {"Harbour & Vine"}
    assert list_unmatched(User.objects.get(username="jo")).count() == 0


def test_the_outsider_sees_only_their_one_client(db):
    _demo()
    jo = User.objects.get(username="jo")
    assert [c.name for c in list_clients(jo)] == ["Calder Logistics"]
    assert {c.client.name for c in list_cases(jo)} == {"Calder Logistics"}
    maya = User.objects.get(username="maya")
    assert maya.is_admin and list_clients(maya).count() == Client.objects.count() == 5


def test_the_team_members_are_on_different_teams(db):
    _demo()
    teams = {
        p.username: {c.name for c in list_clients(User.objects.get(username=p.username))}
        for p in PEOPLE
        if not p.is_admin
    }
    assert len({frozenset(t) for t in teams.values()}) == len(teams)


def test_it_prints_how_to_log_in(db, settings):
    out = _demo()
    assert f"{settings.BASE_URL.rstrip('/')}/" in out
    assert DEMO_PASSWORD in out
    for person in PEOPLE:
        assert person.username in out
        assert User.objects.get(username=person.username).check_password(DEMO_PASSWORD)


def test_a_chosen_password_is_used(db):
    out = _demo("--password", "tasting-notes-2027")
    assert "tasting-notes-2027" in out
    assert User.objects.get(username="tom").check_password("tasting-notes-2027")


def test_a_weak_password_loads_nothing(db):
    with pytest.raises(CommandError, match="too short"):
        _demo("--password", "abc")
    assert not User.objects.exists() and not Client.objects.exists()


def test_if_empty_twice_loads_once(db):
    first = _demo("--if-empty")
    counts = (Client.objects.count(), Case.objects.count(), TimelineEntry.objects.count())
    second = _demo("--if-empty")
    assert "Demo data loaded" in first
    assert "not loaded" in second and DEMO_PASSWORD in second
    assert (Client.objects.count(), Case.objects.count(), TimelineEntry.objects.count()) == counts


def test_loading_twice_is_refused(db):
    _demo()
    counts = (User.objects.count(), Client.objects.count(), Case.objects.count())
    with pytest.raises(CommandError, match="already has 5 client"):
        _demo()
    assert (User.objects.count(), Client.objects.count(), Case.objects.count()) == counts


def test_if_empty_skips_a_database_with_real_clients_without_showing_demo_logins(world):
    out = _demo("--if-empty")
    assert "not loaded" in out and DEMO_PASSWORD not in out


def test_taken_usernames_are_refused_before_anything_is_written(db):
    from amends.accounts.actions import create_user

    create_user(None, username="maya", password=None)
    with pytest.raises(CommandError, match="maya"):
        _demo()
    assert User.objects.count() == 1 and not Client.objects.exists()


def test_the_builder_can_be_called_directly(db):
    summary = load_demo()
    assert summary.clients == 5
    assert sum(summary.cases.values()) == 6
