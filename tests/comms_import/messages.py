"""Real-world-shaped email, as bytes: the shapes Outlook, Gmail and Apple Mail write,
and the broken ones found in real mailboxes."""

from __future__ import annotations

OUTLOOK_QP = (
    b"Received: from EXCH01.acme.example (10.0.0.5) by EXCH02.acme.example\r\n"
    b" (10.0.0.6) with Microsoft SMTP Server id 15.1.2507.6; Mon, 6 Jul 2026 09:14:03 +0100\r\n"
    b"From: Dana Client <dana@acme.example>\r\n"
    b"To: Alice Owner <alice@firm.example>\r\n"
    b'CC: "Procurement" <buying@acme.example>\r\n'
    b"Subject: Launch date =?iso-8859-1?Q?=96_we_need_answers?=\r\n"
    b"Thread-Topic: Launch date\r\n"
    b"Thread-Index: AdZTmN3Bn5n2Kq1wQ0eYk3fV0Q2b5g==\r\n"
    b"Date: Mon, 6 Jul 2026 08:14:02 +0000\r\n"
    b"Message-ID: <AM0PR01MB1234ABCD5678@AM0PR01MB1234.eurprd01.prod.outlook.com>\r\n"
    b"Accept-Language: en-GB, en-US\r\n"
    b"Content-Language: en-GB\r\n"
    b"X-MS-Has-Attach: \r\n"
    b"Content-Type: multipart/alternative;\r\n"
    b'\tboundary="_000_AM0PR01MB1234ABCD_"\r\n'
    b"MIME-Version: 1.0\r\n"
    b"\r\n"
    b"--_000_AM0PR01MB1234ABCD_\r\n"
    b'Content-Type: text/plain; charset="iso-8859-1"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hi Alice,\r\n"
    b"\r\n"
    b"We were told the site would launch on the 1st. It didn=92t, and nobody told us w=\r\n"
    b"hy. Please call me today =96 our board meets on Thursday.\r\n"
    b"\r\n"
    b"Dana\r\n"
    b"\r\n"
    b"--_000_AM0PR01MB1234ABCD_\r\n"
    b'Content-Type: text/html; charset="iso-8859-1"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"<html><head><style>p{color:red}</style></head><body><p>Hi Alice,</p><p>We w=\r\n"
    b"ere told the site would launch on the 1st.</p><script>alert(1)</script></body></html>\r\n"
    b"\r\n"
    b"--_000_AM0PR01MB1234ABCD_--\r\n"
)

GMAIL_REPLY = (
    b"MIME-Version: 1.0\n"
    b"Date: Mon, 6 Jul 2026 10:02:11 +0100\n"
    b"References: <AM0PR01MB1234ABCD5678@AM0PR01MB1234.eurprd01.prod.outlook.com>\n"
    b"In-Reply-To: <AM0PR01MB1234ABCD5678@AM0PR01MB1234.eurprd01.prod.outlook.com>\n"
    b"Message-ID: <CAF=3Dq8x+Yh7kE2mZ@mail.gmail.com>\n"
    b"Subject: Re: Launch date - we need answers\n"
    b"From: Alice Owner <alice@firm.example>\n"
    b"To: Dana Client <dana@acme.example>\n"
    b'Content-Type: multipart/alternative; boundary="000000000000a1b2c3"\n'
    b"\n"
    b"--000000000000a1b2c3\n"
    b'Content-Type: text/plain; charset="UTF-8"\n'
    b"Content-Transfer-Encoding: quoted-printable\n"
    b"\n"
    b"Dana, you are right =E2=80=94 we should have told you. I will call at 2pm.\n"
    b"\n"
    b"On Mon, 6 Jul 2026 at 09:14, Dana Client <dana@acme.example> wrote:\n"
    b"> We were told the site would launch on the 1st.\n"
    b"\n"
    b"--000000000000a1b2c3\n"
    b'Content-Type: text/html; charset="UTF-8"\n'
    b"\n"
    b'<div dir=3D"ltr">Dana, you are right</div>\n'
    b"\n"
    b"--000000000000a1b2c3--\n"
)

APPLE_MAC_ROMAN = (
    b"From: =?utf-8?Q?Jos=C3=A9_Garc=C3=ADa?= <jose@acme.example>\n"
    b"Content-Type: text/plain;\n"
    b"\tcharset=macintosh\n"
    b"Content-Transfer-Encoding: 8bit\n"
    b"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.500.231\\))\n"
    b"Subject: Caf\x8e menu proofs\n"
    b"Message-Id: <8F1B2C3D-4E5F-6789-ABCD-EF0123456789@acme.example>\n"
    b"Date: Tue, 7 Jul 2026 16:40:22 +0200\n"
    b"To: Alice Owner <alice@firm.example>\n"
    b"X-Mailer: Apple Mail (2.3731.500.231)\n"
    b"\n"
    b"The caf\x8e proofs look fine \xd0 but the cr\x8fme br\x9el\x8ee photo is wrong.\n"
)

WRONG_CHARSET = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: Invoice question\n"
    b"Date: Wed, 8 Jul 2026 11:00:00 +0000\n"
    b"Message-ID: <wrong-charset-1@acme.example>\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"Content-Transfer-Encoding: 8bit\n"
    b"\n"
    b"The invoice says \xa31,200 for the r\xe9sum\xe9 work. Why?\n"
)

UNKNOWN_CHARSET = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: Odd charset\n"
    b"Date: Wed, 8 Jul 2026 11:05:00 +0000\n"
    b"Message-ID: <unknown-charset-1@acme.example>\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\n"
    b"\n"
    b"Plain words.\n"
)

NO_DATE = (
    b"From: Dana Client <dana@acme.example>\n"
    b"To: alice@firm.example\n"
    b"Subject: No date on this one\n"
    b"Message-ID: <no-date-1@acme.example>\n"
    b"\n"
    b"Sent from a broken phone.\n"
)

BAD_DATE = (
    b"From: Dana Client <dana@acme.example>\n"
    b"To: alice@firm.example\n"
    b"Subject: Bad date\n"
    b"Date: the day after tomorrow, probably\n"
    b"Message-ID: <bad-date-1@acme.example>\n"
    b"\n"
    b"Hello.\n"
)

MALFORMED_FROM = (
    b'From: Dana Client <dana(at)acme>, "unclosed\n'
    b"To: alice@firm.example\n"
    b"Subject: Malformed from\n"
    b"Date: Thu, 9 Jul 2026 09:00:00 +0000\n"
    b"Message-ID: <malformed-from-1@acme.example>\n"
    b"\n"
    b"Who am I?\n"
)

HUGE_LINE = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: Huge line\n"
    b"Date: Thu, 9 Jul 2026 10:00:00 +0000\n"
    b"Message-ID: <huge-line-1@acme.example>\n"
    b"X-Long: " + b"x" * 200_000 + b"\n"
    b"\n" + b"word " * 400_000 + b"\n"
)

NESTED_WITH_ATTACHMENTS = (
    b"From: Dana Client <dana@acme.example>\n"
    b"To: alice@firm.example\n"
    b"Subject: Contract and forwarded thread\n"
    b"Date: Fri, 10 Jul 2026 12:00:00 +0000\n"
    b"Message-ID: <nested-1@acme.example>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: multipart/mixed; boundary="outer"\n'
    b"\n"
    b"--outer\n"
    b'Content-Type: multipart/related; boundary="related"\n'
    b"\n"
    b"--related\n"
    b'Content-Type: multipart/alternative; boundary="alt"\n'
    b"\n"
    b"--alt\n"
    b"Content-Type: text/plain; charset=us-ascii\n"
    b"\n"
    b"See the signed contract attached.\n"
    b"--alt\n"
    b"Content-Type: text/html; charset=us-ascii\n"
    b"\n"
    b'<p>See the signed contract attached.</p><img src="cid:logo">\n'
    b"--alt--\n"
    b"--related\n"
    b"Content-Type: image/png\n"
    b"Content-ID: <logo>\n"
    b"Content-Transfer-Encoding: base64\n"
    b"\n"
    b"iVBORw0KGgo=\n"
    b"--related--\n"
    b"--outer\n"
    b'Content-Type: application/pdf; name="contract.pdf"\n'
    b'Content-Disposition: attachment; filename="contract.pdf"\n'
    b"Content-Transfer-Encoding: base64\n"
    b"\n"
    b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\n"
    b"--outer\n"
    b"Content-Type: message/rfc822\n"
    b"\n"
    b"From: someone@else.example\n"
    b"Subject: Inner message\n"
    b"\n"
    b"This inner text is not the body.\n"
    b"--outer--\n"
)

DUPLICATE_ID_A = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: Same id, first copy\n"
    b"Date: Sat, 11 Jul 2026 09:00:00 +0000\n"
    b"Message-ID: <dup@acme.example>\n"
    b"\n"
    b"First.\n"
)
DUPLICATE_ID_B = DUPLICATE_ID_A.replace(b"First.", b"Second, with a different body.")

NO_MESSAGE_ID = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: No message id\n"
    b"Date: Sat, 11 Jul 2026 10:00:00 +0000\n"
    b"\n"
    b"Written by a script.\n"
)

NUL_BYTES = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: NUL\x00 inside\n"
    b"Date: Sat, 11 Jul 2026 11:00:00 +0000\n"
    b"Message-ID: <nul-1@acme.example>\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"\n"
    b"Text with a \x00 NUL and a raw \xff byte.\n"
)

NUL_IN_HEADERS = (
    b"From: dana@acme.example\n"
    b'To: alice@firm.example, "Bad\x00Name" <b\x00d@acme.example>\n'
    b"Subject: NUL in headers\n"
    b"Date: Sat, 11 Jul 2026 12:00:00 +0000\n"
    b"Message-ID: <nul-2@acme.example>\n"
    b'Content-Type: multipart/mixed; boundary="b"\n'
    b"\n"
    b"--b\n"
    b"Content-Type: text/plain\n"
    b"\n"
    b"Body.\n"
    b"--b\n"
    b'Content-Type: application/x\x00y; name="a\x00b.pdf"\n'
    b"\n"
    b"data\n"
    b"--b--\n"
)

# Our own copy in Gmail's Sent folder (as Takeout exports it): the Bcc header is kept.
GMAIL_SENT_BCC = (
    b"MIME-Version: 1.0\n"
    b"Date: Tue, 7 Jul 2026 16:40:02 +0100\n"
    b"Message-ID: <CAF=3Dr9y+Zi8lF3nA@mail.gmail.com>\n"
    b"Subject: Launch: where things stand\n"
    b"From: Alice Owner <alice@firm.example>\n"
    b"To: Alice Owner <alice@firm.example>\n"
    b"Bcc: Dana Client <dana@acme.example>, =?UTF-8?Q?Jos=C3=A9_Ruiz?= <jose@acme.example>\n"
    b'Content-Type: text/plain; charset="UTF-8"\n'
    b"\n"
    b"Everyone: the launch moves to the 14th; details on Thursday's call.\n"
)

ALL = {
    "outlook.eml": OUTLOOK_QP,
    "gmail-reply.eml": GMAIL_REPLY,
    "gmail-sent-bcc.eml": GMAIL_SENT_BCC,
    "apple.eml": APPLE_MAC_ROMAN,
    "wrong-charset.eml": WRONG_CHARSET,
    "unknown-charset.eml": UNKNOWN_CHARSET,
    "no-date.eml": NO_DATE,
    "bad-date.eml": BAD_DATE,
    "malformed-from.eml": MALFORMED_FROM,
    "huge-line.eml": HUGE_LINE,
    "nested.eml": NESTED_WITH_ATTACHMENTS,
    "dup-a.eml": DUPLICATE_ID_A,
    "dup-b.eml": DUPLICATE_ID_B,
    "no-message-id.eml": NO_MESSAGE_ID,
    "nul.eml": NUL_BYTES,
    "nul-headers.eml": NUL_IN_HEADERS,
}


def simple(
    n: int,
    *,
    sender: str = "dana@acme.example",
    to: str = "alice@firm.example",
    subject: str | None = None,
    date: str = "Mon, 13 Jul 2026 09:00:00 +0000",
    extra: bytes = b"",
    body: bytes = b"Hello.\n",
    message_id: str | None = None,
) -> bytes:
    mid = message_id if message_id is not None else f"<m{n}@acme.example>"
    head = (
        f"From: {sender}\nTo: {to}\nSubject: {subject or f'Message {n}'}\nDate: {date}\n"
        + (f"Message-ID: {mid}\n" if mid else "")
    ).encode()
    return head + extra + b"\n" + body
