import pytest
from django.urls import reverse


@pytest.fixture
def urls(world, call, inbound):
    return [
        reverse("home"),
        reverse("clients:list"),
        reverse("clients:detail", args=[world.acme.pk]),
        reverse("clients:edit", args=[world.acme.pk]),
        reverse("clients:contacts", args=[world.acme.pk]),
        reverse("clients:engagements", args=[world.acme.pk]),
        reverse("clients:timeline", args=[world.acme.pk]),
        reverse("clients:contact_edit", args=[world.contact.pk]),
        reverse("clients:engagement_edit", args=[world.engagement.pk]),
        reverse("comms:for_client", args=[world.acme.pk]),
        reverse("comms:detail", args=[call.pk]),
        reverse("comms:edit", args=[call.pk]),
        reverse("accounts:tokens"),
    ]


def test_every_page_renders_for_the_owner(as_alice, urls):
    for url in urls:
        r = as_alice.get(url)
        assert r.status_code == 200, url
