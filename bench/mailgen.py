"""A realistic mailbox for the email benchmark, written as a Maildir.

Deterministic (seeded): threads of one to eight messages between a firm and its
clients, with multipart/alternative HTML bodies, quoted replies, small attachments,
several charsets (UTF-8, ISO-8859-1, Windows-1252, KOI8-R, Shift_JIS) and transfer
encodings, References/In-Reply-To chains, and the usual defects: a few messages
without Message-ID or Date. Standard library only.
"""

from __future__ import annotations

import base64
import os
import quopri
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

FIRM = "firm.example"
STAFF = ["alice", "bob", "erin", "frank"]
CLIENT_DOMAINS = [f"client{i:02d}.example" for i in range(40)]
PEOPLE = ["dana", "jose", "mei", "oleg", "priya", "sam", "tomas", "yuki"]

WORDS = (  # noqa: SIM905 - a paragraph reads better than a list
    "launch schedule invoice budget contract delay review meeting proposal deadline "
    "payment milestone design migration server outage report quarterly forecast "
    "supplier delivery warehouse pricing discount renewal agreement signature legal "
    "compliance audit training onboarding support ticket escalation apology refund "
    "credit customer board approval timeline resource staffing handover website "
    "mobile release testing feedback survey complaint promise estimate scope change"
).split()
SUBJECTS = [
    "Launch date",
    "Invoice {n} overdue",
    "Q{q} review meeting",
    "Contract renewal",
    "Website outage this morning",
    "Proposal for phase {n}",
    "Budget for next year",
    "Delivery delay",
    "Training schedule",
    "Support ticket #{n}",
]
ACCENTED = "Café déjà vu — naïve façade, Zürich, São Paulo, “quoted” ‘text’ – €{n}"
CYRILLIC = "Привет! Сроки проекта сдвигаются, пожалуйста, подтвердите бюджет {n}."
JAPANESE = "お世話になっております。納期について確認させてください。{n}"


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 16))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraphs(rng: random.Random, n: int) -> list[str]:
    return [" ".join(_sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(n)]


def _encode_text(text: str, charset: str, rng: random.Random) -> tuple[bytes, str]:
    """Body bytes and the Content-Transfer-Encoding used."""
    data = text.replace("\n", "\r\n").encode(charset, "replace")
    choice = rng.random()
    if data.isascii() and choice < 0.5:
        return data, "7bit"
    if choice < 0.55:
        return data, "8bit"
    if choice < 0.85:
        return quopri.encodestring(data), "quoted-printable"
    return base64.encodebytes(data), "base64"


def _html(paragraphs: list[str], quoted: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if quoted:
        body += "<blockquote>" + "<br>".join(quoted) + "</blockquote>"
    return (
        '<html><head><style>p{margin:0}</style></head><body><div dir="ltr">'
        + body
        + '<img src="https://tracker.example/p.gif"></div></body></html>'
    )


class Mailbox:
    """Generates message bytes one at a time (a thread at a time)."""

    def __init__(self, seed: int = 20260701) -> None:
        self.rng = random.Random(seed)
        self.now = datetime(2026, 7, 1, tzinfo=UTC)
        self.count = 0

    def _addr(self, outbound: bool, domain: str, person: str) -> tuple[str, str]:
        if outbound:
            staff = self.rng.choice(STAFF)
            return staff.capitalize() + " Firm", f"{staff}@{FIRM}"
        return person.capitalize() + " Client", f"{person}@{domain}"

    def thread(self) -> list[bytes]:
        rng = self.rng
        domain = rng.choice(CLIENT_DOMAINS)
        person = rng.choice(PEOPLE)
        n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8])
        subject = rng.choice(SUBJECTS).format(n=rng.randint(100, 9999), q=rng.randint(1, 4))
        charset = rng.choices(
            ["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "us-ascii"],
            weights=[40, 15, 15, 5, 5, 20],
        )[0]
        start = self.now - timedelta(days=rng.uniform(1, 700))
        ids: list[str] = []
        history: list[str] = []
        out = []
        when = start
        for i in range(n):
            self.count += 1
            outbound = i % 2 == 1 if rng.random() < 0.9 else rng.random() < 0.5
            when = when + timedelta(minutes=rng.randint(5, 60 * 48))
            mid = f"{self.count:07d}.{rng.getrandbits(40):x}@{FIRM if outbound else domain}"
            out.append(
                self._message(
                    i, outbound, domain, person, subject, charset, when, mid, ids, history
                )
            )
            ids.append(mid)
        return out

    def _message(
        self,
        i: int,
        outbound: bool,
        domain: str,
        person: str,
        subject: str,
        charset: str,
        when: datetime,
        mid: str,
        ids: list[str],
        history: list[str],
    ) -> bytes:
        rng = self.rng
        name, sender = self._addr(outbound, domain, person)
        rname, recipient = self._addr(not outbound, domain, person)
        paragraphs = _paragraphs(rng, rng.randint(1, 5))
        extra = {
            "koi8-r": CYRILLIC,
            "shift_jis": JAPANESE,
            "iso-8859-1": ACCENTED.replace("—", "-")
            .replace("“", '"')
            .replace("”", '"')
            .replace("‘", "'")
            .replace("’", "'")
            .replace("–", "-")
            .replace("€", "EUR "),
            "windows-1252": ACCENTED,
            "utf-8": ACCENTED + " " + CYRILLIC,
        }.get(charset)
        if extra:
            paragraphs.insert(rng.randint(0, len(paragraphs)), extra.format(n=self.count))
        quoted = [f"> {line}" for line in history[-12:]] if i else []
        text = "Hello,\n\n" + "\n\n".join(paragraphs) + "\n\nRegards,\n" + name + "\n"
        if quoted:
            text += f"\nOn {format_datetime(when - timedelta(hours=3))}, {rname} wrote:\n"
            text += "\n".join(quoted) + "\n"
        history[:] = [*paragraphs, *history][:12]
        headers = [
            f"Received: from mx{rng.randint(1, 9)}.{domain}"
            f" (mx.{domain} [192.0.2.{rng.randint(1, 254)}])",
            f"\tby mail.{FIRM} with ESMTPS id {rng.getrandbits(48):x}; {format_datetime(when)}",
            f"From: {name} <{sender}>",
            f"To: {rname} <{recipient}>",
        ]
        if rng.random() < 0.2:
            headers.append(f"Cc: {rng.choice(PEOPLE)}@{domain}, {rng.choice(STAFF)}@{FIRM}")
        subj = ("Re: " if i else "") + subject
        if charset not in ("us-ascii",) and rng.random() < 0.3:
            encoded = base64.b64encode((subj + " ✓").encode("utf-8")).decode()
            headers.append(f"Subject: =?utf-8?B?{encoded}?=")
        else:
            headers.append(f"Subject: {subj}")
        if rng.random() > 0.01:
            headers.append(f"Date: {format_datetime(when)}")
        if rng.random() > 0.02:
            headers.append(f"Message-ID: <{mid}>")
        if ids and rng.random() > 0.03:
            headers.append(f"In-Reply-To: <{ids[-1]}>")
            headers.append("References: " + "\n ".join(f"<{r}>" for r in ids[-10:]))
        headers.append("MIME-Version: 1.0")
        boundary = f"=_b{rng.getrandbits(64):016x}"
        shape = rng.random()
        plain, plain_cte = _encode_text(text, charset, rng)
        plain_part = (
            f'Content-Type: text/plain; charset="{charset}"\r\n'
            f"Content-Transfer-Encoding: {plain_cte}\r\n\r\n"
        ).encode() + plain
        if shape < 0.3:
            head = "\r\n".join(headers) + "\r\n"
            return head.encode("ascii") + plain_part + b"\r\n"
        html, html_cte = _encode_text(_html(paragraphs, quoted), charset, rng)
        html_part = (
            f'Content-Type: text/html; charset="{charset}"\r\n'
            f"Content-Transfer-Encoding: {html_cte}\r\n\r\n"
        ).encode() + html
        alt = (
            f"--{boundary}a\r\n".encode()
            + plain_part
            + f"\r\n--{boundary}a\r\n".encode()
            + html_part
            + f"\r\n--{boundary}a--\r\n".encode()
        )
        if shape < 0.85:
            headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}a"')
            return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + alt
        size = rng.randint(500, 12_000)
        attachment = base64.encodebytes(rng.randbytes(size))
        kind, fname = rng.choice(
            [
                ("application/pdf", "report.pdf"),
                ("image/png", "screenshot.png"),
                ("text/csv", "figures.csv"),
            ]
        )
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}m"')
        mixed = (
            f"--{boundary}m\r\nContent-Type: multipart/alternative; "
            f'boundary="{boundary}a"\r\n\r\n'.encode()
            + alt
            + f'\r\n--{boundary}m\r\nContent-Type: {kind}; name="{fname}"\r\n'
            f'Content-Disposition: attachment; filename="{fname}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode()
            + attachment
            + f"\r\n--{boundary}m--\r\n".encode()
        )
        return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + mixed


def write_maildir(root: Path, count: int, seed: int = 20260701) -> Path:
    """Write `count` messages as a Maildir at `root` (threads shuffled into file order
    the way a real Maildir's is not chronological); returns `root`."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    box = Mailbox(seed)
    messages: list[bytes] = []
    while len(messages) < count:
        messages.extend(box.thread())
    messages = messages[:count]
    order = list(range(count))
    # Mostly in order, with some replies landing before their originals.
    rng = random.Random(seed + 1)
    for i in range(0, count - 1, 7):
        j = min(count - 1, i + rng.randint(1, 40))
        order[i], order[j] = order[j], order[i]
    for n, index in enumerate(order):
        name = f"{1_700_000_000 + n}.M{n}P{os.getpid()}.bench:2,S"
        (root / "cur" / name).write_bytes(messages[index])
    return root


def client_domains() -> list[str]:
    return list(CLIENT_DOMAINS)


def write_text_heavy_maildir(
    root: Path, count: int, text_bytes: int = 64_000, seed: int = 20261123
) -> Path:
    """The worst case for the importer's memory: `count` plain-text messages from
    clients, each with `text_bytes` of text (so a batch's text is as large as its raw
    mail), as a Maildir at `root`; returns `root`."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for n in range(count):
        lines: list[str] = []
        size = 0
        while size < text_bytes:
            line = " ".join(rng.choices(WORDS, k=12)) + f" {rng.randrange(10**6)}"
            lines.append(line)
            size += len(line) + 2
        domain = CLIENT_DOMAINS[n % 30]
        head = (
            f"From: {PEOPLE[n % len(PEOPLE)].title()} <{PEOPLE[n % len(PEOPLE)]}@{domain}>\r\n"
            f"To: {STAFF[0]}@{FIRM}\r\n"
            f"Subject: Weekly report {n}\r\n"
            f"Message-ID: <report-{n}@{domain}>\r\n"
            f"Date: {format_datetime(start + timedelta(hours=n))}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        )
        name = f"{1_800_000_000 + n}.T{n}.bench:2,S"
        (root / "cur" / name).write_bytes(head.encode() + "\r\n".join(lines).encode())
    return root
