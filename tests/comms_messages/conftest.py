"""Fixtures for reading imported email: store real-world-shaped bytes as Acme's mail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from amends.comms.actions import Matcher, store_parsed_message
from amends.comms.importing import ParsedMessage, parse_message
from amends.comms.models import EmailMessage


def store_bytes(data: bytes) -> EmailMessage:
    """Import one message as the command line would (no actor); matched by its sender."""
    parsed = parse_message(data)
    assert isinstance(parsed, ParsedMessage), parsed
    message = store_parsed_message(None, parsed, matcher=Matcher())
    assert message is not None
    return EmailMessage.objects.select_related("raw", "client", "communication").get(pk=message.pk)


@pytest.fixture
def store(world) -> Callable[[bytes], EmailMessage]:
    return store_bytes
