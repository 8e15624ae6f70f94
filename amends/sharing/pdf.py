"""The client document as a PDF (fpdf2), from the same `ClientDocument` as the page.

Text is set in DejaVu Sans (a Unicode TrueType font: Latin, Greek, Cyrillic, Arabic,
Hebrew…). The characters it has no glyph for are set, one by one, in the first of the
fallback fonts installed that has one (fpdf2's fallback fonts): Droid Sans Fallback for
Chinese and Japanese (Debian's fonts-droid-fallback), Nanum Gothic for Korean
(fonts-nanum), Noto Sans for the scripts of India, South-East Asia and others
(fonts-noto-core). Text is shaped with HarfBuzz (uharfbuzz), so Arabic letters join,
Arabic and Hebrew read right to left, and Indic vowel signs sit where they belong. A
character no installed font has is said in the footer ("some characters could not be
printed"), never silently left out. If DejaVu itself is missing, the PDF falls back to
Helvetica and characters outside Latin-1 are replaced by "?" (said in the footer), never
a crash.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from amends.sharing.queries import ClientDocument

# fontTools logs every subsetting step at INFO; keep the server log readable.
logging.getLogger("fontTools").setLevel(logging.ERROR)

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Fonts for what DejaVu has no glyph for, in order: the first that has a character sets
# it. (Debian's paths; other systems' are looked for too.)
FALLBACK_DIRS = (
    "/usr/share/fonts/truetype/droid",
    "/usr/share/fonts/truetype/nanum",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/google-droid-sans-fonts",
    "/usr/share/fonts/noto",
)
FALLBACK_FILES = (
    "DroidSansFallbackFull.ttf",  # Chinese, Japanese
    "NanumGothic.ttf",  # Korean (Hangul)
    *(
        f"NotoSans{script}-Regular.ttf"
        for script in [
            "Devanagari",
            "Bengali",
            "Gurmukhi",
            "Gujarati",
            "Oriya",
            "Tamil",
            "Telugu",
            "Kannada",
            "Malayalam",
            "Sinhala",
            "Thai",
            "Lao",
            "Khmer",
            "Myanmar",
            "Tibetan",
            "Georgian",
            "Armenian",
            "Ethiopic",
            "Syriac",
            "Thaana",
            "Cherokee",
            "Mongolian",
        ]
    ),
)


def _font_paths() -> dict[str, str] | None:
    for d in FONT_DIRS:
        paths = {style: os.path.join(d, name) for style, name in FONT_FILES.items()}
        if all(os.path.isfile(p) for p in paths.values()):
            return paths
    return None


def _fallback_paths() -> list[tuple[str, str]]:
    """(font name, file) of each fallback font installed, in FALLBACK_FILES' order."""
    found = []
    for name in FALLBACK_FILES:
        for d in FALLBACK_DIRS:
            path = os.path.join(d, name)
            if os.path.isfile(path):
                found.append((name.removesuffix(".ttf").replace("-", ""), path))
                break
    return found


@functools.cache
def _coverage(path: str) -> frozenset[int]:
    """The characters a font file has glyphs for (its cmap alone is read, once)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _chars(doc: ClientDocument) -> set[str]:
    """Every character the document's text holds."""
    return set().union(*(set(text) for text in _strings(doc)))


def _fonts_for(chars: set[str], fonts: dict[str, str]) -> tuple[list[tuple[str, str]], bool]:
    """The fallback fonts a document of these characters needs (each one for characters
    DejaVu, in both its faces, and the fallbacks before it have no glyph for), and
    whether some of them are in none of the fonts installed. Only those are loaded: each one
    read costs time (all of them, ~0.6 s a PDF)."""
    dejavu = functools.reduce(frozenset.intersection, map(_coverage, fonts.values()))
    missing = {
        ord(ch) for ch in chars if unicodedata.category(ch)[0] not in "CZ" and ord(ch) not in dejavu
    }
    needed = []
    for name, path in _fallback_paths() if missing else []:
        if missing & _coverage(path):
            needed.append((name, path))
            missing -= _coverage(path)
    return needed, bool(missing)


def _needs_shaping(chars: set[str]) -> bool:
    """Whether these characters print wrong without shaping: right-to-left letters
    (Arabic, Hebrew…) or combining marks (the vowel signs of Indic scripts and Thai,
    accents written apart). Latin, Greek, Cyrillic, Chinese, Japanese and Korean print
    right without it, a little faster (75-88 ms of CPU for a Latin document, 90-97
    shaped)."""
    return any(
        unicodedata.bidirectional(ch) in ("R", "AL") or unicodedata.category(ch) in ("Mn", "Mc")
        for ch in chars
    )


def _can_shape() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


def _strings(value: object) -> Iterator[str]:
    """Every string in `value` (a ClientDocument and the rows it holds)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


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
        chars = _chars(doc)
        fallbacks, unprintable = _fonts_for(chars, fonts)
        for name, path in fallbacks:
            pdf.add_font(name, "", path)
        if fallbacks:  # bold text falls back to the regular face: the glyph, not blank
            pdf.set_fallback_fonts([name for name, _ in fallbacks], exact_match=False)
        if _needs_shaping(chars) and _can_shape():
            pdf.set_text_shaping(True)
    else:
        pdf.body_font, pdf.has_unicode, unprintable = "Helvetica", False, False
    when = f"{doc.generated_at:%d %b %Y %H:%M} ({doc.tz})"
    pdf.footer_note = _text(pdf, f"As of {when}")
    if not pdf.has_unicode:
        pdf.footer_note += " (Unicode font missing: some characters shown as ?)"
    elif unprintable:
        pdf.footer_note += " (no font here for some characters: they could not be printed)"
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
