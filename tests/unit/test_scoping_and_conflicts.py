"""Who sees what (queries) and stale-edit detection (actions), below any page or API."""

import pytest

from amends.cases.actions import add_to_case, update_case, update_in_case
from amends.cases.queries import get_case_for, get_part_for, list_cases, list_parts
from amends.clients.actions import update_client
from amends.clients.queries import get_client_for, list_clients, list_timeline
from amends.comms.queries import list_communications
from amends.core.errors import NotFound, StaleEdit, ValidationError


def test_outsider_cannot_see_the_client_or_anything_under_it(world):
    with pytest.raises(NotFound):
        get_client_for(world.carol, world.acme.pk)
    with pytest.raises(NotFound):
        get_case_for(world.carol, world.case.pk)
    concern = world.case.concerns.get()
    with pytest.raises(NotFound):
        get_part_for(world.carol, "concern", concern.pk)
    assert world.acme not in list_clients(world.carol)
    assert world.case not in list_cases(world.carol)
    assert not list_parts(world.carol, "concern").filter(pk=concern.pk).exists()
    assert not list_timeline(world.carol).filter(client=world.acme).exists()
    assert not list_communications(world.carol).filter(client=world.acme).exists()


def test_team_member_and_admin_see_the_case(world):
    assert get_case_for(world.bob, world.case.pk) == world.case
    assert get_case_for(world.ada, world.case.pk) == world.case
    assert set(list_clients(world.ada)) == {world.acme, world.globex}


def test_garbage_ids_are_not_found(world):
    for bad in ("x", None, "1; drop table", -1, 10**12):
        with pytest.raises(NotFound):
            get_case_for(world.alice, bad)


def test_a_stale_edit_is_refused_not_overwritten(world):
    case = world.case
    seen = case.version
    update_case(world.alice, case, version=seen, title="Launch slipped")
    with pytest.raises(StaleEdit) as err:
        update_case(world.bob, case, version=seen, title="Bob's stale title")
    assert "changed by someone else" in str(err.value)
    case.refresh_from_db()
    assert case.title == "Launch slipped"


def test_stale_edits_of_a_concern_and_a_client_are_refused(world):
    concern = world.case.concerns.get()
    update_in_case(world.alice, concern, version=concern.version, source="Phone call")
    with pytest.raises(StaleEdit):
        update_in_case(world.bob, concern, version=1, source="Email")
    update_client(world.alice, world.acme, version=world.acme.version, notes="Key account")
    with pytest.raises(StaleEdit):
        update_client(world.bob, world.acme, version=1, notes="Overwrite")


def test_links_cannot_cross_clients(world):
    other_contact = world.globex.contacts.create(name="Globex person")
    with pytest.raises(ValidationError):
        add_to_case(
            world.alice,
            world.case,
            "commitment",
            what="x",
            due_at=world.case.opened_at,
            contact=other_contact.pk,
        )
    with pytest.raises(ValidationError):
        add_to_case(world.alice, world.case, "action", title="x", owner=world.carol)
    foreign_concern = add_to_case(world.carol, world.other_case, "concern", text="Slides late")
    with pytest.raises(ValidationError):
        add_to_case(world.alice, world.case, "action", title="x", concern=foreign_concern.pk)


def test_unknown_fields_are_rejected(world):
    with pytest.raises(ValidationError):
        add_to_case(world.alice, world.case, "concern", text="x", case_id=999)
    with pytest.raises(ValidationError):
        add_to_case(world.alice, world.case, "nonsense", text="x")


def test_a_member_cannot_make_an_outsider_owner_or_backup(world):
    with pytest.raises(ValidationError):
        update_client(world.bob, world.acme, version=world.acme.version, backup=world.carol)
    assert world.acme not in list_clients(world.carol)


def test_an_admin_may_name_anyone_and_they_join_the_team(world):
    update_client(world.ada, world.acme, version=world.acme.version, backup=world.carol)
    assert world.acme in list_clients(world.carol)
