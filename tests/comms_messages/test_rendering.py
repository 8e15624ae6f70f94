"""Reading a message, without the database: sanitising HTML, splitting the new part from
the quoted history and the signature, attachments, on real-world-shaped email."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest

from amends.comms.importing import ParsedMessage, parse_message, text_from_html
from amends.comms.rendering import (
    MAX_HTML_CHARS,
    attachment_file,
    quote_occurs,
    render_email,
    safe_filename,
    sanitise_html,
    split_html,
    split_text,
)
from tests.comms_messages import messages as m


def fake(data: bytes, pk: int = 7) -> Any:
    """An EmailMessage-shaped object for `data`, as the importer would have stored it."""
    parsed = parse_message(data)
    assert isinstance(parsed, ParsedMessage)
    return SimpleNamespace(
        pk=pk,
        raw=SimpleNamespace(data=data),
        text_body=parsed.text,
        attachments=[vars(a) for a in parsed.attachments],
        problems=parsed.problems,
    )


def attribute_names(html: str) -> set[str]:
    """Every attribute name on every element, as a browser would parse them."""
    names: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names.update(name for name, _ in attrs)

    Collect().feed(html)
    return names


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- Outlook, Gmail, Apple Mail, plain text ----------------------------------------------


def test_outlook_html_keeps_the_new_part_and_folds_the_original_message():
    r = render_email(fake(m.OUTLOOK_HTML))
    assert r.html is not None
    assert "this is not acceptable" in visible(r.html.new)
    assert "I will call at 2pm" not in r.html.new
    assert "I will call at 2pm" in r.html.quoted
    assert "Sent:" in visible(r.html.quoted)
    # Outlook's styles, conditional comments and <o:p> are gone.
    assert "MsoNormal" not in r.html.new + r.html.quoted
    assert "<style" not in r.html.new and "mso" not in r.html.new
    assert "<o:p" not in r.html.new
    # The plain text is split the same way, at "-----Original Message-----".
    assert r.text.new.endswith("Dana")
    assert r.text.quoted.startswith("-----Original Message-----")


def test_gmail_html_folds_gmail_quote_and_signature():
    r = render_email(fake(m.GMAIL_HTML))
    assert r.html is not None
    assert visible(r.html.new).startswith("Thanks for the call. The new date works for us.")
    assert "Marketing director" not in r.html.new
    assert "Marketing director" in r.html.signature
    assert "Can we agree on the 20th?" in r.html.quoted
    assert "wrote:" in r.html.quoted and "wrote:" not in r.html.new
    assert r.text.new == "Thanks for the call. The new date works for us."
    assert r.text.signature.startswith("-- \nDana Client")
    assert r.text.quoted.startswith("On Tue, 7 Jul 2026 at 12:00")


THUNDERBIRD_BELOW = (
    '<html><body><div class="moz-cite-prefix">On 09/07/2026 10:00, Alice Owner wrote:<br>'
    '</div><blockquote type="cite" cite="mid:a1@firm.example"><p>Is the 20th fine?</p>'
    '<blockquote type="cite"><p>Older words.</p></blockquote></blockquote>'
    "<p>No, the 20th is too late for us.</p><p>Can we say the 14th?</p>"
    '<pre class="moz-signature" cols="72">-- \nDana</pre></body></html>'
)


def test_thunderbird_html_written_below_its_quote_shows_the_answer_first():
    split = split_html(THUNDERBIRD_BELOW)
    assert visible(split.new) == "No, the 20th is too late for us. Can we say the 14th?"
    assert "Is the 20th fine?" in split.quoted and "Older words." in split.quoted
    assert "wrote:" in visible(split.quoted)
    assert "Dana" in visible(split.signature) and "Dana" not in visible(split.new)
    # Answers between two quotes stay whole, so no answer is hidden.
    between = (
        '<blockquote type="cite">Is the 20th fine?</blockquote><p>Yes.</p>'
        '<blockquote type="cite">And the budget?</blockquote><p>No.</p>'
    )
    assert "Yes." in visible(split_html(between).new)
    assert "And the budget?" in visible(split_html(between).new)


def test_the_text_of_an_html_only_message_marks_its_quoted_lines():
    # A message sent as HTML alone is read through its text: the quoted blocks the page
    # folds are marked "> " (a level each), as a mail program writes its plain text.
    text = text_from_html(THUNDERBIRD_BELOW)
    assert text.split("\n") == [
        "On 09/07/2026 10:00, Alice Owner wrote:",
        "> Is the 20th fine?",
        "> > Older words.",
        "No, the 20th is too late for us.",
        "Can we say the 14th?",
        "--",
        "Dana",
    ]
    # So its answer is what the text's readers take as new.
    split = split_text(text)
    assert split.new == "No, the 20th is too late for us.\nCan we say the 14th?"
    assert "> Is the 20th fine?" in split.quoted and split.signature == "--\nDana"
    # Gmail's quote is marked too; a blockquote that only indents is not.
    gmail = (
        '<div dir="ltr">Fine.</div><div class="gmail_quote"><div class="gmail_attr">On Mon,'
        ' 6 Jul 2026 at 09:14, Alice wrote:<br></div><blockquote class="gmail_quote" style'
        '="margin:0">Is it?<br>Truly?</blockquote></div>'
    )
    assert text_from_html(gmail).split("\n") == [
        "Fine.",
        "On Mon, 6 Jul 2026 at 09:14, Alice wrote:",
        "> Is it?",
        "> Truly?",
    ]
    assert text_from_html("<p>Terms:</p><blockquote>Net 30.</blockquote>Agreed") == (
        "Terms:\nNet 30.\nAgreed"
    )
    # Unbalanced tags never leave the marks on what follows, nor fail.
    assert text_from_html('</blockquote><blockquote type="cite">a</div></blockquote>b') == (
        "> a\nb"
    )


@pytest.mark.parametrize(
    "html",
    [
        # Outlook.com (Hotmail): a rule with its own id, then the header block.
        '<div>Hi. I am fine.<div>Alex<br><div><hr id="stopSpelling">Date: Thu, 26 Jun 2014'
        " 13:53:45 +0400<br>Subject: Test<br>From: abc@example.com<br><br>"
        "<div>Hello! How are you?</div></div></div></div>",
        # Windows Mail in Russian: the header block in its language.
        "<div>Hi. I am fine.</div><div>Alex</div><div><b>От:</b>&nbsp;<a href='mailto:a@b.ru'>"
        "Alexander</a><br><b>Отправлено:</b>&nbsp;четверг, 26 июня 2014 г. 15:05<br><b>Кому:"
        "</b>&nbsp;Alex</div><div>Hello! How are you?</div>",
        # mail.ru and Yandex: an attribution line, then a plain blockquote to the end.
        "<p>Hi. I am fine.</p><p>Alex</p><br>Thu, 26 Jun 2014 14:00:51 +0400 от Alexander L"
        ' &lt;abc@example.com&gt;:<br><blockquote style="margin:10px">Hello! How are you?'
        "</blockquote><br>",
        '<p>Hi. I am fine.<br />Alex<br /><br />26.06.2014, 14:41, "Alexander L" &lt;<a href='
        '"mailto:abc@example.com">abc@example.com</a>&gt;:</p><blockquote> Hello! How are'
        " you?</blockquote>",
    ],
)
def test_quotes_of_outlook_com_windows_mail_mail_ru_and_yandex_are_folded(html):
    split = split_html(html)
    assert visible(split.new).startswith("Hi. I am fine.")
    assert "Hello! How are you?" not in visible(split.new)
    assert "Hello! How are you?" in visible(split.quoted)


def test_a_plain_blockquote_is_folded_only_after_an_attribution_and_at_the_end():
    # Quoted terms in the middle of a message, or at its end with no attribution: shown.
    middle = (
        "<p>As agreed on 6.7.2026 at 10:00:</p><blockquote>Net 30 days.</blockquote>"
        "<p>Please confirm.</p>"
    )
    assert "Net 30 days." in visible(split_html(middle).new)
    end = "<p>Our terms are:</p><blockquote>Net 30 days.</blockquote>"
    assert "Net 30 days." in visible(split_html(end).new)


def test_the_text_of_html_has_the_lines_a_browser_shows():
    # A line break in the source is a space (Outlook 2003 writes "From:" and the name on
    # two source lines); <pre> keeps its lines.
    assert text_from_html("<p><b>From:</b>\nAlexander L</p><p>Sent: Friday</p>") == (
        "From: Alexander L\nSent: Friday"
    )
    assert text_from_html("<pre>one\ntwo</pre>after") == "one\ntwo\nafter"
    # Outlook.com's header block starts with Date and Subject, above From.
    text = text_from_html(
        "<div>Fine.</div><hr>Date: Thu, 26 Jun 2014<br>Subject: Test<br>From: a@b.example"
        "<br>To: c@d.example<br><br><div>Hello?</div>"
    )
    assert split_text(text).new == "Fine."
    # mail.ru and Yandex: an attribution, then a plain blockquote to the end, is a quote.
    text = text_from_html(
        "<p>Fine.</p>26.06.2014, 14:41, &quot;Alexander&quot; &lt;a@b.example&gt;:"
        "<blockquote>Hello?<br>Sasha</blockquote>"
    )
    assert text.split("\n")[-2:] == ["> Hello?", "> Sasha"]
    assert split_text(text).new == "Fine."
    # Without the attribution, or with words after it, a blockquote stays unmarked.
    assert text_from_html("<p>Terms:</p><blockquote>Net 30</blockquote>") == "Terms:\nNet 30"
    kept = "<p>On 1.2.2026 at 10:00:</p><blockquote>Net 30</blockquote><p>Agreed.</p>"
    assert "> " not in text_from_html(kept)


def test_apple_mail_blockquote_type_cite_is_quoted():
    r = render_email(fake(m.APPLE_CITE))
    assert r.html is not None
    assert "The proofs are fine except page 3." in r.html.new
    assert "Here are the proofs." in r.html.quoted
    assert "Here are the proofs." not in r.html.new
    assert 'type="cite"' not in r.html.quoted  # markers do not reach the page
    assert r.text.new == "The proofs are fine except page 3."
    assert "> Here are the proofs." in r.text.quoted


def test_plain_text_with_attribution_and_quote_lines():
    r = render_email(fake(m.PLAIN_QUOTED))
    assert r.html is None
    assert r.text.new == "Nobody told us the invoice would double.\nPlease explain before Friday."
    assert r.text.quoted.startswith("On Thu, 9 Jul 2026, Alice Owner wrote:")
    assert "> Here is the invoice." in r.text.quoted


def test_interleaved_replies_are_never_hidden():
    r = render_email(fake(m.PLAIN_INTERLEAVED))
    assert "The budget is not fine." in r.text.new
    assert "Yes, the 20th is fine." in r.text.new
    assert r.text.quoted == ""


def test_a_reply_written_below_its_quote_shows_the_new_part_first():
    """Bottom-posting, as mailing lists and many plain-text mailers do: the quoted block
    (and its attribution) is folded, the answer below it shown first."""
    text = (
        "On Thu, 9 Jul 2026, Alice Owner wrote:\n> Is the 20th fine?\n>\n> Alice\n\n"
        "No, the 20th is too late for us.\nCan we say the 14th?\n\n-- \nDana"
    )
    split = split_text(text)
    assert split.new == "No, the 20th is too late for us.\nCan we say the 14th?"
    assert split.quoted == "On Thu, 9 Jul 2026, Alice Owner wrote:\n> Is the 20th fine?\n>\n> Alice"
    assert split.signature == "-- \nDana"
    two_lines = split_text(
        "On Thu, 9 Jul 2026 at 10:02, Alice Owner\n<a@b.example> wrote:\n> x\nYes."
    )
    assert (two_lines.new, two_lines.quoted) == (
        "Yes.",
        "On Thu, 9 Jul 2026 at 10:02, Alice Owner\n<a@b.example> wrote:\n> x",
    )
    assert (split_text("> old\n\nNew.").new, split_text("> old\n\nNew.").quoted) == (
        "New.",
        "> old",
    )
    # Anything else before the quote, or another quote after the answer: shown whole.
    assert split_text("Hi,\n> old\nNew.").quoted == ""
    assert split_text("> a?\nYes.\n> b?\nNo.").new == "> a?\nYes.\n> b?\nNo."


@pytest.mark.parametrize(
    ("text", "new", "quoted"),
    [
        ("Yes.\n\n-----Original Message-----\nFrom: a\nSent: b\n\nOld", "Yes.", "-----Original"),
        ("Yes.\n\nFrom: Alice <a@b.example>\nSent: Monday\nTo: Dana\n\nOld", "Yes.", "From: Alice"),
        (
            "Yes.\n________________________________\nFrom: Alice\nSent: Monday\n\nOld",
            "Yes.",
            "_____",
        ),
        ("Ja.\n\nAm 6. Juli 2026 um 10:02 schrieb Alice <a@b.example>:\n> Alt", "Ja.", "Am 6."),
        (
            "Yes.\n\nOn Mon, 6 Jul 2026 at 10:02, Alice Owner\n<a@b.example> wrote:\n> x",
            "Yes.",
            "On",
        ),
        ("Yes.\n\n> old\n> older", "Yes.", "> old"),
    ],
)
def test_quoted_history_shapes(text, new, quoted):
    split = split_text(text)
    assert split.new == new
    assert split.quoted.startswith(quoted)


def test_signature_heuristics_stay_conservative():
    assert split_text("Hi\n-- \nDana\nAcme").signature == "-- \nDana\nAcme"
    assert split_text("See you.\n\nSent from my iPhone").signature == "Sent from my iPhone"
    letter = "Please call.\n\nKind regards,\nDana Client\nMarketing director\nAcme Ltd\n+44 20 1234"
    split = split_text(letter)
    assert split.new.endswith("Kind regards,\nDana Client")
    assert split.signature.startswith("Marketing director")
    # A short sign-off with a name only: nothing folded.
    assert split_text("Please call.\n\nThanks,\nDana").signature == ""
    # A message that is only a quote: shown whole, never hidden.
    only_quote = split_text("> just a quote\n> nothing else")
    assert only_quote.new.startswith("> just a quote") and only_quote.quoted == ""


def test_wrong_and_missing_charsets_are_readable():
    r = render_email(fake(m.WRONG_CHARSET_HTML))
    assert r.html is not None and "£1,200 for the résumé work" in r.html.new
    assert render_email(fake(m.MISSING_CHARSET)).text.new == "Café au lait."


# --- Attachments and inline images ----------------------------------------------------


def test_nested_multiparts_list_attachments_and_serve_cid_images_from_our_url():
    msg = fake(m.NESTED_WITH_ATTACHMENTS)
    r = render_email(msg)
    assert [a.content_type for a in r.attachments] == [
        "image/png",
        "text/html",
        "application/pdf",
        "message/rfc822",
    ]
    assert r.html is not None
    assert '<img src="/comms/email/7/attachment/0/" alt="Acme logo">' in r.html.new
    assert r.text.new == "See the signed contract attached."


def test_attachment_bytes_by_index_match_the_import_listing():
    raw = m.NESTED_WITH_ATTACHMENTS
    png = attachment_file(raw, 0)
    assert png is not None and png.data.startswith(b"\x89PNG")
    pdf = attachment_file(raw, 2)
    assert pdf is not None and pdf.filename == "contract.pdf" and pdf.data.startswith(b"%PDF")
    inner = attachment_file(raw, 3)
    assert inner is not None and b"This inner text is not the body." in inner.data
    assert inner.filename == "attached-message.eml"
    for index in (-1, 4, 10_000):
        assert attachment_file(raw, index) is None
    assert attachment_file(b"\x00\xff not an email", 0) is None


def test_filenames_are_made_safe():
    hostile = attachment_file(m.NESTED_WITH_ATTACHMENTS, 1)
    assert hostile is not None
    assert "/" not in hostile.filename and '"' not in hostile.filename
    assert ";" not in hostile.filename and ".." not in hostile.filename.split("_")[0][:2]
    assert safe_filename("", 4) == "attachment-5"
    assert safe_filename("..", 0) == "attachment-1"
    assert safe_filename("a\r\nb\x00.pdf", 0) == "a__b.pdf"
    assert safe_filename("C:\\Users\\x\\report.pdf", 0) == "report.pdf"
    assert len(safe_filename("x" * 5000, 0)) <= 150


# --- Injection -----------------------------------------------------------------------

FORBIDDEN = [
    "<script",
    "<style",
    "<iframe",
    "<object",
    "<embed",
    "<svg",
    "<math",
    "<form",
    "<input",
    "<button",
    "<base",
    "<meta",
    "<link",
    "<video",
    "<audio",
    "<source",
    "<template",
    "<noscript",
    "javascript:",
    "data:",
    "evil.example",
    "onload",
    "onerror",
    "onclick",
    "onmouseover",
    "style=",
    "url(",
    "srcset",
    "background",
    "poster",
    'id="',
    "name=",
    "formaction",
    "__pwned",
    "PWNED",
]


def test_hostile_html_is_defanged():
    r = render_email(fake(m.HOSTILE_HTML))
    assert r.html is not None
    out = r.html.new + r.html.signature + r.html.quoted
    lowered = out.lower()
    for needle in FORBIDDEN:
        assert needle.lower() not in lowered, needle
    # Every link is absolute http(s)/mailto and opens safely; relative links lose href.
    for tag in re.findall(r"<a\b[^>]*>", out):
        assert 'rel="noopener noreferrer nofollow"' in tag and 'target="_blank"' in tag
        href = re.search(r'href="([^"]*)"', tag)
        assert href is None or href.group(1).startswith(("https://", "http://", "mailto:"))
    assert 'href="https://example.org/safe"' in out
    assert "/accounts/logout/" not in out
    # No <img> survives: each remote image is a visible placeholder.
    assert "<img" not in out
    assert "[image not loaded: tracking pixel]" in out
    assert any("remote image" in p for p in r.problems)
    assert "Please see the invoice questions below." in out


@pytest.mark.parametrize(
    "payload",
    [
        '<img src=x onerror=alert(1)//">',
        "<<script>script>alert(1)<</script>/script>",
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        "<scr<script>ipt>alert(1)</script>",
        '<div style="width:expression(alert(1))">x</div>',
        '<img src="//evil.example/x.png">',
        '<img src="/comms/email/7/attachment/0/../../../accounts/logout/">',
        '<img src="cid:missing">',
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        "<!--><script>alert(1)</script>-->",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "<a href='https://ok.example/\" onmouseover=\"alert(1)'>x</a>",
        '<p title="a&quot; onclick=&quot;alert(1)">x</p>',
        "<xmp><script>alert(1)</script></xmp>",
        '<body background="http://evil.example/b.png">x',
    ],
)
def test_known_xss_payloads(payload):
    out = sanitise_html(payload, image_prefix="/comms/email/7/attachment/")
    lowered = out.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "evil.example" not in lowered
    assert not [a for a in attribute_names(out) if a.startswith("on")], out
    assert "style=" not in lowered and "expression(" not in lowered
    assert "/accounts/logout" not in lowered
    assert "<img" not in lowered  # none of these names an inline image we hold


def test_cid_image_without_a_matching_part_is_a_placeholder():
    split = split_html('<img src="cid:nowhere" alt="chart">', cid_urls={}, image_prefix="/x/")
    assert split.new == '<span class="remote-image">[image not loaded: chart]</span>'


# --- Bounded work --------------------------------------------------------------------


def test_huge_html_falls_back_to_text():
    body = b"<p>" + b"word " * (MAX_HTML_CHARS // 4) + b"</p>"
    data = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Huge\n"
        b"Date: Fri, 10 Jul 2026 12:00:00 +0000\nContent-Type: text/html\n\n" + body
    )
    r = render_email(fake(data))
    assert r.html is None
    assert any("very long" in p for p in r.problems)
    assert r.text.new.startswith("word word")


def test_huge_text_lines_are_split_without_trouble():
    text = "x" * 2_000_000 + "\n> quoted"
    split = split_text(text)
    assert split.new.startswith("xxx") and split.quoted == "> quoted"


def test_absurdly_nested_html_is_not_parsed_as_html():
    deep = "<div>" * 50_000 + "deep" + "</div>" * 50_000
    assert sanitise_html(deep) == "<pre>deep</pre>"
    unclosed = "<b>" * 20_000 + "<script>alert(1)</script>x"
    assert "<script" not in sanitise_html(unclosed)
    data = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Deep\n"
        b"Content-Type: text/html\n\n" + deep.encode()
    )
    r = render_email(fake(data))
    assert r.html is None and any("nested too deeply" in p for p in r.problems)
    assert sanitise_html("<div>" * 1500 + "fine" + "</div>" * 1500).count("<div>") == 1500


def test_render_never_raises_on_broken_storage():
    broken = SimpleNamespace(pk=1, raw=None, text_body=None, attachments=[None, 3, {"size": "x"}])
    rendered = render_email(broken)
    assert rendered.text.new == "" and [a.size for a in rendered.attachments] == [0, 0, 0]
    ok = SimpleNamespace(pk=1, raw=None, text_body="Hi", attachments=[{"filename": "a"}])
    assert render_email(ok).text.new == "Hi"


# --- Quotes --------------------------------------------------------------------------


def test_quote_occurs_ignores_spacing_case_and_curly_quotes():
    text = "We were told the site\nwould launch on the 1st. It didn’t."
    assert quote_occurs("we were told the site would launch", text)
    assert quote_occurs("It didn't.", text)
    assert quote_occurs("Here is the invoice.", "> Here is the\n> invoice.")
    assert not quote_occurs("We were promised a refund", text)
    assert not quote_occurs("   ", text)


def test_attachment_downloads_keep_their_encoded_names_decoded():
    """RFC 2047 and RFC 2231 filenames come out readable (the rendering parser keeps
    headers as written and decodes only what it shows)."""
    from amends.comms.rendering import attachment_file

    raw = (
        b"From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n"
        b"Date: Fri, 10 Jul 2026 11:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?q?Rechnung_M=C3=A4rz.pdf?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''Devis%20d%C3%A9cembre.pdf\r\n"
        b"\r\nxx\r\n--b--\r\n"
    )
    first, second = attachment_file(raw, 0), attachment_file(raw, 1)
    assert first is not None and first.filename == "Rechnung März.pdf"
    assert first.data == b"%PDF"
    assert second is not None and second.filename == "Devis décembre.pdf"
