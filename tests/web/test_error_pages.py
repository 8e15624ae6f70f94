"""The error pages: plain words, no stack traces, and 500 needs no context at all."""

import pytest
from django.template.loader import get_template

pytestmark = pytest.mark.django_db


def test_an_unknown_page_uses_the_not_found_page(as_alice):
    r = as_alice.get("/no/such/page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Not found" in html and "not shared with you" in html


def test_a_missing_client_and_a_garbage_id_are_not_found(as_alice):
    assert as_alice.get("/clients/999999/").status_code == 404
    assert as_alice.get("/comms/999999/edit/").status_code == 404
    assert as_alice.get("/clients/contacts/999999/edit/").status_code == 404


def test_the_server_error_page_renders_without_context():
    html = get_template("500.html").render()
    assert "Something went wrong" in html and "app.css" in html


@pytest.mark.parametrize("name", ["400.html", "403.html", "403_csrf.html", "404.html"])
def test_the_other_error_pages_render_without_a_user(rf, name):
    html = get_template(name).render({}, rf.get("/"))
    assert "Amends" in html
