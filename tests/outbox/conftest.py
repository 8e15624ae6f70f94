from collections.abc import Iterator
from typing import Any

import pytest

from tests.smtp_support import SmtpServer, smtp_fixture


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) with the settings pointing at it."""
    yield from smtp_fixture(settings)
