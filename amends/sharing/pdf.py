"""The client document as a PDF (fpdf2), from the same `ClientDocument` as the page.

Text is set in DejaVu Sans (a Unicode TrueType font) so names and quotes in any language
print correctly. If the font file is missing, the PDF falls back to Helvetica and
characters outside Latin-1 are replaced by "?" (said in the footer), never a crash.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from amends.sharing.queries import ClientDocument

# fontTools logs every subsetting step at INFO; keep the server log readable.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


def _font_paths() -> dict[str, str] | None:
    for d in FONT_DIRS:
        paths = {style: os.path.join(d, name) for style, name in FONT_FILES.items()}
        if all(os.path.isfile(p) for p in paths.values()):
            return paths
    return None


def _day(d: date | None) -> str:
    return f"{d:%a %d %b %Y}" if d else "no date yet"


def _moment(d: datetime | None) -> str:
    return f"{d:%a %d %b %Y %H:%M}" if d else ""


class _Doc(FPDF):
    body_font = "DejaVu"
    has_unicode = True
    footer_note = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.body_font, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_note}  ·  page {self.page_no()}", align="C")


def _text(pdf: _Doc, text: str) -> str:
    return text if pdf.has_unicode else text.encode("latin-1", "replace").decode("latin-1")


def build_pdf(doc: ClientDocument, *, compress: bool = True) -> bytes:
    pdf = _Doc(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(_text(pdf, f"Our plan together: {doc.client_name}"))
    pdf.set_creator("Amends")
    fonts = _font_paths()
    if fonts:
        for style, path in fonts.items():
            pdf.add_font("DejaVu", style, path)
    else:
        pdf.body_font, pdf.has_unicode = "Helvetica", False
    when = f"{doc.generated_at:%d %b %Y %H:%M} ({doc.tz})"
    pdf.footer_note = _text(pdf, f"As of {when}")
    if not pdf.has_unicode:
        pdf.footer_note += " (Unicode font missing: some characters shown as ?)"
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(3)
        pdf.set_font(pdf.body_font, "B", size)
        pdf.set_text_color(20, 20, 20)
        pdf.multi_cell(width, 7, _text(pdf, text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def line(text: str, *, bold: bool = False, muted: bool = False) -> None:
        pdf.set_font(pdf.body_font, "B" if bold else "", 10)
        pdf.set_text_color(*((100, 100, 100) if muted else (20, 20, 20)))
        pdf.multi_cell(width, 5.5, _text(pdf, text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    heading(f"Our plan together: {doc.client_name}", 16)
    line(f"This copy as of {when}; the online page is always current.", muted=True)
    if doc.contact_name:
        line(f"Your point of contact: {doc.contact_name}", muted=True)

    if doc.update:
        heading("Latest update")
        line(doc.update.text)
        by = f" by {doc.update.by}" if doc.update.by else ""
        line(f"{_moment(doc.update.published_at)}{by}", muted=True)

    heading("What we agreed")
    for text in doc.expectations or ["Nothing agreed yet."]:
        line(f"• {text}")

    heading(f"The plan ({doc.steps_done} of {len(doc.plan)} steps done)")
    for s in doc.plan:
        mark = ("✓" if s.done else "○") if pdf.has_unicode else ("[x]" if s.done else "[ ]")
        line(f"{mark} {s.title}", bold=True)
        owner = f" · {s.owner}" if s.owner else ""
        line(f"{s.horizon} · by {_day(s.deadline)}{owner} · {s.status}", muted=True)
        if s.measure:
            line(f"Success looks like: {s.measure}", muted=True)
    if not doc.plan:
        line("The plan is being prepared.")

    heading("Milestones")
    for m in doc.milestones:
        state = f"reached {_moment(m.reached_at)}" if m.reached_at else f"due {_day(m.due_on)}"
        line(f"• {m.title} ({state})")
    if not doc.milestones:
        line("None yet.")

    heading("Our promises to you")
    if doc.on_time_percent is not None:
        line(
            f"Kept on time: {doc.promises_on_time} of {doc.promises_settled} "
            f"({doc.on_time_percent}%)",
            bold=True,
        )
    for p in doc.promises:
        line(f"• {p.what}: due {_moment(p.due_at)}, {p.outcome_label.lower()}")
    if not doc.promises:
        line("None yet.")

    heading("What we are doing to make amends")
    for a in doc.amends:
        worth = f", worth {a.value}" if a.value else ""
        line(f"• {a.kind}: {a.description}{worth} ({a.status.lower()})")
    if not doc.amends:
        line("None agreed yet.")

    heading("When we check in")
    for c in doc.checkins:
        line(f"• {_moment(c.scheduled_at)} ({'held' if c.held else 'planned'})")
    if not doc.checkins:
        line("Not scheduled yet.")
    return bytes(pdf.output())
