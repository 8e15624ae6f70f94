"""The PDF: Unicode text with DejaVu, and a clear fallback when the font is missing."""

from __future__ import annotations

from datetime import UTC, datetime

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
