"""Parsing real-world-shaped email: best effort or a specific rejection, never a crash."""

from __future__ import annotations

import base64
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from amends.comms.importing import (
    ParsedMessage,
    Rejected,
    normalise_subject,
    parse_message,
    unescape_mbox,
)
from tests.comms_import import messages as m


def parsed(data: bytes) -> ParsedMessage:
    result = parse_message(data)
    assert isinstance(result, ParsedMessage), result
    return result


def test_outlook_quoted_printable_is_decoded_as_windows_1252():
    p = parsed(m.OUTLOOK_QP)
    assert p.message_id == "AM0PR01MB1234ABCD5678@AM0PR01MB1234.eurprd01.prod.outlook.com"
    assert p.subject == "Launch date – we need answers"
    assert "It didn’t, and nobody told us why." in p.text
    assert "<p>" not in p.text and "alert" not in p.text
    assert p.from_name == "Dana Client" and p.from_address == "dana@acme.example"
    assert p.to == ["alice@firm.example"] and p.cc == ["buying@acme.example"]
    assert p.date is not None and p.date.isoformat() == "2026-07-06T08:14:02+00:00"
    assert p.problems == []


def test_gmail_reply_keeps_its_references():
    p = parsed(m.GMAIL_REPLY)
    assert p.in_reply_to == "AM0PR01MB1234ABCD5678@AM0PR01MB1234.eurprd01.prod.outlook.com"
    assert p.references == [p.in_reply_to]
    assert p.text.startswith("Dana, you are right — we should have told you.")


def test_apple_mail_in_mac_roman():
    p = parsed(m.APPLE_MAC_ROMAN)
    assert p.from_name == "José García"
    assert "The café proofs look fine – but the crème brûlée photo is wrong." in p.text


def test_a_wrong_declared_charset_falls_back_and_says_so():
    p = parsed(m.WRONG_CHARSET)
    assert "£1,200 for the résumé work" in p.text
    assert any("not valid utf-8" in problem for problem in p.problems)


def test_an_unknown_charset_is_noted():
    p = parsed(m.UNKNOWN_CHARSET)
    assert p.text.strip() == "Plain words."
    assert any("unknown charset" in problem for problem in p.problems)


def test_missing_or_invalid_date_is_none_with_a_problem():
    assert parsed(m.NO_DATE).date is None
    assert "No Date header" in parsed(m.NO_DATE).problems[0]
    assert parsed(m.BAD_DATE).date is None
    assert "not a date" in parsed(m.BAD_DATE).problems[0]


def test_a_date_far_in_the_future_is_not_believed():
    p = parsed(m.simple(1, date="Mon, 1 Jan 2120 09:00:00 +0000"))
    assert p.date is None and "implausible" in p.problems[0]


def test_malformed_from_is_kept_without_an_address():
    p = parsed(m.MALFORMED_FROM)
    assert p.from_address == ""
    assert any("From header has no valid address" in problem for problem in p.problems)


def test_huge_line_is_parsed_and_the_text_bounded():
    p = parsed(m.HUGE_LINE)
    assert p.text.startswith("word word")
    assert len(p.text) <= 1_000_000


def test_nested_multipart_lists_attachments_without_reading_attached_mail():
    p = parsed(m.NESTED_WITH_ATTACHMENTS)
    assert p.text.strip() == "See the signed contract attached."
    kinds = {(a.filename, a.content_type) for a in p.attachments}
    assert ("contract.pdf", "application/pdf") in kinds
    assert ("attached-message.eml", "message/rfc822") in kinds
    assert ("", "image/png") in kinds
    pdf = next(a for a in p.attachments if a.filename == "contract.pdf")
    assert pdf.size == 48


def test_nul_bytes_and_raw_8bit_never_reach_text_fields():
    p = parsed(m.NUL_BYTES)
    assert "\x00" not in p.subject and "\x00" not in p.text
    assert p.raw == m.NUL_BYTES


def test_html_only_message_becomes_plain_text():
    p = parsed(
        m.simple(
            2,
            extra=b"Content-Type: text/html; charset=utf-8\n",
            body=b"<html><body><h1>Hi</h1><p>Line&nbsp;one<br>two</p>"
            b"<script>steal()</script><img src=http://tracker.example/x.gif></body></html>",
        )
    )
    assert p.text == "Hi\nLine one\ntwo"


def test_deep_nesting_does_not_crash():
    depth = 5000
    head = b"From: a@b.example\nSubject: deep\nMessage-ID: <deep@b.example>\n"
    body = b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n'.encode() for i in range(depth)
    )
    result = parse_message(head + body + b"Content-Type: text/plain\n\nbottom\n")
    assert isinstance(result, ParsedMessage | Rejected)


def test_rejections_say_why():
    assert parse_message(b"") == Rejected("empty")
    assert parse_message(b"\x89PNG\r\n\x1a\n\x00\x00") == Rejected("not an email: no headers")
    outlook = parse_message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    assert isinstance(outlook, Rejected)
    assert outlook.reason.startswith("not an email: an Outlook message (.msg)")
    assert "no From, To" in parse_message(b"X-Thing: 1\n\nbody").reason  # type: ignore[union-attr]
    big = parse_message(m.simple(3), max_bytes=10)
    assert isinstance(big, Rejected) and big.reason.startswith("larger than")


def test_subjects_are_normalised_for_threading():
    assert normalise_subject("Re: RE: Fwd: AW: SV:  Launch   date") == "launch date"
    assert normalise_subject("Re[2]: Launch date") == "launch date"
    assert normalise_subject("Launch date") == "launch date"


def test_mbox_from_quoting_is_undone():
    assert unescape_mbox(b"a\n>From here\n>>From there\nFrom x\n") == (
        b"a\nFrom here\n>From there\nFrom x\n"
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_parsing_arbitrary_bytes_never_raises(data):
    result = parse_message(data)
    assert isinstance(result, ParsedMessage | Rejected)
    if isinstance(result, ParsedMessage):
        assert result.raw == data
        for text in (result.subject, result.text, result.from_name, *result.problems):
            assert "\x00" not in text
            text.encode("utf-8")  # no lone surrogates


header_names = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "MIME-Version",
    ]
)
header_values = st.one_of(
    st.binary(max_size=200).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.sampled_from(
        [
            b"multipart/mixed; boundary=x",
            b'text/plain; charset="utf-16"',
            b"text/plain; charset=rot13",
            b"base64",
            b"quoted-printable",
            b"=?utf-8?B?////?=",
            b"=?x-unknown?Q?=FF?=",
            b"<a@b> <c@d",
            b"attachment; filename*=utf-8''%FF%FE",
            b"Mon, 99 Foo 2026 99:99:99 +9999",
        ]
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(header_names, header_values), min_size=1, max_size=12),
    st.binary(max_size=2000),
)
def test_parsing_email_shaped_garbage_never_raises(headers, body):
    data = b"".join(name.encode() + b": " + value + b"\n" for name, value in headers)
    data += b"\n" + body
    result = parse_message(data)
    assert isinstance(result, ParsedMessage | Rejected)
    if isinstance(result, ParsedMessage):
        for text in (result.subject, result.text, result.from_name, *result.problems):
            assert "\x00" not in text
            text.encode("utf-8")


# --- The two parsers: fast_mail_parser for well-formed mail, the standard library for the
# rest. Where the fast path accepts a message, it must read it exactly as the careful
# path does; where anything needs a problem noted, it must leave it to the careful path.


def _fields(result: ParsedMessage) -> dict:
    import dataclasses

    out = dataclasses.asdict(result)
    out.pop("raw")
    return out


def _both(data: bytes) -> tuple[bool, ParsedMessage, ParsedMessage | Rejected]:
    import hashlib

    from amends.comms import importing

    digest = hashlib.sha256(data).hexdigest()
    fast = ParsedMessage(raw=data, sha256=digest)
    accepted = importing._parse_fast(data, fast)
    careful = importing._parse_careful(data, ParsedMessage(raw=data, sha256=digest))
    if accepted:  # what `parse_message` does next, whichever parser read the message
        importing._told_apart(fast)
    if isinstance(careful, ParsedMessage):
        importing._told_apart(careful)
    return accepted, fast, careful


def _generated(count: int) -> list[bytes]:
    from bench.mailgen import Mailbox

    box, out = Mailbox(seed=7), []
    while len(out) < count:
        out.extend(box.thread())
    return out[:count]


def test_the_fast_parser_reads_generated_mail_exactly_as_the_careful_one():
    accepted = 0
    for data in _generated(600):
        ok, fast, careful = _both(data)
        if ok:
            accepted += 1
            assert _fields(fast) == _fields(careful)
    assert accepted > 550  # the fast path is the common one


def test_the_fast_parser_reads_real_world_mail_exactly_or_not_at_all():
    for name, data in m.ALL.items():
        ok, fast, careful = _both(data)
        if ok:
            assert _fields(fast) == _fields(careful), name
        else:  # what the import keeps is the careful reading
            assert parse_message(data) == careful, name


def test_the_fast_parser_reads_the_fetched_real_mail_exactly_or_not_at_all():
    """The same on mail nobody wrote for Amends (`make test-data`): mail-parser's,
    talon's, HyperKitty's and Mailman's messages, and flufl.bounce's delivery failures."""
    import pytest

    from amends.comms.importing import open_source, read_item
    from amends.comms.outlook import MSG_MAGIC

    root = Path(__file__).resolve().parents[2] / ".cache" / "test-data" / "mail"
    found = []
    for name in (
        "mail-parser",
        "talon-replies",
        "hyperkitty",
        "mailman-email",
        "mailman-handlers",
        "flufl-bounce",
    ):
        if (root / name).is_dir():
            for item in open_source(root / name).items:
                item = read_item(item, 50 * 1024 * 1024)
                if item.data is not None and not item.data.startswith(MSG_MAGIC):
                    found.append((item.label, item.data))
    if not found:
        pytest.skip("the real-world mail was not fetched: run `make test-data`")
    fast_read = 0
    for label, data in found:
        ok, fast, careful = _both(data)
        if ok:
            fast_read += 1
            assert _fields(fast) == _fields(careful), label
        else:
            assert parse_message(data) == careful, label
    assert len(found) >= 60 and fast_read >= 20


def test_both_parsers_read_the_bcc_of_our_sent_copy():
    ok, fast, careful = _both(m.GMAIL_SENT_BCC)
    assert ok and fast.bcc == careful.bcc == ["dana@acme.example", "jose@acme.example"]


def test_messages_with_problems_take_the_careful_path():
    for data in (m.NO_DATE, m.BAD_DATE, m.MALFORMED_FROM, m.WRONG_CHARSET, m.UNKNOWN_CHARSET):
        ok, _, careful = _both(data)
        assert not ok
        assert isinstance(careful, ParsedMessage) and careful.problems


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_the_fast_parser_never_raises_and_never_disagrees(data):
    try:
        ok, fast, careful = _both(b"From: a@b.example\r\nSubject: x\r\n" + data)
    except Exception as exc:  # pragma: no cover - the failure to report
        raise AssertionError(f"raised {exc!r}") from exc
    if ok:
        assert _fields(fast) == _fields(careful)


# --- Charsets as mail programs mislabel them ---------------------------------------------


def _plain(body: bytes, content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Words\n"
        b"Date: Mon, 6 Jul 2026 09:00:00 +0000\nMessage-ID: <words@acme.example>\n"
        b"MIME-Version: 1.0\nContent-Type: " + content_type + b"\n\n" + body
    )


def test_gb2312_mail_holding_gbk_characters_is_read_as_gbk():
    # Chinese mail says gb2312 and holds characters only its superset has (as browsers
    # and mail programs read it: the WHATWG Encoding Standard's labels).
    text = "朱镕基说"  # 镕 is in GBK, not in GB 2312
    p = parsed(_plain(text.encode("gbk"), b"text/plain; charset=gb2312"))
    assert p.text == text and p.problems == []
    # So is a subject in an encoded word, by either parser (a duplicate header sends the
    # message to the careful one).
    subject = b"=?gb2312?B?" + base64.b64encode(text.encode("gbk")) + b"?="
    for extra in (b"", b"To: bob@firm.example\n"):
        data = _plain(b"x", b"text/plain; charset=gb2312").replace(b"Words", subject)
        assert parsed(extra + data).subject == text


def test_latin_1_mail_with_windows_quotes_gets_its_quotes():  # as Outlook writes it
    p = parsed(
        _plain("“It didn’t work” – Dana".encode("cp1252"), b"text/plain; charset=iso-8859-1")
    )
    assert p.text == "“It didn’t work” – Dana" and p.problems == []
    # A byte Windows-1252 leaves unassigned is read as Latin-1 reads it: nothing is lost.
    assert parsed(_plain(b"a\x81b", b"text/plain; charset=iso-8859-1")).text == "a\x81b"


def test_utf_8_with_a_few_stray_bytes_keeps_its_letters():
    # Declared UTF-8, nearly all of it is: a stray byte no longer garbles every letter.
    body = "Профессионалы.ru — деловая сеть".encode() + b" \x96 " + "России".encode()
    p = parsed(_plain(body))
    assert p.text == "Профессионалы.ru — деловая сеть – России"
    assert any("not valid utf-8" in problem and "UTF-8" in problem for problem in p.problems)


def test_undeclared_windows_text_is_still_read_as_windows_1252():
    p = parsed(_plain("Crème brûlée, £12".encode("cp1252"), b"text/plain"))
    assert p.text == "Crème brûlée, £12"
    assert any("Windows-1252" in problem for problem in p.problems)


def test_html_without_a_mime_charset_is_read_with_its_meta_charset():
    html = '<html><head><meta charset="koi8-r"></head><body><p>Привет</p></body></html>'
    p = parsed(_plain(html.encode("koi8-r"), b"text/html"))
    assert p.text == "Привет" and p.problems == []
    http_equiv = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>Спасибо</p>'
    )
    assert parsed(_plain(http_equiv.encode("cp1251"), b"text/html")).text == "Спасибо"


def test_a_blank_text_part_beside_html_takes_the_html_words():
    data = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Transfer\n"
        b"Date: Mon, 6 Jul 2026 09:00:00 +0000\nMessage-ID: <blank@acme.example>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain; charset=UTF-8\n\n\n\n"
        b"--b\nContent-Type: text/html; charset=UTF-8\n\n<p>The transfer is done.</p>\n--b--\n"
    )
    assert parsed(data).text == "The transfer is done."


# --- Broken structure ----------------------------------------------------------------------

# A mass mailer's bug: one boundary in the header, another between the parts.
WRONG_BOUNDARY = (
    b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Offer\n"
    b"Date: Mon, 6 Jul 2026 09:00:00 +0000\nMessage-ID: <offer@acme.example>\n"
    b'MIME-Version: 1.0\nContent-Type: multipart/alternative;\n\tboundary="--=_Declared"\n\n'
    b"----=_Used\nContent-Type: text/html; charset=utf-8\n\n<p>Save on your bill</p>\n"
    b"----=_Used--\n"
)


def test_parts_under_another_boundary_than_declared_are_found():
    from amends.comms.rendering import render_email
    from tests.comms_messages.test_rendering import fake

    p = parsed(WRONG_BOUNDARY)
    assert p.text == "Save on your bill"
    assert any("not the one its header declares" in problem for problem in p.problems)
    assert p.raw == WRONG_BOUNDARY  # kept as it came
    # The message page reads the same parts.
    shown = render_email(fake(WRONG_BOUNDARY))
    assert shown.html is not None and "Save on your bill" in shown.html.new


def test_a_multipart_whose_parts_cannot_be_found_says_so():
    lost = WRONG_BOUNDARY.replace(b"----=_Used", b"no delimiter here")
    p = parsed(lost)
    assert any("could not be found" in problem for problem in p.problems)
    # An empty multipart inside a message whose other parts are there is no problem.
    empty_inside = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: x\n"
        b"Date: Mon, 6 Jul 2026 09:00:00 +0000\nMessage-ID: <e@acme.example>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
        b'--b\nContent-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nHello\n--b--\n"
    )
    p = parsed(empty_inside)
    assert p.text == "Hello" and p.problems == []


def test_an_attribution_in_any_language_is_folded_with_its_quote():
    from amends.comms.rendering import split_text

    # Android's Russian attribution, wrapped over two lines.
    text = (
        'Hello\n02.04.2012 14:20 пользователь "bob@example.com" <\n'
        "bob@example.com> написал:\n\n> Hi\n>"
    )
    split = split_text(text)
    assert split.new == "Hello"
    assert split.quoted.startswith("02.04.2012 14:20")
    # A line of the answer with a time in it is not taken for one.
    split = split_text("See you at 14:20\nbob@example.com wrote:\n> Hi")
    assert split.new == "See you at 14:20"


def test_without_a_readable_date_the_resent_or_received_time_is_used():
    head = b"From: dana@acme.example\nTo: alice@firm.example\nSubject: Old\n"
    resent = parsed(head + b"Resent-Date: Mon, 8 Nov 1999 20:53:05 -0600\n\nText\n")
    assert resent.date is not None and resent.date.isoformat() == "1999-11-08T20:53:05-06:00"
    assert any("No Date header; the date it was resent" in p for p in resent.problems)
    # Hops write their Received header above the others: the earliest is the last.
    received = parsed(
        b"Received: from b.example by c.example; Tue, 9 Nov 1999 10:00:00 +0000\n"
        b"Received: from a.example\n\tby b.example; Tue, 9 Nov 1999 09:59:00 +0000\n"
        + head
        + b"Date: Tue, 30 Nov 1999 23:56:33 -3000 (CST)\n\nText\n"
    )
    assert received.date is not None and received.date.isoformat() == "1999-11-09T09:59:00+00:00"
    assert any(
        "not a date" in p and "the time it was first received is used" in p
        for p in received.problems
    )
    # Nothing to go by: the import time, as before, and said so.
    bare = parsed(head + b"\nText\n")
    assert bare.date is None
    assert any(p == "No Date header; the import time is used." for p in bare.problems)


def test_an_address_given_as_its_own_name_is_read_by_its_angle_brackets():
    # mail-parser's mail_test_15: `purchasing@… <do-not-reply@…>` (an unquoted name that
    # is an address): both parsers take the address in angle brackets.
    value = "purchasing@aquilla.example <do-not-reply@ncs.example>, Bob <bob@b.example>"
    data = (
        f"From: {value.split(',')[0]}\nTo: alice@firm.example\nSubject: RFQ\n"
        "Date: Tue, 13 Feb 2018 10:00:00 +0000\nMessage-ID: <rfq@ncs.example>\n\nQuote\n"
    ).encode()
    ok, fast, careful = _both(data)
    assert isinstance(careful, ParsedMessage)
    assert careful.from_address == "do-not-reply@ncs.example"
    assert careful.from_name == "purchasing@aquilla.example"
    assert not ok or _fields(fast) == _fields(careful)
    from amends.comms.importing import _addresses

    assert [a for _, a in _addresses(value, [], "To")] == [
        "do-not-reply@ncs.example",
        "bob@b.example",
    ]


def test_header_names_in_any_case_and_uuencoded_parts_read_alike():
    body = "Crème brûlée".encode("latin-1")
    data = (
        b"From: dana@acme.example\nTo: alice@firm.example\nSubject: x\n"
        b"Date: Mon, 6 Jul 2026 09:00:00 +0000\nMessage-ID: <case@acme.example>\n"
        b"Content-type: text/plain; charset=iso-8859-1\n\n" + body + b"\n"
    )
    ok, fast, careful = _both(data)
    assert ok and fast.text.strip() == "Crème brûlée" and _fields(fast) == _fields(careful)
    uu = data.replace(b"Content-type: text/plain; charset=iso-8859-1\n", b"") + (
        b"--x\n"  # not a multipart: only the encoding's name matters for the fast path
    )
    uu = uu.replace(b"\n\n", b"\nContent-Transfer-Encoding: x-uuencode\n\n", 1)
    assert _both(uu)[0] is False  # the careful path decodes uuencoded parts
