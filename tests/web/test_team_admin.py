"""Team administration: who is on which client's team, and the people at the firm."""

import pytest
from django.urls import reverse

from amends.accounts.models import TeamMembership, User
from tests.web.conftest import HOSTILE, assert_escaped

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:team_admin")
SET = reverse("accounts:set_membership")
REMOVE = reverse("accounts:remove_membership")
CREATE = reverse("accounts:create_user")


def test_the_page_lists_every_team_and_person(as_ada, world):
    r = as_ada.get(PAGE)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Acme Ltd" in html and "Globex" in html
    assert "Alice Owner" in html and "carol" in html
    assert f'id="client-{world.acme.pk}"' in html


def test_adding_someone_to_a_team(as_ada, world):
    r = as_ada.post(SET, {"client": world.acme.pk, "user": world.carol.pk, "role": "member"})
    assert r.status_code == 303 and r["Location"] == f"{PAGE}#client-{world.acme.pk}"
    assert TeamMembership.objects.filter(
        client=world.acme, user=world.carol, role="member"
    ).exists()
    html = as_ada.get(PAGE).content.decode()
    assert "Carol Outsider is on Acme Ltd&#x27;s team as member" in html


def test_changing_a_role(as_ada, world):
    as_ada.post(SET, {"client": world.acme.pk, "user": world.bob.pk, "role": "member"})
    assert TeamMembership.objects.get(client=world.acme, user=world.bob).role == "member"


def test_bad_team_input_is_refused(as_ada, world):
    for data in (
        {"client": world.acme.pk, "user": world.carol.pk, "role": "overlord"},
        {"client": 999999, "user": world.carol.pk, "role": "member"},
        {"client": world.acme.pk, "user": "x", "role": "member"},
    ):
        r = as_ada.post(SET, data, follow=True)
        assert "The team was not changed" in r.content.decode()
    assert not TeamMembership.objects.filter(user=world.carol, client=world.acme).exists()


def test_removing_someone_from_a_team(as_ada, world):
    as_ada.post(SET, {"client": world.acme.pk, "user": world.carol.pk, "role": "member"})
    r = as_ada.post(REMOVE, {"client": world.acme.pk, "user": world.carol.pk})
    assert r.status_code == 303
    assert not TeamMembership.objects.filter(client=world.acme, user=world.carol).exists()


def test_the_owner_cannot_be_removed(as_ada, world):
    r = as_ada.post(REMOVE, {"client": world.acme.pk, "user": world.alice.pk}, follow=True)
    assert "is the owner of Acme Ltd; choose someone else" in r.content.decode()
    assert TeamMembership.objects.filter(client=world.acme, user=world.alice).exists()


def test_creating_an_account_with_a_password(as_ada, client, world):
    r = as_ada.post(
        CREATE,
        {
            "username": "erin",
            "display_name": "Erin New",
            "email": "erin@firm.example",
            "password": "a-long-unusual-pass-77",
        },
    )
    assert r.status_code == 303
    erin = User.objects.get(username="erin")
    assert erin.check_password("a-long-unusual-pass-77") and not erin.is_admin


def test_creating_an_account_without_a_password(as_ada, world):
    as_ada.post(CREATE, {"username": "frank", "is_admin": "on"})
    frank = User.objects.get(username="frank")
    assert not frank.has_usable_password() and frank.is_admin


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "alice"}, "is taken"),
        ({"username": "ALICE"}, "is taken"),
        ({"username": "gail", "password": "password"}, "This password is too common"),
        ({"username": "gail", "password": "short"}, "too short"),
        ({"username": "bad name!"}, "Enter a valid username"),
        ({"username": "u" * 151}, "at most 150 characters"),
        ({"username": "gail", "email": "nope"}, "Enter a valid email address"),
    ],
)
def test_bad_accounts_are_refused_with_a_clear_message(as_ada, world, data, message):
    r = as_ada.post(CREATE, data)
    assert r.status_code == 422
    assert message in r.content.decode()
    assert not User.objects.filter(username="gail").exists()


def test_a_hostile_display_name_is_escaped(as_ada, world):
    as_ada.post(CREATE, {"username": "hal", "display_name": HOSTILE})
    assert_escaped(as_ada.get(PAGE))


def test_making_someone_admin_and_back(as_ada, world):
    url = reverse("accounts:set_admin", args=[world.bob.pk])
    as_ada.post(url, {"is_admin": "on"})
    world.bob.refresh_from_db()
    assert world.bob.is_admin
    as_ada.post(url, {})
    world.bob.refresh_from_db()
    assert not world.bob.is_admin


def test_an_admin_cannot_remove_their_own_admin_role(as_ada, world):
    r = as_ada.post(reverse("accounts:set_admin", args=[world.ada.pk]), {}, follow=True)
    assert "You cannot remove your own admin role" in r.content.decode()
    world.ada.refresh_from_db()
    assert world.ada.is_admin


def test_an_unknown_person_is_not_found(as_ada, world):
    assert as_ada.post(reverse("accounts:set_admin", args=[999999]), {}).status_code == 404
