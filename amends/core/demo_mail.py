"""Demo mail and calendar: a few real-shaped emails and a recurring check-in meeting for
Harbour & Vine, imported through the same code paths as a user's own exports, so the
demo shows threads, folded quotes, attachments, tone and meetings on the timeline."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from amends.accounts.models import User
from amends.clients.models import Client
from amends.comms.actions import Matcher, store_parsed_message
from amends.comms.importing import ParsedMessage, parse_message

TOM = ("Tom Hargreaves", "tom@northlight.example")
RACHEL = ("Rachel Bennett", "rachel@harbourandvine.example")
OWEN = ("Owen Price", "owen@harbourandvine.example")


def _address(person: tuple[str, str]) -> str:
    return f"{person[0]} <{person[1]}>"


def _message(
    *,
    sender: tuple[str, str],
    to: tuple[str, str],
    subject: str,
    at: datetime,
    msgid: str,
    text: str,
    html: str | None = None,
    reply_to: list[str] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    bcc: tuple[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = _address(sender)
    msg["To"] = _address(to)
    if bcc is not None:  # our own sent copy keeps its Bcc line
        msg["Bcc"] = _address(bcc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<{msgid}>"
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to[-1]}>"
        msg["References"] = " ".join(f"<{r}>" for r in reply_to)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        name, mime, data = attachment
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _messages(day: Callable[[int, int, int], datetime]) -> list[bytes]:
    first_at = day(3, 9, 12)
    reply_at = day(3, 11, 40)
    owen_at = day(2, 10, 5)
    quoted_date = first_at.strftime("%a %d %b %Y at %H:%M")
    return [
        _message(
            sender=RACHEL,
            to=TOM,
            subject="Checkout still failing on mobile",
            at=first_at,
            msgid="hv-checkout-1@harbourandvine.example",
            text=(
                "Tom,\n\nThree customers rang the Clifton shop yesterday because the "
                "checkout froze on their phones. This is the second week running and "
                "it is costing us orders in our busiest month.\n\nI need to know what "
                "is being done and when it will be fixed.\n\nRachel\n\n"
                "-----Original Message-----\nFrom: Tom Hargreaves\nSent: last week\n"
                "Subject: Launch plan for the new site\n\nHi Rachel, attached is the plan."
            ),
            html=(
                '<div class="WordSection1"><p class="MsoNormal">Tom,</p>'
                '<p class="MsoNormal">Three customers rang the Clifton shop yesterday '
                "because the checkout <b>froze on their phones</b>. This is the second "
                "week running and it is costing us orders in our busiest month.</p>"
                '<p class="MsoNormal">I need to know what is being done and when it will '
                'be fixed.</p><p class="MsoNormal">Rachel</p>'
                '<img src="https://tracker.example/pixel.gif" alt="">'
                '<div style="border-top:solid #E1E1E1 1.0pt"><p class="MsoNormal">'
                "<b>From:</b> Tom Hargreaves<br><b>Sent:</b> last week<br>"
                "<b>Subject:</b> Launch plan for the new site</p></div>"
                '<p class="MsoNormal">Hi Rachel, attached is the plan.</p></div>'
            ),
        ),
        _message(
            sender=TOM,
            to=RACHEL,
            subject="Re: Checkout still failing on mobile",
            at=reply_at,
            msgid="hv-checkout-2@northlight.example",
            reply_to=["hv-checkout-1@harbourandvine.example"],
            bcc=("Maya Okafor", "maya@northlight.example"),
            text=(
                "Rachel,\n\nThank you for telling us straight away, and I'm sorry: the "
                "mobile checkout is our mistake. A payment script we added on the 3rd "
                "breaks on older iPhones. Priya is rolling it back this afternoon and I "
                "will ring you at 4pm to confirm it works.\n\nTom\n\n"
                f"On {quoted_date}, Rachel Bennett wrote:\n"
                "> Three customers rang the Clifton shop yesterday because the checkout\n"
                "> froze on their phones.\n"
            ),
        ),
        _message(
            sender=OWEN,
            to=TOM,
            subject="Re: Checkout still failing on mobile",
            at=owen_at,
            msgid="hv-checkout-3@harbourandvine.example",
            reply_to=[
                "hv-checkout-1@harbourandvine.example",
                "hv-checkout-2@northlight.example",
            ],
            text=(
                "Tom,\n\nThe rollback helped, thanks, but we still lost orders over the "
                "weekend. Attached are the failed orders from the payment log so you can "
                "check them against yours. Frankly we are tired of finding these problems "
                "before you do.\n\nOwen\n\n-- \nOwen Price | E-commerce manager\n"
                "Harbour & Vine\n"
            ),
            attachment=(
                "failed-orders.csv",
                "text/csv",
                b"order,placed,amount\nHV-10231,Sat 11:02,86.40\nHV-10244,Sun 15:37,129.00\n",
            ),
        ),
        *_follow_ups(day),
        *_returned(day),
    ]


def _returned(day: Callable[[int, int, int], datetime]) -> list[bytes]:
    """Tom's draft of the written summary, sent to a mistyped address, and the report
    Harbour & Vine's mail server sent back: "Emails that were not delivered"."""
    wrong = ("Owen Price", "owen.price@harbourandvine.example")
    sent_at, msgid = day(1, 12, 10), "hv-summary-draft@northlight.example"
    draft = _message(
        sender=TOM,
        to=wrong,
        subject="Draft: what happened to the mobile checkout",
        at=sent_at,
        msgid=msgid,
        text="Owen,\n\nHere is the draft of Thursday's written summary, for your "
        "corrections before I send it to Rachel.\n\nTom\n",
    )
    # As Postfix writes one: a delivery status report, with the returned mail's headers.
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.harbourandvine.example>\n"
        f"To: {_address(TOM)}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(sent_at + timedelta(minutes=1))}\n"
        "Message-ID: <hv-bounce-1@mx.harbourandvine.example>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="HV-R"\n\n'
        "--HV-R\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.harbourandvine.example.\n\n"
        "I'm sorry to have to inform you that your message could not be delivered to one "
        "or more recipients.\n\n"
        f"<{wrong[1]}>: host mx.harbourandvine.example said: 550 5.1.1 User unknown\n\n"
        "--HV-R\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.harbourandvine.example\n\n"
        f"Final-Recipient: rfc822; {wrong[1]}\nAction: failed\nStatus: 5.1.1\n\n"
        "--HV-R\nContent-Type: text/rfc822-headers\n\n"
        f"From: {_address(TOM)}\nTo: {_address(wrong)}\nMessage-ID: <{msgid}>\n"
        "Subject: Draft: what happened to the mobile checkout\n\n"
        "--HV-R--\n"
    )
    return [draft, report.encode()]


def _follow_ups(day: Callable[[int, int, int], datetime]) -> list[bytes]:
    """The rest of the checkout thread: long enough that the thread page folds its
    earlier messages, and ending with a question from the client still to answer."""
    ids = [
        "hv-checkout-1@harbourandvine.example",
        "hv-checkout-2@northlight.example",
        "hv-checkout-3@harbourandvine.example",
    ]
    steps = [
        (
            TOM,
            OWEN,
            day(2, 12, 30),
            "hv-checkout-4@northlight.example",
            "Owen,\n\nYou are right, and I am sorry you found these before we did. Both "
            "orders in your log hit the same payment script, on the two hours it was "
            "still live on the second server. Priya has removed it there too and is "
            "adding a check that alerts her within five minutes of a failed payment. I "
            "will send you a written summary by Thursday.\n\nTom\n",
        ),
        (
            OWEN,
            TOM,
            day(1, 9, 15),
            "hv-checkout-5@harbourandvine.example",
            "Tom,\n\nThursday works. Please put in the summary how you will catch this "
            "kind of problem before we do next time.\n\nOwen\n",
        ),
        (
            TOM,
            OWEN,
            day(1, 11, 50),
            "hv-checkout-6@northlight.example",
            "Owen,\n\nWill do. The payment check went live this morning: Priya tested "
            "it with a declined card and the alert reached her in two minutes.\n\nTom\n",
        ),
        (
            RACHEL,
            TOM,
            day(1, 16, 20),
            "hv-checkout-7@harbourandvine.example",
            "Tom,\n\nOwen tells me the check is in, thank you. Before Thursday: will the "
            "customers whose orders failed over the weekend be refunded, or do we need "
            "to contact them ourselves?\n\nRachel\n",
        ),
    ]
    messages = []
    previous = (
        OWEN,
        day(2, 10, 5),
        "Tom,\n\nThe rollback helped, thanks, but we still lost orders.",
    )
    for sender, to, at, msgid, text in steps:
        who, when, said = previous
        quoted = "".join(f"> {line}\n" for line in said.strip().splitlines()[:3])
        earlier = f"On {when.strftime('%a %d %b %Y at %H:%M')}, {who[0]} wrote:\n{quoted}"
        previous = (sender, at, text)
        messages.append(
            _message(
                sender=sender,
                to=to,
                subject="Re: Checkout still failing on mobile",
                at=at,
                msgid=msgid,
                reply_to=list(ids),
                text=text + "\n" + earlier,
            )
        )
        ids.append(msgid)
    return messages


def _calendar(day: Callable[[int, int, int], datetime]) -> str:
    """A weekly check-in as Google Calendar exports it, started about three weeks ago
    (the occurrences still to come are listed as coming up, not recorded yet)."""
    start = day(12, 14, 0).astimezone(UTC)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def utc(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Tom Hargreaves",
            "X-WR-TIMEZONE:Europe/London",
            "BEGIN:VEVENT",
            f"DTSTART:{utc(start)}",
            f"DTEND:{utc(start + timedelta(minutes=30))}",
            "RRULE:FREQ=WEEKLY;COUNT=8",
            f"DTSTAMP:{stamp}",
            "UID:hv-weekly-checkin@google.com",
            "ORGANIZER;CN=Tom Hargreaves:mailto:tom@northlight.example",
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;"
            "CN=Rachel Bennett:mailto:rachel@harbourandvine.example",
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;"
            "CN=Owen Price:mailto:owen@harbourandvine.example",
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;"
            "CN=Tom Hargreaves:mailto:tom@northlight.example",
            "SUMMARY:Harbour & Vine weekly check-in",
            "DESCRIPTION:Affirmations\\, where things stand\\, next steps\\, "
            "when we next check in\\, milestones.",
            "LOCATION:Google Meet",
            "STATUS:CONFIRMED",
            f"CREATED:{stamp}",
            f"LAST-MODIFIED:{stamp}",
            "SEQUENCE:0",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def load_demo_mail(
    actor: User, client: Client, day: Callable[[int, int, int], datetime]
) -> tuple[int, int]:
    """Import the demo emails and meetings for `client`; returns (emails, meetings)."""
    from amends.comms.meeting_actions import import_calendar_path

    matcher = Matcher(client)
    emails = 0
    for raw in _messages(day):
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMessage), parsed
        if store_parsed_message(actor, parsed, matcher=matcher, source="demo mailbox"):
            emails += 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tom-calendar.ics"
        path.write_text(_calendar(day), encoding="utf-8")
        summary = import_calendar_path(actor, path, client=client)
    _recaps(actor, client)
    return emails, summary.imported


def _waiting(day: Callable[[int, int, int], datetime]) -> list[bytes]:
    """Mail with no client yet: Quayside Books, whom the firm has not set up (two people
    and one reply of ours), a freelancer writing from Gmail, and Harbour & Vine's shop
    manager answering the checkout thread from her own Gmail (no contact, so triage
    shows it answers the client's mail, with the client chosen already)."""
    joe = ("Joe Marsh", "joe@quaysidebooks.example")
    ana = ("Ana Ruiz", "ana@quaysidebooks.example")
    lee = ("Lee Fox", "lee.fox.design@gmail.com")
    return [
        _message(
            sender=joe,
            to=TOM,
            subject="Quote for the shop rebuild",
            at=day(6, 10, 20),
            msgid="qb-quote-1@quaysidebooks.example",
            text="Hi Tom,\n\nCould you send the quote we discussed for the shop rebuild?\n\nJoe",
        ),
        _message(
            sender=TOM,
            to=joe,
            subject="Re: Quote for the shop rebuild",
            at=day(6, 15, 5),
            msgid="qb-quote-2@northlight.example",
            reply_to=["qb-quote-1@quaysidebooks.example"],
            text="Joe,\n\nYou will have it by Friday.\n\nTom",
        ),
        _message(
            sender=ana,
            to=TOM,
            subject="Still waiting for the quote",
            at=day(2, 9, 45),
            msgid="qb-chase-1@quaysidebooks.example",
            text=(
                "Tom,\n\nFriday came and went and we still have no quote. Our board meets"
                " next week and I need a number before then.\n\nAna"
            ),
        ),
        _message(
            sender=lee,
            to=TOM,
            subject="Portfolio, as promised",
            at=day(3, 16, 30),
            msgid="lee-portfolio@mail.gmail.example",
            text="Hi Tom, here is the portfolio link we talked about. Lee",
        ),
        _message(
            sender=("Jess Alder", "jess.alder.home@gmail.com"),
            to=TOM,
            subject="Re: Checkout still failing on mobile",
            at=day(2, 19, 40),
            msgid="hv-checkout-jess@mail.gmail.example",
            reply_to=[
                "hv-checkout-1@harbourandvine.example",
                "hv-checkout-2@northlight.example",
            ],
            text=(
                "Tom,\n\nWriting from home: I run the Clifton shop. The till's card"
                " reader froze twice tonight as well, on the same payment page. Rachel"
                " asked me to send you the times: 17:10 and 18:25.\n\nJess"
            ),
        ),
    ]


def load_demo_triage(day: Callable[[int, int, int], datetime]) -> int:
    """Import mail no client matches, so the triage page has something to show (its
    domains panel offers quaysidebooks.example). Call after every demo client exists."""
    matcher = Matcher()
    stored = 0
    for raw in _waiting(day):
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMessage), parsed
        if store_parsed_message(None, parsed, matcher=matcher, source="demo mailbox"):
            stored += 1
    return stored


def _recaps(actor: User, client: Client) -> None:
    """A written recap after each weekly check-in but the latest (R22): that one is left
    for the demo user to write, so the page shows what a missing recap looks like."""
    from amends.comms.actions import record_communication
    from amends.comms.models import Communication

    meetings = list(
        Communication.objects.filter(
            client=client, external_id__startswith="hv-weekly-checkin"
        ).order_by("occurred_at")
    )
    for meeting in meetings[:-1]:
        record_communication(
            actor,
            client,
            channel=Communication.Channel.EMAIL,
            direction=Communication.Direction.OUT,
            occurred_at=meeting.occurred_at + timedelta(hours=2),
            contact=meeting.contact,
            person=actor,
            subject="Recap: weekly check-in",
            summary=(
                "Rachel, Owen, thanks for your time today. What we agreed: the stock "
                "import is checked against the shop list before Friday; the fortnightly "
                "budget note goes out on Monday; next check-in same time next week. Tom"
            ),
            recap_of=meeting,
        )
