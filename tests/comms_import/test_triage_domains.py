"""Triage by domain: the page and the API list the domains whose mail waits most; an
admin adds one to a client in one click, and all of that mail follows (issue 3:
matching that learns). Public providers and another client's domain are refused;
outsiders get nothing (the API's in tests/api/routes.py too)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amends.clients.actions import add_email_domain
from amends.clients.models import Client
from amends.comms.actions import import_path
from amends.comms.models import EmailMessage
from amends.comms.queries import waiting_domains
from amends.comms.triage_actions import TRIAGE_MATCH_JOB
from amends.core.errors import ValidationError
from amends.watch.models import Job
from amends.watch.worker import run_one_step
from tests.comms_import import messages as m
from tests.comms_import.test_import import write

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _waiting_mail(tmp_path):
    """Three from Brightwater (no client yet), two from Gmail users, one from us to
    Brightwater, and one from Northpeak."""
    files = {
        f"{n}.eml": m.simple(n, sender=sender, subject=f"Message {n}")
        for n, sender in enumerate(
            [
                "Sam <sam@brightwater.example>",
                "ravi@brightwater.example",
                "SAM@Brightwater.example",
                "jo.kim@gmail.com",
                "lee@gmail.com",
                "lena@northpeak.example",
            ],
            start=1,
        )
    }
    files["7.eml"] = m.simple(7, sender="alice@firm.example", to="sam@brightwater.example")
    write(tmp_path, files)
    assert import_path(None, tmp_path).unmatched == 7


def _run_jobs() -> None:
    while run_one_step() is not None:
        pass


def test_the_domains_waiting_most_come_first(world, tmp_path):
    _waiting_mail(tmp_path)
    found = [(d.domain, d.messages, d.public) for d in waiting_domains(world.ada)]
    assert found == [
        ("brightwater.example", 4, False),  # three from there, and ours to Sam
        ("gmail.com", 2, True),
        ("northpeak.example", 1, False),
    ]
    assert [d.domain for d in waiting_domains(world.ada, limit=1)] == ["brightwater.example"]
    assert waiting_domains(world.alice) == [] and waiting_domains(world.carol) == []


def test_the_domains_we_wrote_to_count_though_they_never_wrote_back(world, tmp_path):
    """A Sent folder imported before the clients exist: each recipient's domain counts
    (To, Cc, Bcc), once a message; ours and addresses without a domain do not."""
    files = {
        "1.eml": m.simple(
            1,
            sender="alice@firm.example",
            to="sam@harbour.example, Ravi <ravi@HARBOUR.example>, bob@firm.example",
            extra=b"Cc: lena@northpeak.example, undisclosed-recipients:;\n",
        ),
        "2.eml": m.simple(
            2,
            sender="bob@firm.example",
            to="alice@firm.example",
            extra=b"Bcc: sam@harbour.example\n",
        ),
        "3.eml": m.simple(3, sender="alice@firm.example", to="lee@gmail.com"),
        "4.eml": m.simple(4, sender="bob@firm.example", to="alice@firm.example"),  # internal
    }
    write(tmp_path, files)
    assert import_path(None, tmp_path).unmatched == 4
    found = [(d.domain, d.messages, d.public) for d in waiting_domains(world.ada)]
    assert found == [
        ("harbour.example", 2, False),
        ("gmail.com", 1, True),
        ("northpeak.example", 1, False),
    ]
    latest = {d.domain: d.latest for d in waiting_domains(world.ada)}
    assert (
        latest["harbour.example"]
        == EmailMessage.objects.get(message_id="m2@acme.example").occurred_at
    )


def test_mail_we_sent_is_listed_by_whom_it_went_to(as_ada, world, tmp_path):
    """In the list, a message to us shows its sender; one we sent, its recipients not at
    our domains nor a colleague's own address (three, then how many more) and who sent
    it. Each subject opens it."""
    world.bob.email = "bob.private@gmail.com"
    world.bob.save(update_fields=["email"])
    to = "Bob.Private@gmail.com, " + ", ".join(f"p{i}@harbour.example" for i in range(5))
    files = {
        "1.eml": m.simple(1, sender="Sam <sam@brightwater.example>"),
        "2.eml": m.simple(
            2,
            sender="Alice <alice@firm.example>",
            to=f"bob@firm.example, {to}",
            subject="Our proposal",
        ),
    }
    write(tmp_path, files)
    import_path(None, tmp_path)
    page = as_ada.get(reverse("comms:triage")).content.decode()
    ours = EmailMessage.objects.get(message_id="m2@acme.example")
    row = page[page.index(f'id="email-{ours.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "p0@harbour.example" in row and "p2@harbour.example" in row
    assert "p3@harbour.example" not in row and "and 2 more" in row
    assert "bob@firm.example" not in row and "sent by Alice" in row
    assert "private@gmail.com" not in row.lower()
    assert reverse("comms:thread", args=[ours.pk]) in row
    theirs = EmailMessage.objects.get(message_id="m1@acme.example")
    row = page[page.index(f'id="email-{theirs.pk}"') :]
    assert "sam@brightwater.example" in row[: row.index("</tr>")]
    opened = as_ada.get(reverse("comms:thread", args=[ours.pk]))
    assert opened.status_code == 200 and "Our proposal" in opened.content.decode()


def test_an_admin_adds_a_domain_on_the_page_and_its_mail_follows(as_ada, world, tmp_path):
    _waiting_mail(tmp_path)
    page = as_ada.get(reverse("comms:triage")).content.decode()
    assert "Waiting most, by domain" in page and "brightwater.example" in page
    assert "A public email provider" in page  # gmail.com: no form for it
    assert page.count("Add domain") == 2

    response = as_ada.post(
        reverse("comms:triage_domain"),
        {"domain": "brightwater.example", "client": world.globex.pk},
        follow=True,
    )
    assert "Globex&#x27;s email domains are now brightwater.example" in response.content.decode()
    assert Job.objects.filter(kind=TRIAGE_MATCH_JOB, status="queued").count() == 1
    assert "Matching the waiting mail to clients (queued)" in response.content.decode()
    _run_jobs()
    page = as_ada.get(reverse("comms:triage")).content.decode()
    assert "Matching the waiting mail" not in page
    placed = EmailMessage.objects.filter(client=world.globex).values_list("message_id", flat=True)
    # The three from Brightwater and ours to Sam.
    assert sorted(placed) == [f"m{n}@acme.example" for n in (1, 2, 3, 7)]
    assert [d.domain for d in waiting_domains(world.ada)] == ["gmail.com", "northpeak.example"]


@pytest.mark.parametrize(
    ("domain", "target", "message"),
    [
        ("gmail.com", "globex", "“gmail.com” is a public email provider"),
        ("acme.example", "globex", "“acme.example” is already Acme Ltd&#x27;s email domain."),
        ("acme.example", "acme", "“acme.example” is already Acme Ltd&#x27;s email domain."),
        ("not a domain!", "globex", "Give one email domain"),
        ("a.example b.example", "globex", "Give one email domain"),
        ("bad_label.example", "globex", "is not an email domain like example.com"),
        ("a\x00b.example", "globex", "Give one email domain"),
        ("x" * 254, "globex", "Give one email domain"),
    ],
)
def test_a_domain_that_cannot_be_the_clients_is_refused(as_ada, world, domain, target, message):
    before = {c.pk: c.email_domains for c in Client.objects.all()}
    response = as_ada.post(
        reverse("comms:triage_domain"),
        {"domain": domain, "client": getattr(world, target).pk},
        follow=True,
    )
    assert message in response.content.decode()
    assert {c.pk: c.email_domains for c in Client.objects.all()} == before
    assert not Job.objects.filter(kind=TRIAGE_MATCH_JOB).exists()


def test_only_an_admin_adds_a_domain_from_triage(client, as_alice, world):
    body = {"domain": "newco.example", "client": world.acme.pk}
    assert as_alice.post(reverse("comms:triage_domain"), body).status_code == 404
    with pytest.raises(Exception, match="Only an admin"):
        add_email_domain(world.alice, world.acme, "newco.example")
    world.acme.refresh_from_db()
    assert world.acme.domains == ["acme.example"]


def test_outsiders_and_anonymous_get_nothing(client, as_carol, world, tmp_path):
    _waiting_mail(tmp_path)
    assert b"brightwater" not in as_carol.get(reverse("comms:triage")).content
    body = {"domain": "brightwater.example", "client": world.acme.pk}
    assert as_carol.post(reverse("comms:triage_domain"), body).status_code == 404
    as_carol.logout()
    anonymous = as_carol.post(reverse("comms:triage_domain"), body)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    world.acme.refresh_from_db()
    assert world.acme.domains == ["acme.example"]


def test_the_api_lists_and_adds_domains(client, world, tmp_path, api_ada, api_alice):
    _waiting_mail(tmp_path)
    listed = client.get(f"{API}/triage/domains", {"limit": 2}, **api_ada)
    assert listed.status_code == 200, listed.content
    assert [(d["domain"], d["messages"], d["public"]) for d in listed.json()] == [
        ("brightwater.example", 4, False),
        ("gmail.com", 2, True),
    ]
    assert client.get(f"{API}/triage/domains", **api_alice).status_code == 403

    def add(body, auth):
        return client.post(
            f"{API}/triage/domains", data=body, content_type="application/json", **auth
        )

    refused = add({"domain": "gmail.com", "client": world.acme.pk}, api_ada)
    assert refused.status_code == 422 and "public email provider" in refused.content.decode()
    too_long = add({"domain": "x" * 300 + ".example", "client": world.acme.pk}, api_ada)
    assert too_long.status_code == 422
    assert add({"domain": "brightwater.example", "client": 999999}, api_ada).status_code == 404
    assert (
        add({"domain": "brightwater.example", "client": world.acme.pk}, api_alice).status_code
        == 403
    )

    added = add({"domain": "brightwater.example", "client": world.acme.pk}, api_ada)
    assert added.status_code == 200, added.content
    assert added.json()["domains"] == ["acme.example", "brightwater.example"]
    _run_jobs()
    assert EmailMessage.objects.filter(client=world.acme).count() == 4


def test_the_action_checks_what_it_is_given(world):
    for bad in ("", "   ", "a.example, b.example"):
        with pytest.raises(ValidationError, match="Give one email domain"):
            add_email_domain(world.ada, world.acme, bad)
    for bad in ("a\x00b.example", "no-dot", "x" * 300 + ".example"):
        with pytest.raises(ValidationError, match="is not an email domain"):
            add_email_domain(world.ada, world.acme, bad)
    client = add_email_domain(world.ada, world.acme, "@NewCo.Example")
    assert client.domains == ["acme.example", "newco.example"]
