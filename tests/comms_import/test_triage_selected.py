"""Triage, several at a time, and the client a reply belongs to by its thread.

A reply from someone no contact or domain matches (a client's colleague writing from
home) waits in triage, but shows the client whose mail it answers, with that client
chosen already. Several waiting messages can be ticked and assigned or dismissed
together — on the page and through the API, for admins only."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from amends.comms.actions import import_path
from amends.comms.models import EmailMessage
from amends.comms.queries import list_triage, thread_clients
from amends.comms.triage_actions import MAX_SELECTED, assign_selected
from amends.core.errors import ValidationError
from tests.comms_import import messages as m

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _reply(n: int, *, sender: str, to: str, subject: str, answers: list[str]) -> bytes:
    """A reply naming `answers` (oldest first) in References, the last in In-Reply-To."""
    refs = " ".join(answers)
    extra = f"In-Reply-To: {answers[-1]}\nReferences: {refs}\n".encode()
    return m.simple(n, sender=sender, to=to, subject=subject, extra=extra)


@pytest.fixture
def mail(world, tmp_path):
    """Acme's thread (matched by Dana's address) and Globex's (imported for Globex),
    then replies to them from people no one knows, and mail that answers nothing."""
    acme, globex = tmp_path / "acme", tmp_path / "globex"
    acme.mkdir()
    globex.mkdir()
    (acme / "1.eml").write_bytes(m.simple(1, subject="Launch date"))
    (globex / "2.eml").write_bytes(
        m.simple(2, sender="gus@globex.example", subject="Training", message_id="<g2@globex>")
    )
    assert import_path(None, acme).imported == 1
    assert import_path(None, globex, client=world.globex).imported == 1
    waiting = tmp_path / "waiting"
    waiting.mkdir()
    # Dana's colleague answers Acme's thread from home.
    (waiting / "3.eml").write_bytes(
        _reply(
            3,
            sender="jess.home@gmail.com",
            to="alice@firm.example",
            subject="Re: Launch date",
            answers=["<m1@acme.example>"],
        )
    )
    # Our answer to her: In-Reply-To names her message (in triage), References Acme's.
    (waiting / "4.eml").write_bytes(
        _reply(
            4,
            sender="alice@firm.example",
            to="jess.home@gmail.com",
            subject="Re: Launch date",
            answers=["<m1@acme.example>", "<m3@acme.example>"],
        )
    )
    # A message whose nearest reference is Globex's, an older one Acme's.
    (waiting / "5.eml").write_bytes(
        _reply(
            5,
            sender="pat@freelance.example",
            to="alice@firm.example",
            subject="Re: both",
            answers=["<m1@acme.example>", "<g2@globex>"],
        )
    )
    (waiting / "6.eml").write_bytes(m.simple(6, sender="lee@gmail.com", subject="Portfolio"))
    (waiting / "7.eml").write_bytes(m.simple(7, sender="news@news.example", subject="Digest"))
    assert import_path(None, waiting).unmatched == 5
    return {
        n: EmailMessage.objects.get(message_id=f"m{n}@acme.example") for n in (1, 3, 4, 5, 6, 7)
    }


def _row(page: str, pk: int) -> str:
    match = re.search(rf'<tr id="email-{pk}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {pk}"
    return match.group(1)


def test_a_reply_shows_the_client_whose_mail_it_answers(world, mail):
    found = thread_clients(world.ada, list_triage(world.ada))
    assert {pk: (h.name, h.email) for pk, h in found.items()} == {
        mail[3].pk: ("Acme Ltd", mail[1].pk),  # by In-Reply-To
        mail[4].pk: ("Acme Ltd", mail[1].pk),  # by References: its parent waits in triage
        mail[5].pk: ("Globex", EmailMessage.objects.get(message_id="g2@globex").pk),  # nearest
    }
    # Only what the user may see: Alice is on Acme's team, not Globex's.
    as_alice = thread_clients(world.alice, list_triage(world.ada))
    assert {pk: h.name for pk, h in as_alice.items()} == {
        mail[3].pk: "Acme Ltd",
        mail[4].pk: "Acme Ltd",
        mail[5].pk: "Acme Ltd",  # Globex's message is not hers to see; Acme's older one is
    }
    # Not placed by itself: a forward outside carries the same headers.
    assert EmailMessage.objects.get(pk=mail[3].pk).client is None


def test_the_page_chooses_that_client_already(world, mail):
    browser = Client()
    browser.force_login(world.ada)
    page = browser.get(reverse("comms:triage")).content.decode()
    row = _row(page, mail[3].pk)
    assert "Answers" in row and "mail with Acme Ltd" in row
    assert f'href="/comms/thread/{mail[1].pk}/#message-{mail[1].pk}"' in row
    assert re.search(rf'<option value="{world.acme.pk}" selected>Acme Ltd</option>', row)
    plain = _row(page, mail[6].pk)
    assert "Answers" not in plain and " selected>" not in plain
    # One click assigns it, as any assignment: the sender becomes Acme's contact.
    response = browser.post(
        reverse("comms:triage_assign", args=[mail[3].pk]), {"client": world.acme.pk}
    )
    assert response.status_code == 303
    assert EmailMessage.objects.get(pk=mail[3].pk).client == world.acme
    assert world.acme.contacts.filter(email="jess.home@gmail.com").exists()


def test_the_api_lists_the_thread_client(world, mail, client, api_ada):
    items = client.get(f"{API}/triage", **api_ada).json()["items"]
    hints = {i["id"]: i["thread_client"] for i in items}
    assert hints[mail[3].pk] == {"id": world.acme.pk, "name": "Acme Ltd", "email": mail[1].pk}
    assert hints[mail[6].pk] is None and hints[mail[7].pk] is None
    response = client.post(f"{API}/triage/{mail[3].pk}/dismiss", **api_ada)
    assert response.json()["thread_client"]["name"] == "Acme Ltd"


def test_tick_several_and_assign_them_on_the_page(world, mail):
    browser = Client()
    browser.force_login(world.ada)
    page = browser.get(reverse("comms:triage")).content.decode()
    assert 'data-select-all="ids"' in page and 'form="triage-selected"' in page
    response = browser.post(
        reverse("comms:triage_selected"),
        {"ids": [mail[3].pk, mail[4].pk], "client": world.acme.pk, "action": "assign"},
        follow=True,
    )
    text = response.content.decode()
    assert "2 messages assigned to Acme Ltd" in text
    assert {e.pk for e in world.acme.emails.all()} >= {mail[3].pk, mail[4].pk}
    # Our message went out: its outside recipient became the contact, its direction is out.
    assert EmailMessage.objects.get(pk=mail[4].pk).direction == "out"
    # One assigned meanwhile is skipped with the reason; the other goes.
    response = browser.post(
        reverse("comms:triage_selected"),
        {"ids": [mail[3].pk, mail[6].pk], "client": world.globex.pk, "action": "assign"},
        follow=True,
    )
    text = response.content.decode()
    assert "1 message assigned to Globex" in text
    assert "1 message left as they were: No longer waiting in triage." in text
    assert EmailMessage.objects.get(pk=mail[3].pk).client == world.acme


def test_tick_several_and_dismiss_them(world, mail):
    browser = Client()
    browser.force_login(world.ada)
    response = browser.post(
        reverse("comms:triage_selected"),
        {"ids": [mail[6].pk, mail[7].pk], "action": "dismiss"},
        follow=True,
    )
    assert "2 messages set aside as no client" in response.content.decode()
    assert {e.pk for e in list_triage(world.ada, dismissed=True)} == {mail[6].pk, mail[7].pk}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"action": "assign", "client": "ACME"}, "Select at least one message."),
        ({"ids": ["1"], "action": "assign"}, "Choose a client to assign the selected messages to."),
        ({"ids": ["1 OR 1=1"], "action": "dismiss"}, "Select messages from the list."),
        ({"ids": ["١"], "action": "dismiss"}, "Select messages from the list."),  # not ASCII
        ({"ids": ["9" * 40], "action": "dismiss"}, "Select messages from the list."),
        (
            {"ids": [str(n) for n in range(1, MAX_SELECTED + 2)], "action": "dismiss"},
            f"Select at most {MAX_SELECTED} messages at a time.",
        ),
        ({"ids": ["1"], "action": "delete"}, "Select a valid choice."),
    ],
)
def test_the_page_refuses_a_bad_selection(world, mail, data, says):
    browser = Client()
    browser.force_login(world.ada)
    response = browser.post(reverse("comms:triage_selected"), data, follow=True)
    assert says in response.content.decode()
    assert list_triage(world.ada).count() == 5
    assert not list_triage(world.ada, dismissed=True).exists()


def test_the_api_assigns_and_dismisses_several(world, mail, client, api_ada):
    response = client.post(
        f"{API}/triage/assign",
        data={"ids": [mail[3].pk, mail[4].pk, mail[1].pk, 999_999], "client": world.acme.pk},
        content_type="application/json",
        **api_ada,
    )
    assert response.status_code == 200, response.content
    gone = "This message is no longer waiting in triage."
    assert response.json() == {
        "assigned": 2,
        "skipped": [{"id": mail[1].pk, "reason": gone}, {"id": 999_999, "reason": gone}],
    }
    response = client.post(
        f"{API}/triage/dismiss",
        data={"ids": [mail[7].pk, mail[7].pk]},  # twice: once
        content_type="application/json",
        **api_ada,
    )
    assert response.json() == {"dismissed": 1, "skipped": []}
    for body in ({"ids": []}, {"ids": list(range(1, MAX_SELECTED + 2))}, {"ids": ["x"]}):
        response = client.post(
            f"{API}/triage/dismiss", data=body, content_type="application/json", **api_ada
        )
        assert response.status_code == 422, body
    response = client.post(
        f"{API}/triage/assign",
        data={"ids": [mail[6].pk], "client": 999_999},
        content_type="application/json",
        **api_ada,
    )
    assert response.status_code == 404
    assert EmailMessage.objects.get(pk=mail[6].pk).client is None


def test_only_admins_act_on_several_and_outsiders_learn_nothing(
    world, mail, client, api_alice, api_carol
):
    ids = [mail[3].pk, mail[6].pk]
    for headers in (api_alice, api_carol):
        for path, body in [
            ("assign", {"ids": ids, "client": world.acme.pk}),
            ("dismiss", {"ids": ids}),
        ]:
            response = client.post(
                f"{API}/triage/{path}", data=body, content_type="application/json", **headers
            )
            assert response.status_code == 403
            assert "thread_client" not in response.content.decode()
    for user in (world.alice, world.carol):
        browser = Client()
        browser.force_login(user)
        for action in ("assign", "dismiss"):
            response = browser.post(
                reverse("comms:triage_selected"),
                {"ids": ids, "client": world.acme.pk, "action": action},
            )
            assert response.status_code == 404
    anonymous = Client()
    response = anonymous.post(reverse("comms:triage_selected"), {"ids": ids, "action": "dismiss"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert list_triage(world.ada).count() == 5
    with pytest.raises(Exception, match="Only an admin"):
        assign_selected(world.alice, list(list_triage(world.ada)), world.acme)


def test_assign_selected_refuses_nothing_or_too_many(world, mail):
    with pytest.raises(ValidationError, match="at least one"):
        assign_selected(world.ada, [], world.acme)
    many = list(list_triage(world.ada)) * (MAX_SELECTED // 5 + 1)
    with pytest.raises(ValidationError, match=f"at most {MAX_SELECTED}"):
        assign_selected(world.ada, many, world.acme)


def test_assign_each_to_the_client_whose_mail_it_answers(world, mail):
    """The page offers one button for the messages on it that answer a client's mail:
    each goes to that client; the rest stay."""
    browser = Client()
    browser.force_login(world.ada)
    page = browser.get(reverse("comms:triage")).content.decode()
    assert "3 messages on this page answer a client's mail." in page
    assert "Assign each to that client" in page
    response = browser.post(
        reverse("comms:triage_selected"),
        {"ids": [mail[3].pk, mail[4].pk, mail[5].pk, mail[6].pk], "action": "thread"},
        follow=True,
    )
    text = response.content.decode()
    assert "3 messages assigned, each to the client whose mail it answers." in text
    assert "1 message left as they were: It answers no client&#x27;s mail." in text
    placed = {n: EmailMessage.objects.get(pk=mail[n].pk).client for n in (3, 4, 5, 6)}
    assert placed == {3: world.acme, 4: world.acme, 5: world.globex, 6: None}
    page = browser.get(reverse("comms:triage")).content.decode()
    assert "Assign each to that client" not in page  # none left that answers one


def test_the_api_assigns_each_by_thread_and_only_within_what_the_admin_sees(
    world, mail, client, api_ada, api_alice
):
    response = client.post(
        f"{API}/triage/assign-by-thread",
        data={"ids": [mail[3].pk, mail[7].pk]},
        content_type="application/json",
        **api_ada,
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "assigned": 1,
        "skipped": [{"id": mail[7].pk, "reason": "It answers no client's mail."}],
    }
    assert EmailMessage.objects.get(pk=mail[3].pk).client == world.acme
    response = client.post(
        f"{API}/triage/assign-by-thread",
        data={"ids": [mail[5].pk]},
        content_type="application/json",
        **api_alice,
    )
    assert response.status_code == 403
    assert EmailMessage.objects.get(pk=mail[5].pk).client is None
