from __future__ import annotations

import re

import pytest
from django.urls import reverse

from amends.sharing.actions import create_share_link


@pytest.fixture
def link(world):
    """A live share link to Acme's case: (ShareLink, secret)."""
    return create_share_link(world.alice, world.case, label="Dana at Acme")


def page_url(raw: str) -> str:
    return reverse("sharing:public", args=[raw])


def pdf_url(raw: str) -> str:
    return reverse("sharing:public_pdf", args=[raw])


def form_token(client, raw: str) -> str:
    """The signed token of the feedback form, as a browser would read it from the page."""
    html = client.get(page_url(raw)).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)
