"""The test helper that reads text out of PDFs reads streams by their length: compressed
bytes may end in a CR or LF, or hold "endstream" or "endobj" (a test once failed, now and
then, on a PDF whose compressed stream ended in a CR)."""

from __future__ import annotations

import zlib

from tests.sharing.pdftext import _objects


def _pdf(data: bytes) -> bytes:
    packed = zlib.compress(data)
    return (
        b"%PDF-1.3\n1 0 obj\n<< /Type /Pages >>\nendobj\n"
        + b"2 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream\nendobj\n3 0 obj\n<< /Type /Catalog >>\nendobj\n"
    )


def test_a_stream_ending_in_a_line_break_or_holding_keywords_is_read_whole():
    found = 0
    for i in range(5000):
        text = f"BT (line {i}) Tj ET".encode()
        last = zlib.compress(text)[-1:]
        if last in (b"\r", b"\n"):
            objects = _objects(_pdf(text))
            assert objects[2][1] == text and b"/Catalog" in objects[3][0]
            found += 1
    assert found >= 10  # about 1 in 128
    raw = b"a\nendstream\nendobj\n stream\n"  # stored uncompressed: the keywords inside
    pdf = (
        b"1 0 obj\n<< /Length %d >>\nstream\n" % len(raw)
        + raw
        + b"\nendstream\nendobj\n2 0 obj\n<< /Type /Catalog >>\nendobj\n"
    )
    objects = _objects(pdf)
    assert objects[1][1] == raw and b"/Catalog" in objects[2][0]
