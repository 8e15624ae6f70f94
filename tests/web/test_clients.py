"""The clients list, a client's page, editing its details, contacts and engagements."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amends.clients.actions import record_timeline, update_client, update_contact, update_engagement
from amends.clients.models import Client, Contact, Engagement
from tests.web.conftest import HOSTILE, assert_escaped, client_form, htmx

pytestmark = pytest.mark.django_db

LIST = reverse("clients:list")


def _new_client(owner, **overrides):
    data = {
        "new-name": "Initech",
        "new-timezone": "Europe/Paris",
        "new-work_start": "09:00",
        "new-work_end": "17:00",
        "new-work_days": ["0", "1", "2", "3", "4"],
        "new-owner": owner.pk,
        "new-backup": "",
        "new-email_domains": "initech.example",
        "new-notes": "",
    }
    data.update({f"new-{k}": v for k, v in overrides.items()})
    return data


# ---- the list ---------------------------------------------------------------------------


def test_the_list_shows_name_owner_backup_and_open_cases(as_alice, world):
    r = as_alice.get(LIST)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Acme Ltd" in html and "Alice Owner" in html and "Bob Member" in html
    assert reverse("clients:detail", args=[world.acme.pk]) in html
    assert "Add a client" not in html  # admins only


def test_searching_the_list(as_ada, world):
    html = as_ada.get(LIST, {"q": "glob"}).content.decode()
    assert "Globex" in html and "Acme Ltd" not in html


def test_an_htmx_search_gets_only_the_list(as_ada, world):
    r = as_ada.get(LIST, {"q": "acme"}, **htmx())
    html = r.content.decode()
    assert "<html" not in html and 'id="client-list"' in html and "Acme Ltd" in html


def test_an_admin_adds_a_client(as_ada, world):
    r = as_ada.post(LIST, _new_client(world.alice, backup=world.bob.pk))
    client = Client.objects.get(name="Initech")
    assert r.status_code == 303 and r["Location"] == reverse("clients:detail", args=[client.pk])
    assert client.owner == world.alice and client.work_days == "0,1,2,3,4"
    assert client.memberships.filter(user=world.alice).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "is not a known time zone"),
        ({"email_domains": "not a domain!"}, "is not an email domain like example.com"),
        ({"email_domains": "initech.example, GMAIL.com"}, "“gmail.com” is a public email provider"),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"name": ""}, "This field is required"),
        ({"work_end": "08:00"}, "The working day must end after it starts"),
        ({"work_days": []}, "Choose at least one working day"),
        ({"work_days": ["9"]}, "Working days are Monday to Sunday"),
        ({"notes": "n" * 10001}, "at most 10000 characters"),
    ],
)
def test_adding_a_client_rejects_bad_input_with_a_clear_message(as_ada, world, overrides, message):
    r = as_ada.post(LIST, _new_client(world.alice, **overrides))
    assert r.status_code == 422
    assert message in r.content.decode()
    assert not Client.objects.filter(name="Initech").exists()


def test_the_backup_must_be_someone_else(as_ada, world):
    r = as_ada.post(LIST, _new_client(world.alice, backup=world.alice.pk))
    assert r.status_code == 422
    assert "The backup must be someone other than the owner" in r.content.decode()


def test_a_hostile_client_name_is_escaped(as_ada, world):
    as_ada.post(LIST, _new_client(world.alice, name=HOSTILE))
    client = Client.objects.get(name=HOSTILE)
    assert_escaped(as_ada.get(LIST))
    assert_escaped(as_ada.get(reverse("clients:detail", args=[client.pk])))


def test_only_admins_add_clients(as_alice, world):
    r = as_alice.post(LIST, _new_client(world.alice))
    assert r.status_code == 403
    assert not Client.objects.filter(name="Initech").exists()


# ---- a client's page ----------------------------------------------------------------------


def test_the_client_page_shows_everything_about_the_client(as_alice, world, call, inbound):
    r = as_alice.get(reverse("clients:detail", args=[world.acme.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    for text in (
        "Europe/London",
        "acme.example",
        "Alice Owner",
        "Bob Member",  # details
        "Dana Client",
        "Marketing director",  # contacts
        "Website relaunch",
        "88%",  # engagements: 17,500 of 20,000
        "Launch slipped and a surprise invoice",  # cases
        "Where is the invoice breakdown?",
        "Waiting for our reply",  # comms
        "no recap",
        "Record a communication",
        "Timeline",
    ):
        assert text in html, text
    assert f"{reverse('cases:new')}?client={world.acme.pk}" in html
    assert reverse("cases:detail", args=[world.case.pk]) in html


def test_the_timeline_is_paginated(as_alice, world):
    for i in range(40):
        record_timeline(
            client=world.acme,
            actor=world.alice,
            kind="note",
            summary=f"Entry number {i}",
            at=timezone.now() - timedelta(days=i),
        )
    html = as_alice.get(reverse("clients:detail", args=[world.acme.pk])).content.decode()
    assert "Entry number 0" in html and "Entry number 39" not in html
    r = as_alice.get(reverse("clients:timeline", args=[world.acme.pk]), {"page": 2}, **htmx())
    html = r.content.decode()
    assert "<html" not in html and 'id="timeline"' in html and "Entry number 39" in html
    # A plain request gets a whole page, and a silly page number gets the last page.
    r = as_alice.get(reverse("clients:timeline", args=[world.acme.pk]), {"page": "999x"})
    assert r.status_code == 200 and "<html" in r.content.decode()


# ---- editing the client's details ----------------------------------------------------------


def test_editing_the_details(as_alice, world):
    url = reverse("clients:edit", args=[world.acme.pk])
    r = as_alice.post(
        url,
        client_form(
            world.acme,
            name="Acme Group",
            work_days=["0", "1", "2", "3"],
            owner=world.bob.pk,
            backup=world.alice.pk,
        ),
    )
    assert r.status_code == 303
    world.acme.refresh_from_db()
    assert world.acme.name == "Acme Group" and world.acme.work_days == "0,1,2,3"
    assert world.acme.owner == world.bob
    # The hand-over is on the timeline (the action compared with the saved owner).
    assert world.acme.timeline.filter(kind="client.owner_changed").exists()


def test_the_owner_must_be_on_the_team(as_alice, world):
    url = reverse("clients:edit", args=[world.acme.pk])
    r = as_alice.post(url, client_form(world.acme, owner=world.carol.pk))
    assert r.status_code == 422
    assert "The owner must be someone on this client&#x27;s team" in r.content.decode()
    world.acme.refresh_from_db()
    assert world.acme.owner == world.alice


def test_a_stale_edit_of_the_details_shows_the_conflict(as_alice, world):
    url = reverse("clients:edit", args=[world.acme.pk])
    stale = client_form(world.acme, name="Alice's name")
    update_client(world.bob, world.acme, version=world.acme.version, name="Bob's name")
    r = as_alice.post(url, stale)
    assert r.status_code == 422
    html = r.content.decode()
    assert "changed by someone else" in html
    assert "What is saved now" in html and "Bob&#x27;s name" in html
    assert 'value="Alice&#x27;s name"' in html  # what she typed is kept
    world.acme.refresh_from_db()
    assert world.acme.name == "Bob's name"
    # Saving again, with the version the conflict page carries, applies her change.
    stale["version"] = world.acme.version
    assert as_alice.post(url, stale).status_code == 303
    world.acme.refresh_from_db()
    assert world.acme.name == "Alice's name"


def test_a_missing_or_forged_version_is_refused(as_alice, world):
    url = reverse("clients:edit", args=[world.acme.pk])
    r = as_alice.post(url, client_form(world.acme, version=""))
    assert r.status_code == 422
    r = as_alice.post(url, client_form(world.acme, name="Forged", version=999))
    assert r.status_code == 422 and "changed by someone else" in r.content.decode()


# ---- contacts ----------------------------------------------------------------------------


def test_adding_a_contact_inline(as_alice, world):
    url = reverse("clients:contacts", args=[world.acme.pk])
    r = as_alice.post(
        url,
        {
            "contact-name": "Eve Buyer",
            "contact-email": "eve@acme.example",
            "contact-role": "Procurement",
        },
        **htmx(),
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html and 'id="contacts"' in html
    assert "Eve Buyer" in html and "Contact Eve Buyer added" in html
    assert world.acme.contacts.filter(name="Eve Buyer").exists()


def test_adding_a_contact_without_htmx_redirects(as_alice, world):
    r = as_alice.post(reverse("clients:contacts", args=[world.acme.pk]), {"contact-name": "Fay"})
    assert r.status_code == 303
    assert r["Location"].endswith("#contacts")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contact-name": "n" * 201}, "at most 200 characters"),
        ({"contact-name": "Gus", "contact-email": "not-an-email"}, "Enter a valid email"),
        ({"contact-name": ""}, "This field is required"),
        ({"contact-name": "Gus", "contact-phone": "1" * 51}, "at most 50 characters"),
    ],
)
def test_a_bad_contact_is_refused_in_place(as_alice, world, data, message):
    r = as_alice.post(reverse("clients:contacts", args=[world.acme.pk]), data, **htmx())
    assert r.status_code == 422
    html = r.content.decode()
    assert message in html and 'id="contacts"' in html
    assert world.acme.contacts.count() == 1


def test_editing_a_contact_inline(as_alice, world):
    url = reverse("clients:contact_edit", args=[world.contact.pk])
    r = as_alice.get(url, **htmx())
    html = r.content.decode()
    assert "<html" not in html and "Save contact" in html
    p = f"contact-{world.contact.pk}"
    r = as_alice.post(
        url,
        {f"{p}-name": "Dana Client", f"{p}-role": "CMO", f"{p}-version": world.contact.version},
        **htmx(),
    )
    assert r.status_code == 200 and "CMO" in r.content.decode()
    world.contact.refresh_from_db()
    assert world.contact.role == "CMO"


def test_a_stale_contact_edit_shows_the_conflict(as_alice, world):
    seen = world.contact.version
    update_contact(world.bob, world.contact, version=seen, role="Head of marketing")
    p = f"contact-{world.contact.pk}"
    r = as_alice.post(
        reverse("clients:contact_edit", args=[world.contact.pk]),
        {f"{p}-name": "Dana", f"{p}-role": "CMO", f"{p}-version": seen},
        **htmx(),
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "changed by someone else" in html and "Head of marketing" in html
    world.contact.refresh_from_db()
    assert world.contact.role == "Head of marketing"


def test_hostile_contact_fields_are_escaped(as_alice, world):
    as_alice.post(
        reverse("clients:contacts", args=[world.acme.pk]),
        {"contact-name": HOSTILE, "contact-notes": HOSTILE},
    )
    assert Contact.objects.filter(name=HOSTILE).exists()
    assert_escaped(as_alice.get(reverse("clients:detail", args=[world.acme.pk])))


# ---- engagements -------------------------------------------------------------------------


def _engagement(prefix="engagement", **overrides):
    data = {
        "name": "Discovery",
        "budget_unit": "money",
        "currency": "gbp",
        "budget": "5000",
        "used": "0",
        "starts_on": "2026-01-01",
        "due_on": "2026-03-31",
    }
    data.update(overrides)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def test_adding_an_engagement_inline(as_alice, world):
    r = as_alice.post(reverse("clients:engagements", args=[world.acme.pk]), _engagement(), **htmx())
    assert r.status_code == 200
    assert "Discovery" in r.content.decode()
    engagement = world.acme.engagements.get(name="Discovery")
    assert engagement.currency == "GBP" and engagement.budget == 5000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"budget": "-1"}, "The budget cannot be negative"),
        ({"used": "-5"}, "The amount used cannot be negative"),
        ({"due_on": "2025-12-01"}, "The due date is before the start date"),
        ({"currency": "pounds"}, "at most 3 characters"),
        ({"currency": "G1P"}, "three-letter code"),
        ({"currency": ""}, "Give the currency of a money budget"),
        ({"budget": "lots"}, "Enter a number"),
        ({"starts_on": "2026-02-30"}, "Enter a valid date"),
        ({"name": "n" * 201}, "at most 200 characters"),
        ({"budget_unit": "beans"}, "Select a valid choice"),
    ],
)
def test_a_bad_engagement_is_refused_with_a_clear_message(as_alice, world, overrides, message):
    r = as_alice.post(
        reverse("clients:engagements", args=[world.acme.pk]), _engagement(**overrides), **htmx()
    )
    assert r.status_code == 422
    assert message in r.content.decode()
    assert not world.acme.engagements.filter(name="Discovery").exists()


def test_editing_an_engagement(as_alice, world):
    e = world.engagement
    url = reverse("clients:engagement_edit", args=[e.pk])
    assert "Save engagement" in as_alice.get(url).content.decode()
    data = _engagement(f"engagement-{e.pk}", name=e.name, used="19000", version=e.version)
    r = as_alice.post(url, data)
    assert r.status_code == 303
    e.refresh_from_db()
    assert e.used == 19000


def test_a_stale_engagement_edit_shows_the_conflict(as_alice, world):
    e = world.engagement
    seen = e.version
    update_engagement(world.bob, e, version=seen, used=18000)
    data = _engagement(f"engagement-{e.pk}", name=e.name, used="19000", version=seen)
    r = as_alice.post(reverse("clients:engagement_edit", args=[e.pk]), data, **htmx())
    assert r.status_code == 422
    assert "changed by someone else" in r.content.decode()
    e.refresh_from_db()
    assert e.used == 18000


def test_an_outsider_cannot_add_to_acme(as_carol, world):
    as_carol.post(reverse("clients:contacts", args=[world.acme.pk]), {"contact-name": "Spy"})
    as_carol.post(reverse("clients:engagements", args=[world.acme.pk]), _engagement())
    assert not Contact.objects.filter(name="Spy").exists()
    assert not Engagement.objects.filter(name="Discovery").exists()


def test_the_add_form_starts_with_monday_to_friday_ticked(as_ada, world):
    html = as_ada.get(LIST).content.decode()
    for day in "01234":
        assert f'name="new-work_days" value="{day}" id="id_new-work_days_{day}" checked' in html
    assert 'value="5" id="id_new-work_days_5" checked' not in html
