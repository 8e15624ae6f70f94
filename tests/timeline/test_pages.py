"""The timeline pages: a client's, a case's and everything the user may see, filtered."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from amends.clients.actions import record_timeline

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_url(world):
    return reverse("clients:timeline", args=[world.acme.pk])


def html_of(response, status=200):
    assert response.status_code == status, response.content[:400]
    return response.content.decode()


def test_the_client_timeline_shows_imported_mail_and_meetings_with_links(as_alice, world, record):
    html = html_of(as_alice.get(client_url(world)))
    for comm in (record.dana_email, record.reply, record.meeting, record.call, record.note):
        assert reverse("comms:detail", args=[comm.pk]) in html
    # Emails link to their thread (any message of it opens the thread page).
    thread = record.emails["launch-1@acme.example"]
    assert reverse("comms:thread", args=[thread.thread_root_id or thread.pk]) in html
    # Badges for channel and direction, the contact, and the meeting's hours and people.
    assert 'data-channel="email" data-direction="in"' in html
    assert 'data-channel="meeting" data-direction="out"' in html
    assert "from Dana Client" in html
    assert "14:00–15:30" in html  # 13:00–14:30 UTC is 14:00–15:30 in London in July
    assert "Attendees: Alice Owner, Dana Client" in html and "Acme HQ, room 2" in html
    assert "Globex secret" not in html


def test_filtering_by_channel_and_direction(as_alice, world, record):
    html = html_of(as_alice.get(client_url(world), {"channel": "email", "direction": "in"}))
    assert "Where is the launch?" in html and "Invoice 2231" in html
    assert "Re: Where is the launch?" not in html and "Launch recovery workshop" not in html
    assert "3 matching" not in html and "2 matching" in html
    # The form shows what is filtered, so the URL can be bookmarked and read back.
    assert re.search(r'<option value="email" selected>', html)
    assert 'href="' + client_url(world) + '">Reset</a>' in html


def test_filtering_by_contact_case_and_dates(as_alice, world, record):
    html = html_of(as_alice.get(client_url(world), {"contact": world.contact.pk}))
    assert "Launch recovery workshop" in html and "Invoice 2231" not in html
    html = html_of(as_alice.get(client_url(world), {"case": world.case.pk, "channel": "call"}))
    assert "Dana called about the invoice." in html and "Where is the launch?" not in html
    # 6 July in London: Dana's message (23:30 UTC on the 5th) is in, the invoice is not.
    html = html_of(as_alice.get(client_url(world), {"since": "2026-07-06", "until": "2026-07-06"}))
    assert "Where is the launch?" in html and "Invoice 2231" not in html


def test_htmx_gets_the_filtered_area_alone(as_alice, world, record):
    html = html_of(as_alice.get(client_url(world), {"channel": "meeting"}, **HTMX))
    assert "<html" not in html and 'id="timeline-area"' in html
    assert "Launch recovery workshop" in html and "Where is the launch?" not in html


def test_pages_keep_the_filters(as_alice, world, record):
    for n in range(30):
        record_timeline(client=world.acme, actor=None, kind="note.test", summary=f"Entry {n}")
    html = html_of(as_alice.get(client_url(world), {"channel": "client"}))
    assert "Page 1 of 2" in html
    assert "?channel=client&amp;page=2" in html
    page2 = html_of(as_alice.get(client_url(world), {"channel": "client", "page": 2}))
    assert "Where is the launch?" not in page2 and "Page 2 of 2" in page2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"channel": "fax"}, "Choose one of the kinds listed"),
        ({"direction": "up"}, "Choose one of the directions listed"),
        ({"contact": "abc"}, "Choose one of the contacts listed"),
        ({"contact": "99999999999999999999999"}, "Choose one of the contacts listed"),
        ({"case": "-1"}, "Choose one of the cases listed"),
        ({"contact": "1\x00"}, "Null characters are not allowed"),
        ({"since": "2026-07-06\x00"}, "Enter a valid date"),
        ({"since": "2026-13-45"}, "Enter a valid date"),
        ({"since": "0001-01-01"}, "between the years 1900 and 2999"),
        ({"since": "2026-07-08", "until": "2026-07-01"}, "before its start"),
    ],
)
def test_bad_filters_are_explained_not_crashed_on(as_alice, world, record, params, message):
    html = html_of(as_alice.get(client_url(world), params), 422)
    assert message in html and "A filter above is not valid" in html
    assert "Where is the launch?" not in html


def test_an_outsiders_contact_or_case_is_just_not_a_choice(as_carol, world, record):
    url = reverse("clients:timeline", args=[world.globex.pk])
    html = html_of(as_carol.get(url, {"contact": world.contact.pk}), 422)
    assert "Choose one of the contacts listed" in html and "Dana" not in html
    html = html_of(as_carol.get(url, {"case": world.case.pk}), 422)
    assert "Launch slipped" not in html


def test_outsiders_get_404_for_client_and_case_timelines(as_carol, world, record):
    assert as_carol.get(client_url(world)).status_code == 404
    assert as_carol.get(client_url(world), {"channel": "email"}).status_code == 404
    case_url = reverse("cases:timeline", args=[world.case.pk])
    assert as_carol.get(case_url, {"channel": "call"}).status_code == 404


def test_the_cross_client_timeline_leaks_nothing(as_carol, world, record):
    url = reverse("timeline:all")
    assert as_carol.get(url, {"client": "1\x00"}).status_code == 422
    html = html_of(as_carol.get(url))
    assert "Globex secret training plan" in html
    for word in ("Acme", "Dana", "Where is the launch?", "Launch slipped"):
        assert word not in html
    # Naming Acme is refused as if it did not exist.
    html = html_of(as_carol.get(url, {"client": world.acme.pk}), 422)
    assert "Choose one of the clients listed" in html and "Acme" not in html
    html = html_of(as_carol.get(url, {"contact": world.contact.pk}), 422)
    assert "Dana" not in html


def test_the_cross_client_timeline_for_the_team_and_an_admin(as_alice, world, record, client):
    url = reverse("timeline:all")
    html = html_of(as_alice.get(url))
    assert "Where is the launch?" in html and "Globex" not in html
    # Choosing a client offers its cases and contacts, and its time zone.
    html = html_of(as_alice.get(url, {"client": world.acme.pk, "channel": "meeting"}))
    assert "Launch recovery workshop" in html and "Europe/London" in html
    assert 'name="contact"' in html and "Dana Client</option>" in html
    client.force_login(world.ada)
    html = html_of(client.get(url, {"channel": "email"}))
    assert "Globex secret training plan" in html and "Where is the launch?" in html


def test_the_case_timeline_is_filtered_and_links_its_messages(as_bob, world, record):
    url = reverse("cases:timeline", args=[world.case.pk])
    html = html_of(as_bob.get(url))
    assert "Dana called about the invoice." in html and "Case opened" in html
    assert reverse("comms:detail", args=[record.call.pk]) in html
    assert "Where is the launch?" not in html  # not linked to the case
    html = html_of(as_bob.get(url, {"channel": "case"}))
    assert "Dana called about the invoice." not in html and "Case opened" in html
    html = html_of(as_bob.get(url, {"direction": "in", "contact": world.contact.pk}, **HTMX))
    assert "<html" not in html and "Dana called about the invoice." in html
    assert 'name="case"' not in html  # the case is given


def test_the_client_and_case_pages_link_timeline_entries(as_alice, world, record):
    html = html_of(as_alice.get(reverse("clients:detail", args=[world.acme.pk])))
    assert reverse("comms:detail", args=[record.dana_email.pk]) in html
    html = html_of(as_alice.get(reverse("cases:detail", args=[world.case.pk])))
    assert reverse("comms:detail", args=[record.call.pk]) in html


def test_the_nav_links_to_the_timeline(as_alice, world):
    html = html_of(as_alice.get(reverse("home")))
    assert f'href="{reverse("timeline:all")}"' in html


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("timeline:all"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
