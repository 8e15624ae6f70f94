"""Public email providers (gmail.com, outlook.com …) say nothing about whose mail it is:
never a client's email domain (refused when a client is saved: tests/api and tests/web),
ignored if one was stored before that, and never the firm's own domain because a
colleague's address is there."""

from __future__ import annotations

import pytest

from amends.accounts.actions import create_user
from amends.clients.models import Client, is_public_mail_domain
from amends.comms.actions import Matcher, import_path, our_domains
from amends.comms.models import EmailMessage
from tests.comms_import import messages as m
from tests.comms_import.test_import import write

pytestmark = pytest.mark.django_db


def test_the_list_knows_the_big_providers_and_not_a_firm():
    for domain in ("gmail.com", "GoogleMail.com", "outlook.com", "hotmail.co.uk", "web.de"):
        assert is_public_mail_domain(domain), domain
    for domain in ("acme.example", "microsoft.com", "firm.example"):
        assert not is_public_mail_domain(domain), domain


def test_a_public_domain_stored_before_matches_nobody(world, tmp_path):
    # Written past validation, as a database from before the rule would hold it.
    Client.objects.filter(pk=world.acme.pk).update(email_domains="acme.example gmail.com")
    assert "gmail.com" not in Matcher().domains
    write(
        tmp_path,
        {
            "1.eml": m.simple(1, sender="stranger@gmail.com", subject="Hello from Gmail"),
            "2.eml": m.simple(2, sender="dana@acme.example", subject="From Acme"),
        },
    )
    import_path(None, tmp_path)
    by_subject = {e.subject: e.client for e in EmailMessage.objects.all()}
    assert by_subject == {"Hello from Gmail": None, "From Acme": world.acme}


def test_a_colleagues_gmail_address_does_not_make_gmail_ours(world, tmp_path, settings):
    settings.AMENDS_OUR_DOMAINS = []
    create_user(None, username="sol", password=None, email="sol.freelance@gmail.com")
    assert "gmail.com" not in our_domains() and "firm.example" in our_domains()
    write(
        tmp_path,
        {
            # Dana's colleague writes from Gmail: inbound, not one of ours.
            "1.eml": m.simple(1, sender="dana.home@gmail.com", to="alice@firm.example"),
            # Our freelancer writes to Dana: outbound, from us.
            "2.eml": m.simple(2, sender="sol.freelance@gmail.com", to="dana@acme.example"),
        },
    )
    import_path(None, tmp_path)
    directions = {e.from_address: e.direction for e in EmailMessage.objects.all()}
    assert directions == {"dana.home@gmail.com": "in", "sol.freelance@gmail.com": "out"}


def test_an_organisation_the_list_names_can_be_taken_off_it(world, tmp_path, settings):
    """berlin.de is on the list (it once gave addresses to anyone); the city of Berlin as
    a client needs its domain. AMENDS_NOT_PUBLIC_DOMAINS takes it off the list."""
    from amends.clients.actions import create_client
    from amends.core.errors import ValidationError

    with pytest.raises(ValidationError, match="public email provider"):
        create_client(None, name="Berlin", owner=world.alice, email_domains="berlin.de")
    settings.AMENDS_NOT_PUBLIC_DOMAINS = frozenset({"berlin.de"})
    assert not is_public_mail_domain("Berlin.DE") and is_public_mail_domain("gmail.com")
    berlin = create_client(None, name="Berlin", owner=world.alice, email_domains="berlin.de")
    write(tmp_path, {"1.eml": m.simple(1, sender="amt@berlin.de")})
    import_path(None, tmp_path)
    assert EmailMessage.objects.get(message_id="m1@acme.example").client == berlin
