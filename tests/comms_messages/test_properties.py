"""Property tests: reading never raises on hostile bytes, and whatever the HTML, what
reaches the page carries no script, no handler, no remote resource."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.comms.importing import ParsedMessage, parse_message
from amends.comms.rendering import (
    attachment_file,
    quote_occurs,
    render_email,
    sanitise_html,
    split_text,
)
from tests.comms_messages import messages as m

SAMPLES = [
    m.OUTLOOK_HTML,
    m.GMAIL_HTML,
    m.APPLE_CITE,
    m.PLAIN_QUOTED,
    m.NESTED_WITH_ATTACHMENTS,
    m.HOSTILE_HTML,
    m.WRONG_CHARSET_HTML,
]
PREFIX = "/comms/email/7/attachment/"

fragments = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<style>",
        "<img src=",
        "http://evil.example/x",
        "javascript:",
        "onerror=",
        "<a href=",
        '"',
        "'",
        ">",
        "<",
        "<!--",
        "-->",
        "<svg>",
        "<math>",
        "<blockquote type=cite>",
        '<div class="gmail_quote">',
        "<div id=divRplyFwdMsg>",
        "From: x\nSent: y",
        "-----Original Message-----",
        "> ",
        "\n",
        "-- \n",
        "cid:logo",
        "&lt;",
        "&#106;",
        "<base href=//evil.example>",
        "<form>",
        "<iframe>",
        "<p>",
        "</p>",
        "<table>",
        "<td>",
        "x",
        " ",
    ]
)
html_soup = st.lists(st.one_of(fragments, st.text(max_size=20)), max_size=60).map("".join)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)


ALLOWED_ATTRS = {"href", "title", "src", "alt", "width", "height", "colspan", "rowspan"}
ALLOWED_ATTRS |= {"start", "target", "rel", "class"}
FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "base"}
FORBIDDEN_TAGS |= {"meta", "link", "input", "button", "template", "noscript", "frame"}


def assert_safe(out: str) -> None:
    parser = _Elements()
    parser.feed(out)
    parser.close()
    assert not parser.tags & FORBIDDEN_TAGS, out
    for tag, name, value in parser.attrs:
        assert name in ALLOWED_ATTRS, (tag, name, out)
        if name == "href":
            assert value.lower().startswith(("http://", "https://", "mailto:", "tel:")), out
        if name == "src":
            assert tag == "img" and value.startswith(PREFIX) and "//" not in value, out
        if name == "class":
            assert value in ("", "remote-image"), out


@settings(max_examples=300, deadline=None)
@given(html=html_soup)
def test_sanitised_html_is_always_safe(html):
    assert_safe(sanitise_html(html, image_prefix=PREFIX))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=2000))
def test_splitting_text_never_raises_and_loses_nothing(text):
    split = split_text(text)
    for part in (split.new, split.quoted, split.signature):
        assert isinstance(part, str)
    kept = "".join(split.new.split()) + "".join(split.signature.split())
    kept += "".join(split.quoted.split())
    assert sorted(kept) == sorted("".join(text.replace("\r", "\n").split()))


def _fake(data: bytes) -> SimpleNamespace:
    parsed = parse_message(data)
    text, attachments = "", []
    if isinstance(parsed, ParsedMessage):
        text, attachments = parsed.text, [vars(a) for a in parsed.attachments]
    return SimpleNamespace(
        pk=7, raw=SimpleNamespace(data=data), text_body=text, attachments=attachments
    )


mutated = st.builds(
    lambda sample, at, junk: sample[:at] + junk + sample[at:],
    st.sampled_from(SAMPLES),
    st.integers(0, 6000),
    st.binary(max_size=80),
)
headers_and_body = st.builds(
    lambda ctype, body: (
        b"From: dana@acme.example\nSubject: x\nContent-Type: " + ctype + b"\n\n" + body
    ),
    st.sampled_from(
        [
            b"text/html",
            b"text/html; charset=utf-16",
            b"text/html; charset=x-nonsense",
            b'multipart/alternative; boundary="b"',
            b'multipart/mixed; boundary=""',
            b"message/rfc822",
        ]
    ),
    st.binary(max_size=400),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.one_of(st.binary(max_size=500), mutated, headers_and_body))
def test_rendering_hostile_bytes_never_raises(data):
    rendered = render_email(_fake(data))
    if rendered.html is not None:
        assert_safe(rendered.html.new + rendered.html.quoted + rendered.html.signature)
    for index in range(-1, len(rendered.attachments) + 1):
        file = attachment_file(data, index)
        if file is not None:
            assert isinstance(file.data, bytes)
            assert file.filename and "/" not in file.filename and '"' not in file.filename


@settings(max_examples=200, deadline=None)
@given(quote=st.text(max_size=200), text=st.text(max_size=500))
def test_quote_check_never_raises(quote, text):
    assert quote_occurs(quote, text) in (True, False)
    if quote.strip():
        assert quote_occurs(quote, text + " " + quote)
