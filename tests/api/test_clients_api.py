"""Clients, contacts, engagements and the client timeline."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from django.utils import timezone

from amends.clients.models import Client

from .conftest import error_of, iso, ok

# ------------------------------------------------------------------------ clients


def test_a_team_member_lists_their_clients(alice_api, world):
    body = ok(alice_api.get("/clients"))
    assert body["count"] == 1
    acme = body["items"][0]
    assert acme["id"] == world.acme.pk and acme["name"] == "Acme Ltd"
    assert acme["owner"] == world.alice.pk and acme["backup"] == world.bob.pk
    assert acme["open_cases"] == 1 and acme["domains"] == ["acme.example"]
    assert acme["version"] == 1 and acme["work_start"] == "09:00:00"


def test_an_admin_lists_every_client_and_can_search(ada_api):
    assert ok(ada_api.get("/clients"))["count"] == 2
    found = ok(ada_api.get("/clients", {"search": "glob"}))["items"]
    assert [c["name"] for c in found] == ["Globex"]


def test_an_admin_adds_a_client_whose_owner_joins_the_team(ada_api, bob_api, world):
    body = {
        "name": "Initech",
        "owner": world.bob.pk,
        "backup": world.alice.pk,
        "timezone": "Europe/Paris",
        "email_domains": "initech.example, initech.test",
        "work_days": "0,1,2,3",
    }
    created = ok(ada_api.post("/clients", body), 201)
    assert created["domains"] == ["initech.example", "initech.test"]
    assert created["open_cases"] == 0 and created["version"] == 1
    assert ok(bob_api.get(f"/clients/{created['id']}"))["name"] == "Initech"


def test_only_an_admin_adds_a_client(alice_api, world):
    response = alice_api.post("/clients", {"name": "Sneaky", "owner": world.alice.pk})
    error_of(response, 403, "forbidden")
    assert not Client.objects.filter(name="Sneaky").exists()


def test_a_new_client_is_checked(ada_api, world):
    error = error_of(
        ada_api.post(
            "/clients", {"name": "X", "owner": world.alice.pk, "timezone": "Mars/Olympus"}
        ),
        422,
        "invalid",
    )
    assert "timezone" in error["fields"]
    error = error_of(ada_api.post("/clients", {"name": "X", "owner": 999999}), 422, "invalid")
    assert "owner" in error["fields"]
    error = error_of(
        ada_api.post("/clients", {"name": "X", "owner": world.alice.pk, "backup": world.alice.pk}),
        422,
        "invalid",
    )
    assert "backup" in error["fields"]
    error = error_of(
        ada_api.post(
            "/clients",
            {"name": "X", "owner": world.alice.pk, "work_start": "18:00", "work_end": "09:00"},
        ),
        422,
        "invalid",
    )
    assert "work_end" in error["fields"]


def test_editing_a_client_needs_the_version_read(alice_api, world):
    url = f"/clients/{world.acme.pk}"
    edited = ok(alice_api.patch(url, {"version": 1, "notes": "Prefers calls"}))
    assert edited["notes"] == "Prefers calls" and edited["version"] == 2
    assert edited["name"] == "Acme Ltd"  # untouched

    error = error_of(alice_api.patch(url, {"version": 1, "notes": "Mine"}), 409, "stale_edit")
    assert "version 1" in error["message"] and "version 2" in error["message"]
    assert ok(alice_api.get(url))["notes"] == "Prefers calls"


def test_a_client_patch_needs_a_version_and_refuses_nulls(alice_api, world):
    url = f"/clients/{world.acme.pk}"
    assert "version" in error_of(alice_api.patch(url, {"notes": "x"}), 422, "invalid")["fields"]
    error_of(alice_api.patch(url, {"version": 1, "name": None}), 422, "invalid")
    cleared = ok(alice_api.patch(url, {"version": 1, "backup": None}))
    assert cleared["backup"] is None


def test_outsiders_get_404_for_a_client(carol_api, world):
    error_of(carol_api.get(f"/clients/{world.acme.pk}"), 404, "not_found")
    error_of(
        carol_api.patch(f"/clients/{world.acme.pk}", {"version": 1, "name": "Mine"}),
        404,
        "not_found",
    )
    assert [c["name"] for c in ok(carol_api.get("/clients"))["items"]] == ["Globex"]
    assert ok(carol_api.get("/clients", {"search": "acme"}))["count"] == 0


# ----------------------------------------------------------------------- contacts


def test_contacts_are_listed_added_read_and_edited(alice_api, world):
    base = f"/clients/{world.acme.pk}/contacts"
    assert [c["name"] for c in ok(alice_api.get(base))["items"]] == ["Dana Client"]

    made = ok(
        alice_api.post(base, {"name": "Eve", "email": "eve@acme.example", "role": "CFO"}), 201
    )
    assert made["client"] == world.acme.pk and made["version"] == 1
    assert ok(alice_api.get(f"/contacts/{made['id']}"))["email"] == "eve@acme.example"

    edited = ok(alice_api.patch(f"/contacts/{made['id']}", {"version": 1, "phone": "+44 1"}))
    assert edited["phone"] == "+44 1" and edited["version"] == 2
    error_of(
        alice_api.patch(f"/contacts/{made['id']}", {"version": 1, "phone": "2"}), 409, "stale_edit"
    )


def test_contacts_of_other_clients_are_invisible(carol_api, world):
    error_of(carol_api.get(f"/clients/{world.acme.pk}/contacts"), 404, "not_found")
    error_of(carol_api.post(f"/clients/{world.acme.pk}/contacts", {"name": "X"}), 404, "not_found")
    error_of(carol_api.get(f"/contacts/{world.contact.pk}"), 404, "not_found")
    error_of(
        carol_api.patch(f"/contacts/{world.contact.pk}", {"version": 1, "name": "X"}),
        404,
        "not_found",
    )


# -------------------------------------------------------------------- engagements


def test_engagements_carry_budgets(alice_api, world):
    base = f"/clients/{world.acme.pk}/engagements"
    listed = ok(alice_api.get(base))["items"]
    assert listed[0]["budget"] == "20000.00" and listed[0]["used"] == "17500.00"
    assert listed[0]["utilisation"] == 0.875

    made = ok(
        alice_api.post(
            base,
            {
                "name": "Support",
                "budget_unit": "hours",
                "budget": 40,
                "starts_on": "2025-01-01",
                "due_on": "2025-12-31",
            },
        ),
        201,
    )
    assert made["budget"] == "40.00" and made["utilisation"] == 0.0
    assert made["budget_label"] == "0.00h of 40.00h"

    edited = ok(alice_api.patch(f"/engagements/{made['id']}", {"version": 1, "used": "10.5"}))
    assert edited["used"] == "10.50" and edited["utilisation"] == 0.2625
    assert ok(alice_api.get(f"/engagements/{made['id']}"))["version"] == 2


def test_engagement_budgets_are_checked(alice_api, world):
    base = f"/clients/{world.acme.pk}/engagements"
    for bad in (
        {"budget": -1},
        {"used": "-0.01"},
        {"budget": "1e20"},
        {"budget": "NaN"},
        {"budget": "12.345"},
        {"budget": "lots"},
        {"budget_unit": "days"},
    ):
        error = error_of(alice_api.post(base, {"name": "X", **bad}), 422, "invalid")
        assert set(bad) <= set(error["fields"]), bad
    error = error_of(
        alice_api.post(base, {"name": "X", "starts_on": "2025-02-01", "due_on": "2025-01-01"}),
        422,
        "invalid",
    )
    assert "due_on" in error["fields"]
    eng = world.engagement
    error_of(
        alice_api.patch(f"/engagements/{eng.pk}", {"version": 1, "budget": -5}), 422, "invalid"
    )


def test_engagements_of_other_clients_are_invisible(carol_api, world):
    error_of(carol_api.get(f"/clients/{world.acme.pk}/engagements"), 404, "not_found")
    error_of(
        carol_api.post(f"/clients/{world.acme.pk}/engagements", {"name": "X"}), 404, "not_found"
    )
    error_of(carol_api.get(f"/engagements/{world.engagement.pk}"), 404, "not_found")
    error_of(
        carol_api.patch(f"/engagements/{world.engagement.pk}", {"version": 1, "name": "X"}),
        404,
        "not_found",
    )


# ----------------------------------------------------------------------- timeline


def test_the_client_timeline_is_newest_first_and_filterable(alice_api, world):
    url = f"/clients/{world.acme.pk}/timeline"
    entries = ok(alice_api.get(url))["items"]
    kinds = [e["kind"] for e in entries]
    assert {
        "client.created",
        "contact.added",
        "engagement.added",
        "case.opened",
        "concern.added",
    } <= set(kinds)
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)
    opened = next(e for e in entries if e["kind"] == "case.opened")
    assert opened["case"] == world.case.pk and opened["actor"] == world.alice.pk
    assert opened["actor_name"] == "Alice Owner" and opened["subject_type"] == "case"

    cutoff = timezone.now() - timedelta(hours=1)
    recent = ok(alice_api.get(url, {"since": iso(cutoff)}))["items"]
    assert "case.opened" not in [e["kind"] for e in recent] and recent
    older = ok(alice_api.get(url, {"until": iso(cutoff)}))["items"]
    assert [e["kind"] for e in older] == ["case.opened"]


def test_timeline_filters_need_an_offset(alice_api, world):
    url = f"/clients/{world.acme.pk}/timeline"
    error_of(alice_api.get(url, {"since": "2025-01-01T00:00:00"}), 422, "invalid")
    # An offset with + must be URL-encoded in a query string; Z always works.
    ok(alice_api.get(f"/api/v1{url}?since={quote('2025-01-01T00:00:00+01:00')}"))
    ok(alice_api.get(url, {"since": "2025-01-01T00:00:00Z"}))


def test_outsiders_get_404_for_a_client_timeline(carol_api, world):
    error_of(carol_api.get(f"/clients/{world.acme.pk}/timeline"), 404, "not_found")


def test_a_public_email_provider_is_never_a_clients_domain(ada_api, alice_api, world):
    body = {"name": "Initech", "owner": world.bob.pk, "email_domains": "initech.example gmail.com"}
    error = error_of(ada_api.post("/clients", body), 422, "invalid")
    assert "“gmail.com” is a public email provider" in str(error)
    assert not Client.objects.filter(name="Initech").exists()
    url = f"/clients/{world.acme.pk}"
    patch = {"version": world.acme.version, "email_domains": "acme.example, outlook.com"}
    error = error_of(alice_api.patch(url, patch), 422, "invalid")
    assert "“outlook.com” is a public email provider" in str(error)
    world.acme.refresh_from_db()
    assert world.acme.domains == ["acme.example"]


def test_a_domain_belongs_to_one_client(ada_api, alice_api, world):
    body = {"name": "Initech", "owner": world.bob.pk, "email_domains": "initech.example"}
    ok(ada_api.post("/clients", body), 201)
    again = {"name": "Initrode", "owner": world.bob.pk, "email_domains": "INITECH.example"}
    error = error_of(ada_api.post("/clients", again), 422, "invalid")
    assert "“initech.example” is already Initech's email domain." in str(error)
    url = f"/clients/{world.acme.pk}"
    patch = {"version": world.acme.version, "email_domains": "acme.example initech.example"}
    error = error_of(alice_api.patch(url, patch), 422, "invalid")
    assert "already Initech's email domain" in str(error)
    world.acme.refresh_from_db()
    assert world.acme.domains == ["acme.example"] and world.acme.version == 1
    # A sub-domain is another domain; a domain shared before this rule does not stop an
    # edit of something else.
    patch = {"version": 1, "email_domains": "acme.example mail.initech.example"}
    assert ok(alice_api.patch(url, patch))["domains"] == ["acme.example", "mail.initech.example"]
    Client.objects.filter(pk=world.acme.pk).update(email_domains="acme.example initech.example")
    assert (
        ok(alice_api.patch(url, {"version": 2, "notes": "Shared a domain once."}))["version"] == 3
    )
