"""The pages of an imported email: reading it, its thread, its attachments and original,
linking it to a case and quoting it as a concern. Outsiders get 404 everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amends.cases.actions import open_case
from amends.cases.models import Concern
from amends.clients.models import TimelineEntry
from amends.comms.models import Communication
from tests.comms_messages import messages as m

pytestmark = pytest.mark.django_db


def detail(message) -> str:
    return reverse("comms:detail", args=[message.communication_id])


def test_the_page_shows_headers_new_part_first_and_folds_the_rest(as_alice, store):
    message = store(m.GMAIL_HTML)
    html = as_alice.get(detail(message)).content.decode()
    assert "dana@acme.example" in html and "alice@firm.example" in html
    # The date in the client's zone (Europe/London: 09:00 +01:00 is 09:00 BST).
    assert "Wednesday 8 July 2026, 09:00 (Europe/London)" in html
    new_at = html.index("Thanks for the call. The new date works for us.")
    signature_at = html.index("<summary>Signature</summary>")
    quoted_at = html.index("<summary>Quoted history</summary>")
    assert new_at < signature_at < quoted_at
    assert html.index("Can we agree on the 20th?") > quoted_at
    assert 'class="message-fold message-quoted"' in html
    assert reverse("comms:raw", args=[message.pk]) in html


def test_cc_attachments_and_problems_are_listed(as_alice, store):
    message = store(m.OUTLOOK_HTML)
    html = as_alice.get(detail(message)).content.decode()
    assert "buying@acme.example" in html  # Cc
    nested = store(m.NESTED_WITH_ATTACHMENTS)
    html = as_alice.get(detail(nested)).content.decode()
    assert "contract.pdf" in html
    assert reverse("comms:attachment", args=[nested.pk, 2]) in html
    # The cid image is served from our own attachment URL.
    assert f'<img src="/comms/email/{nested.pk}/attachment/0/"' in html
    broken = store(m.WRONG_CHARSET_HTML)
    html = as_alice.get(detail(broken)).content.decode()
    assert "Noted when reading this message" in html
    assert "Decoded as Windows-1252" in html


def test_hostile_html_reaches_the_page_defanged(as_alice, store):
    message = store(m.HOSTILE_HTML)
    response = as_alice.get(detail(message))
    html = response.content.decode()
    body = html[html.index('<div class="message-new">') :]
    for needle in ("<script", "evil.example", "onerror", "javascript:", "<iframe", "<form"):
        assert needle not in body.split("</article>")[0], needle
    assert "[image not loaded: tracking pixel]" in html
    assert "remote images not loaded" in html
    assert "Content-Security-Policy" in response.headers


def test_plain_text_is_escaped(as_alice, store):
    data = m.PLAIN_QUOTED.replace(b"Please explain", b"<script>alert(1)</script> Please explain")
    html = as_alice.get(detail(store(data))).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Please explain" in html
    assert "<script>alert(1)" not in html


def test_the_thread_page_lists_messages_oldest_first(as_alice, store):
    first = store(m.OUTLOOK_HTML)
    second = store(m.GMAIL_HTML)  # in reply to the first
    second.refresh_from_db()
    assert second.thread_root_id == first.pk
    page = as_alice.get(detail(second)).content.decode()
    assert reverse("comms:thread", args=[second.pk]) in page
    assert "Read the whole thread (2 messages)" in page
    html = as_alice.get(reverse("comms:thread", args=[second.pk])).content.decode()
    assert html.index("this is not acceptable") < html.index("The new date works for us")
    assert f'id="message-{first.pk}"' in html and "this message" in html


def test_attachment_download_is_a_download_only(as_alice, store):
    message = store(m.NESTED_WITH_ATTACHMENTS)
    response = as_alice.get(reverse("comms:attachment", args=[message.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    name = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert "/" not in name and "\\" not in name and ";" not in name
    assert response.content == b"<script>alert('attached')</script>"
    pdf = as_alice.get(reverse("comms:attachment", args=[message.pk, 2]))
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == 'attachment; filename="contract.pdf"'
    assert as_alice.get(reverse("comms:attachment", args=[message.pk, 4])).status_code == 404


def test_the_original_downloads_byte_for_byte(as_alice, store):
    message = store(m.OUTLOOK_HTML)
    response = as_alice.get(reverse("comms:raw", args=[message.pk]))
    assert response.status_code == 200
    assert response.content == m.OUTLOOK_HTML
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="RE_ Launch date.eml"'


def test_outsiders_get_404_everywhere(client, world, store):
    message = store(m.NESTED_WITH_ATTACHMENTS)
    client.force_login(world.carol)
    before = TimelineEntry.objects.filter(client=world.acme).count()
    gets = [
        detail(message),
        reverse("comms:thread", args=[message.pk]),
        reverse("comms:attachment", args=[message.pk, 0]),
        reverse("comms:raw", args=[message.pk]),
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Contract" not in response.content
    posts = [
        (reverse("comms:link", args=[message.pk]), {"link-case": world.case.pk}),
        (
            reverse("comms:concern", args=[message.pk]),
            {"quote-case": world.case.pk, "quote-quote": "See the signed contract"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert TimelineEntry.objects.filter(client=world.acme).count() == before
    assert not Concern.objects.filter(text__icontains="signed contract").exists()


def test_anonymous_is_sent_to_log_in(client, world, store):
    message = store(m.PLAIN_QUOTED)
    for url in (
        reverse("comms:thread", args=[message.pk]),
        reverse("comms:attachment", args=[message.pk, 0]),
        reverse("comms:raw", args=[message.pk]),
    ):
        assert client.get(url).status_code == 302


def test_an_unmatched_email_is_readable_by_admins_only(client, world):
    from tests.comms_messages.conftest import store_bytes

    stranger = m.PLAIN_QUOTED.replace(b"dana@acme.example", b"zed@nowhere.example")
    message = store_bytes(stranger)
    assert message.client_id is None
    client.force_login(world.ada)
    html = client.get(reverse("comms:thread", args=[message.pk])).content.decode()
    assert "Nobody told us the invoice would double." in html
    client.force_login(world.alice)
    assert client.get(reverse("comms:thread", args=[message.pk])).status_code == 404


# --- Linking and quoting ---------------------------------------------------------------


def test_link_the_whole_thread_to_a_case(as_alice, world, store):
    first = store(m.OUTLOOK_HTML)
    second = store(m.GMAIL_HTML)
    response = as_alice.post(
        reverse("comms:link", args=[second.pk]),
        {"link-case": world.case.pk, "link-whole_thread": "on"},
    )
    assert response.status_code == 303
    assert response["Location"] == detail(second)
    linked = Communication.objects.filter(pk__in=[first.communication_id, second.communication_id])
    assert {c.case_id for c in linked} == {world.case.pk}
    page = as_alice.get(detail(second)).content.decode()
    assert "2 messages linked to" in page


def test_link_one_message_with_htmx(as_alice, world, store):
    first = store(m.OUTLOOK_HTML)
    second = store(m.GMAIL_HTML)
    response = as_alice.post(
        reverse("comms:link", args=[second.pk]),
        {"link-case": world.case.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == detail(second)
    assert Communication.objects.get(pk=second.communication_id).case_id == world.case.pk
    assert Communication.objects.get(pk=first.communication_id).case_id is None


def test_link_refuses_another_clients_case(as_alice, world, store):
    message = store(m.OUTLOOK_HTML)
    response = as_alice.post(
        reverse("comms:link", args=[message.pk]),
        {"link-case": world.other_case.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert 'id="message-actions"' in response.content.decode()
    assert Communication.objects.get(pk=message.communication_id).case_id is None


def test_a_concern_from_a_quoted_sentence(as_alice, world, store):
    message = store(m.PLAIN_QUOTED)
    response = as_alice.post(
        reverse("comms:concern", args=[message.pk]),
        {
            "quote-case": world.case.pk,
            "quote-quote": "  nobody told us the invoice\n would double. ",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204, response.content.decode()[:2000]
    concern = Concern.objects.get(text="nobody told us the invoice would double.")
    assert concern.case == world.case
    assert concern.communication_id == message.communication_id
    assert concern.source.startswith("Email from dana@acme.example, 10 Jul 2026 12:00")
    assert TimelineEntry.objects.filter(kind="concern.added", case=world.case).exists()
    page = as_alice.get(detail(message)).content.decode()
    assert "Concerns quoted from it" in page
    assert "“nobody told us the invoice would double.”" in page


def test_a_quote_not_in_the_message_is_refused(as_alice, world, store):
    message = store(m.PLAIN_QUOTED)
    before = Concern.objects.count()
    response = as_alice.post(
        reverse("comms:concern", args=[message.pk]),
        {"quote-case": world.case.pk, "quote-quote": "We demand a full refund."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "That text is not in this message" in response.content.decode()
    assert Concern.objects.count() == before
    plain = as_alice.post(
        reverse("comms:concern", args=[message.pk]),
        {"quote-case": world.case.pk, "quote-quote": "x" * 6000},
    )
    assert plain.status_code == 422
    assert "Ensure this value has at most 5000 characters" in plain.content.decode()
    assert Concern.objects.count() == before


def test_the_forms_offer_only_the_clients_cases(as_alice, world, store):
    open_case(world.alice, world.acme, title="Second Acme case")
    html = as_alice.get(detail(store(m.PLAIN_QUOTED))).content.decode()
    assert "Second Acme case" in html and world.case.title in html
    assert world.other_case.title not in html


def test_an_edited_summary_is_shown_above_the_message(as_alice, store):
    from amends.comms.actions import update_communication

    message = store(m.PLAIN_QUOTED)
    page = as_alice.get(detail(message)).content.decode()
    assert "Summary (edited in Amends)" not in page
    comm = Communication.objects.get(pk=message.communication_id)
    update_communication(None, comm, version=None, summary="Dana wants the invoice explained.")  # type: ignore[arg-type]
    page = as_alice.get(detail(message)).content.decode()
    assert "Summary (edited in Amends)" in page
    assert "Dana wants the invoice explained." in page
    assert "Nobody told us the invoice would double." in page
