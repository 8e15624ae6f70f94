"""The PDF: Unicode text with DejaVu, and a clear fallback when the font is missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amends.sharing import pdf
from amends.sharing.queries import ClientDocument

from .pdftext import pdf_text


def _doc() -> ClientDocument:
    return ClientDocument(
        client_name="Zoë & Søn — Łódź",
        contact_name="Renée",
        tz="Europe/Warsaw",
        generated_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        expectations=["Café menu “in print” by Friday"],
    )


def test_unicode_text_survives():
    text = pdf_text(pdf.build_pdf(_doc()))
    assert "Zoë & Søn — Łódź" in text and "Café menu “in print” by Friday" in text
    assert "Renée" in text


def test_without_the_font_it_falls_back_and_says_so(monkeypatch):
    monkeypatch.setattr(pdf, "FONT_DIRS", ("/nonexistent",))
    data = pdf.build_pdf(_doc())
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Unicode font missing" in text and "Z" in text


def _fonts_or_skip() -> None:
    found = {name for name, _ in pdf._fallback_paths()}
    if not {"DroidSansFallbackFull", "NanumGothic", "NotoSansDevanagariRegular"} <= found:
        pytest.skip(
            "fallback fonts not installed:"
            " apt install fonts-droid-fallback fonts-nanum fonts-noto-core"
        )
    if not pdf._can_shape():
        pytest.skip("uharfbuzz not installed (it is in requirements/lock.txt)")


def _world_doc() -> ClientDocument:
    return ClientDocument(
        client_name="株式会社テスト 東京",
        contact_name="שלום עולם",
        tz="Asia/Tokyo",
        generated_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        expectations=["مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดี", "გამარჯობა", "서울 회의"],
    )


def test_scripts_dejavu_lacks_are_printed_from_the_fallback_fonts():
    """Chinese, Japanese, Korean, Indic, Thai, Georgian: each in a font that has it, never
    left blank; Arabic and Hebrew shaped and set right to left."""
    _fonts_or_skip()
    data = pdf.build_pdf(_world_doc())
    fonts = (b"DroidSansFallback", b"NanumGothic", b"NotoSansDevanagari", b"NotoSansThai")
    for font in (*fonts, b"DejaVuSans"):
        assert b"/BaseFont /" in data and font in data
    text = pdf_text(data)
    assert "株式会社テスト 東京" in text and "서울 회의" in text
    assert "გამარჯობა" in text and "नमस्ते" in text
    # Right to left: the glyphs are written in the order they are seen, the last
    # letter first (without shaping they came in reading order, so read backwards).
    assert "םלוע םולש" in text and "ملاعلاب ابحرم" in text
    assert "could not be printed" not in text


def test_a_character_no_font_has_is_said_in_the_footer():
    _fonts_or_skip()
    doc = _world_doc()
    doc.expectations.append("Tablet: \U00012000")  # cuneiform: in none of the fonts
    text = pdf_text(pdf.build_pdf(doc))
    assert "no font here for some characters: they could not be printed" in text


def test_without_the_fallback_fonts_the_footer_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(pdf, "FALLBACK_DIRS", ("/nonexistent",))
    text = pdf_text(pdf.build_pdf(_world_doc()))
    assert "could not be printed" in text
    assert "Zoë" not in text  # (the document above has none)
    assert "could not be printed" not in pdf_text(pdf.build_pdf(_doc()))  # Latin: DejaVu


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("Zoë & Søn — Łódź, Ελλάδα, Москва", False),
        ("株式会社テスト, 서울 회의", False),
        ("مرحبا", True),
        ("שלום", True),
        ("नमस्ते", True),  # vowel signs
        ("สวัสดี", True),
        ("Cafe\u0301", True),  # an accent written apart
    ],
)
def test_only_the_text_that_needs_it_is_shaped(text, shaped):
    doc = _doc()
    doc.expectations = [text]
    assert pdf._needs_shaping(pdf._chars(doc)) is shaped
