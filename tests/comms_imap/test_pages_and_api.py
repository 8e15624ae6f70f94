"""The mailbox pages and API: who sees what, the password never shown, real tests."""

from __future__ import annotations

import json

import pytest

from amends.comms.mailbox_actions import connect_mailbox
from amends.comms.mailboxes import POLL_JOB_KIND
from amends.comms.models import MailboxAccount
from amends.watch.models import Job

pytestmark = pytest.mark.django_db

SECRET = "Sup3r-Secret-Passw0rd"
API = "/api/v1"


@pytest.fixture
def alices(world) -> MailboxAccount:
    return connect_mailbox(
        world.alice,
        host="imap.firm.example",
        username="alice@firm.example",
        password=SECRET,
        client=world.acme,
        label="Alice at work",
    )


def api(client, headers, method, path, body=None):
    kwargs = {"content_type": "application/json"} if body is not None else {}
    data = json.dumps(body) if body is not None else None
    return client.generic(method, API + path, data or "", **kwargs, **headers)


# --- Pages -------------------------------------------------------------------------------


def test_the_owner_sees_her_mailbox_and_its_status(as_alice, alices):
    MailboxAccount.objects.filter(pk=alices.pk).update(
        last_error="imap.firm.example:993 refused the user name or password", imported_count=7
    )
    page = as_alice.get("/comms/mailboxes/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Alice at work" in html and "7 messages imported" in html
    assert "refused the user name or password" in html
    assert SECRET not in html and alices.secret not in html


def test_the_edit_form_never_shows_the_password(as_alice, alices):
    html = as_alice.get(f"/comms/mailboxes/{alices.pk}/edit/").content.decode()
    assert "alice@firm.example" in html
    assert SECRET not in html and alices.secret not in html


def test_others_do_not_see_a_mailbox(client, world, alices):
    for user in (world.bob, world.carol):  # bob is on Acme's team, but it is Alice's
        client.force_login(user)
        assert "Alice at work" not in client.get("/comms/mailboxes/").content.decode()
        assert client.get(f"/comms/mailboxes/{alices.pk}/edit/").status_code == 404
        for action in ("poll", "remove", "enabled"):
            assert client.post(f"/comms/mailboxes/{alices.pk}/{action}/").status_code == 404
    assert MailboxAccount.objects.filter(pk=alices.pk, enabled=True).exists()
    assert not Job.objects.filter(kind=POLL_JOB_KIND).exists()


def test_an_admin_sees_every_mailbox(as_ada, alices):
    assert "Alice at work" in as_ada.get("/comms/mailboxes/").content.decode()


def test_connecting_a_mailbox_from_the_page(as_bob, world):
    form = {
        "label": "Bob's inbox",
        "host": "IMAP.Firm.Example",
        "port": "993",
        "username": "bob",
        "password": SECRET,
        "folder": "INBOX",
        "client": world.acme.pk,
        "poll_interval": "120",
    }
    response = as_bob.post("/comms/mailboxes/connect/", form)
    assert response.status_code == 303
    account = MailboxAccount.objects.get(owner=world.bob)
    assert (account.host, account.poll_interval, account.verify_tls) == (
        "imap.firm.example",
        120,
        True,
    )
    assert SECRET not in account.secret


def test_a_member_must_choose_one_of_her_clients(as_carol, world):
    form = {"host": "imap.x.example", "port": "993", "username": "c", "password": "p"}
    form |= {"folder": "INBOX", "poll_interval": "300"}
    assert as_carol.post("/comms/mailboxes/connect/", form).status_code == 422
    form["client"] = world.acme.pk  # not on Acme's team
    response = as_carol.post("/comms/mailboxes/connect/", form)
    assert response.status_code == 422
    assert "Acme" not in response.content.decode()
    assert not MailboxAccount.objects.exists()


def test_only_an_admin_may_turn_off_the_certificate_check(world):
    from amends.core.errors import ValidationError

    with pytest.raises(ValidationError, match="Only an admin"):
        connect_mailbox(
            world.alice, host="h.example", username="u", password="p", client=world.acme,
            verify_tls=False,
        )  # fmt: skip


def test_hostile_settings_are_refused_with_reasons(world):
    from amends.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        connect_mailbox(
            world.alice, host="http://evil/", username="", password="", client=world.acme,
            port=70000, poll_interval=5, folder="x" * 300,
        )  # fmt: skip
    assert set(caught.value.message_dict) == {
        "host",
        "username",
        "password",
        "port",
        "poll_interval",
        "folder",
    }


def test_disable_enable_remove_and_poll_from_the_page(as_alice, alices):
    assert as_alice.post(f"/comms/mailboxes/{alices.pk}/poll/").status_code == 303
    assert Job.objects.filter(kind=POLL_JOB_KIND, payload__mailbox=alices.pk).count() == 1
    assert ">Queued<" in as_alice.get("/comms/mailboxes/").content.decode()
    as_alice.post(f"/comms/mailboxes/{alices.pk}/enabled/", {"enabled": "0"})
    assert not MailboxAccount.objects.get(pk=alices.pk).enabled
    as_alice.post(f"/comms/mailboxes/{alices.pk}/enabled/", {"enabled": "1"})
    assert MailboxAccount.objects.get(pk=alices.pk).enabled
    as_alice.post(f"/comms/mailboxes/{alices.pk}/remove/")
    assert not MailboxAccount.objects.filter(pk=alices.pk).exists()
    assert not Job.objects.filter(kind=POLL_JOB_KIND, status="queued").exists()


def test_editing_keeps_the_password_unless_a_new_one_is_given(as_alice, alices, world):
    from amends.comms.mailboxes import decrypt_secret

    form = {
        "version": alices.version,
        "label": "Renamed",
        "host": alices.host,
        "port": "993",
        "username": alices.username,
        "password": "",
        "folder": "INBOX",
        "client": world.acme.pk,
        "poll_interval": "300",
    }
    assert as_alice.post(f"/comms/mailboxes/{alices.pk}/edit/", form).status_code == 303
    alices.refresh_from_db()
    assert alices.label == "Renamed" and decrypt_secret(alices.secret) == SECRET


def test_test_connection_really_logs_in(as_alice, world, trust_dovecot, mail_user):
    form = {
        "host": trust_dovecot.host,
        "port": str(trust_dovecot.port),
        "username": mail_user.username,
        "password": mail_user.password,
        "folder": "INBOX",
        "client": world.acme.pk,
        "poll_interval": "300",
        "test": "1",
    }
    ok = as_alice.post("/comms/mailboxes/connect/", form, follow=True)
    assert "Connected: 0 messages in INBOX." in ok.content.decode()
    assert not MailboxAccount.objects.exists()  # a test saves nothing

    form["password"] = "wrong"
    failed = as_alice.post("/comms/mailboxes/connect/", form)
    assert failed.status_code == 422
    html = failed.content.decode()
    assert "The connection test failed" in html and "refused" in html
    assert 'value="wrong"' not in html


# --- API ---------------------------------------------------------------------------------


def test_the_api_never_returns_the_password(client, world, api_alice):
    body = {
        "host": "imap.firm.example",
        "username": "alice",
        "password": SECRET,
        "client": world.acme.pk,
    }
    created = api(client, api_alice, "POST", "/mailboxes", body)
    assert created.status_code == 201, created.content
    mailbox = created.json()
    assert mailbox["next_poll_at"] and mailbox["folder"] == "INBOX"
    responses = [
        created,
        api(client, api_alice, "GET", "/mailboxes"),
        api(client, api_alice, "GET", f"/mailboxes/{mailbox['id']}"),
        api(
            client,
            api_alice,
            "PATCH",
            f"/mailboxes/{mailbox['id']}",
            {"version": 1, "password": "N3w-" + SECRET},
        ),
    ]
    account = MailboxAccount.objects.get()
    for response in responses:
        assert response.status_code in (200, 201)
        text = response.content.decode()
        assert SECRET not in text and account.secret not in text
        assert "secret" not in text and "password" not in text


def test_polling_from_the_api_returns_the_job(client, alices, api_alice, api_carol):
    first = api(client, api_alice, "POST", f"/mailboxes/{alices.pk}/poll")
    again = api(client, api_alice, "POST", f"/mailboxes/{alices.pk}/poll")
    assert first.status_code == 202 and first.json()["kind"] == POLL_JOB_KIND
    assert again.json()["id"] == first.json()["id"]
    assert api(client, api_carol, "POST", f"/mailboxes/{alices.pk}/poll").status_code == 404


def test_an_outsider_gets_404_for_every_mailbox_operation(client, alices, api_carol):
    for method, path, body in [
        ("GET", f"/mailboxes/{alices.pk}", None),
        ("PATCH", f"/mailboxes/{alices.pk}", {"version": 1, "label": "x"}),
        ("DELETE", f"/mailboxes/{alices.pk}", None),
    ]:
        assert api(client, api_carol, method, path, body).status_code == 404
    listed = api(client, api_carol, "GET", "/mailboxes").json()
    assert listed["count"] == 0
    assert MailboxAccount.objects.filter(pk=alices.pk, label="Alice at work").exists()


def test_null_is_refused_for_fields_that_cannot_be_empty(client, alices, api_alice):
    response = api(
        client, api_alice, "PATCH", f"/mailboxes/{alices.pk}", {"version": 1, "host": None}
    )
    assert response.status_code == 422


def test_an_admin_cannot_tie_a_members_mailbox_to_a_client_she_is_not_on(world, alices):
    from amends.comms.mailbox_actions import update_mailbox
    from amends.core.errors import ValidationError

    with pytest.raises(ValidationError, match="not on this client's team"):
        update_mailbox(world.ada, alices, version=None, client=world.globex)
    with pytest.raises(ValidationError, match="only admins"):
        update_mailbox(world.ada, alices, version=None, client=None)
