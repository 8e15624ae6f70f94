"""Mailboxes on internal addresses are refused unless the operator allows them, so a
user cannot make the server probe its own network through "Test connection"."""

from __future__ import annotations

import pytest

from amends.comms.mailboxes import MailboxError, ServerSettings, check_address, connect


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "0.0.0.0"],
)
def test_internal_addresses_are_refused_by_default(settings, host):
    settings.AMENDS_IMAP_ALLOW_PRIVATE = False
    server = ServerSettings(host=host, port=993, username="u", password="p")
    with pytest.raises(MailboxError) as exc:
        connect(server)
    assert exc.value.kind == "blocked"
    assert "AMENDS_IMAP_ALLOW_PRIVATE" in str(exc.value)


def test_public_addresses_pass_the_check(settings):
    settings.AMENDS_IMAP_ALLOW_PRIVATE = False
    check_address(ServerSettings(host="93.184.216.34", port=993, username="u", password="p"))


def test_the_operator_may_allow_them(settings):
    settings.AMENDS_IMAP_ALLOW_PRIVATE = True
    check_address(ServerSettings(host="127.0.0.1", port=993, username="u", password="p"))
