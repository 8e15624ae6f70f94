"""A client record with everything a timeline shows: imported emails (a thread of two and
one from the client's domain), a meeting with attendees, a call on the case, an internal
note, and Globex's own email that Acme's team must never see.

All at fixed moments in July 2026, when London (Acme's zone) is at UTC+1, so a moment
just before midnight UTC is already the next day for the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from amends.comms.actions import import_path, record_communication
from amends.comms.models import Communication, EmailMessage

# Dana writes to Alice; Alice replies (threaded by In-Reply-To); procurement writes from
# the client's domain without being a contact.
DANA_WRITES = (
    b"From: Dana Client <dana@acme.example>\r\nTo: Alice Owner <alice@firm.example>\r\n"
    b"Subject: Where is the launch?\r\nMessage-ID: <launch-1@acme.example>\r\n"
    b"Date: Sun, 05 Jul 2026 23:30:00 +0000\r\n\r\nWe expected the site live this week.\r\n"
)
ALICE_REPLIES = (
    b"From: Alice Owner <alice@firm.example>\r\nTo: Dana Client <dana@acme.example>\r\n"
    b"Subject: Re: Where is the launch?\r\nMessage-ID: <launch-2@firm.example>\r\n"
    b"In-Reply-To: <launch-1@acme.example>\r\nReferences: <launch-1@acme.example>\r\n"
    b"Date: Mon, 06 Jul 2026 09:00:00 +0000\r\n\r\nYou are right, I will call you at 11.\r\n"
)
PROCUREMENT_WRITES = (
    b"From: Procurement <buying@acme.example>\r\nTo: alice@firm.example\r\n"
    b"Subject: Invoice 2231\r\nMessage-ID: <invoice-2231@acme.example>\r\n"
    b"Date: Mon, 06 Jul 2026 23:30:00 +0000\r\n\r\nThis invoice surprised us.\r\n"
)
GLOBEX_WRITES = (
    b"From: Gus Globex <gus@globex.example>\r\nTo: carol@firm.example\r\n"
    b"Subject: Globex secret training plan\r\nMessage-ID: <secret@globex.example>\r\n"
    b"Date: Mon, 06 Jul 2026 10:00:00 +0000\r\n\r\nConfidential.\r\n"
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC)


@dataclass
class Record:
    dana_email: Communication
    reply: Communication
    invoice: Communication
    meeting: Communication
    call: Communication
    note: Communication
    globex_email: Communication
    emails: dict[str, EmailMessage]


def write_eml(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


@pytest.fixture
def record(world: Any, tmp_path: Path, settings: Any) -> Record:
    settings.AMENDS_OUR_DOMAINS = ["firm.example"]
    acme_mail = tmp_path / "acme"
    write_eml(acme_mail, "1.eml", DANA_WRITES)
    write_eml(acme_mail, "2.eml", ALICE_REPLIES)
    write_eml(acme_mail, "3.eml", PROCUREMENT_WRITES)
    summary = import_path(world.alice, acme_mail, client=world.acme)
    assert summary.imported == 3, summary
    write_eml(tmp_path / "globex", "1.eml", GLOBEX_WRITES)
    assert import_path(world.carol, tmp_path / "globex", client=world.globex).imported == 1

    emails = {e.message_id: e for e in EmailMessage.objects.select_related("communication")}
    meeting = record_communication(
        world.alice,
        world.acme,
        channel="meeting",
        direction="out",
        occurred_at=at(7, 13),
        subject="Launch recovery workshop",
        summary="Walked through the new plan.",
    )
    # Calendar imports fill these; a meeting recorded by hand has none.
    Communication.objects.filter(pk=meeting.pk).update(
        ends_at=at(7, 14, 30),
        location="Acme HQ, room 2",
        attendees=[
            {"name": "Alice Owner", "email": "alice@firm.example", "contact": None},
            {"name": "Dana Client", "email": "dana@acme.example", "contact": world.contact.pk},
        ],
    )
    meeting.refresh_from_db()
    call = record_communication(
        world.bob,
        world.acme,
        channel="call",
        direction="in",
        occurred_at=at(8, 10),
        contact=world.contact,
        case=world.case,
        summary="Dana called about the invoice.",
    )
    note = record_communication(
        world.bob,
        world.acme,
        channel="note",
        direction="internal",
        occurred_at=at(8, 11),
        summary="Team agreed to waive the rush fee.",
    )
    return Record(
        dana_email=emails["launch-1@acme.example"].communication,
        reply=emails["launch-2@firm.example"].communication,
        invoice=emails["invoice-2231@acme.example"].communication,
        meeting=meeting,
        call=call,
        note=note,
        globex_email=emails["secret@globex.example"].communication,
        emails=emails,
    )


def subjects(entries: Any) -> set[int]:
    """The communications among timeline entries."""
    return {
        e.subject_id for e in entries if e.subject_type == "communication" and e.kind[:5] == "comm."
    }


def day(value: str) -> Any:
    from datetime import date

    return date.fromisoformat(value)


ONE_DAY = timedelta(days=1)
