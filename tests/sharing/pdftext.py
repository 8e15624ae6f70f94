"""Text out of the PDFs fpdf2 writes, without a PDF library (pypdf is not installed).

fpdf2 sets Unicode text in subset TrueType fonts: each string in a content stream is a
run of 2-byte glyph codes, which the font's /ToUnicode CMap maps back to characters. This
decompresses every stream, reads each font's CMap, follows `Tf` to know the font of each
`Tj`/`TJ` string, and decodes it. Good enough for asserting what text a PDF contains.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj")
_STREAM = re.compile(rb"stream\r?\n")
_LENGTH = re.compile(rb"/Length (\d+)(?! \d+ R)")
# What the text reader looks for: a font set (`Tf`), a string, the end of a text block,
# and the graphics state saved (`q`) and restored (`Q`, which restores the font too).
_TOKEN = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\(|ET|(?<![^\s])[qQ](?![^\s])")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Object number -> (dictionary text, decompressed stream or b"").

    A stream is read by its /Length, never by looking for "endstream": compressed bytes
    may end in a CR or LF, or hold "endstream" or "endobj" themselves."""
    out = {}
    pos = 0
    while (m := _OBJ.search(pdf, pos)) is not None:
        start = m.end()
        end = pdf.find(b"endobj", start)
        if end < 0:
            break
        s = _STREAM.search(pdf, start, end)
        data = b""
        if s is None:
            head = pdf[start:end]
        else:
            head = pdf[start : s.start()]
            length = _LENGTH.search(head)
            if length is not None:
                data = pdf[s.end() : s.end() + int(length.group(1))]
            else:  # an indirect length: up to the end of the stream
                data = pdf[s.end() : pdf.find(b"endstream", s.end())].rstrip(b"\r\n")
            end = pdf.find(b"endobj", s.end() + len(data))
            if b"/FlateDecode" in head:
                data = zlib.decompress(data)
        out[int(m.group(1))] = (head, data)
        pos = end + len(b"endobj")
    return out


def _cmap(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + i)
    return mapping


def _literal(raw: bytes, i: int) -> tuple[bytes, int]:
    """The PDF literal string starting after '(' at raw[i:]; returns (bytes, end)."""
    out = bytearray()
    depth = 1
    while i < len(raw):
        c = raw[i : i + 1]
        if c == b"\\":
            nxt = raw[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
                assert digits
                out.append(int(digits.group(), 8))
                i += 1 + len(digits.group())
            elif nxt in (b"\r", b"\n"):
                i += 2
            else:
                out += nxt
                i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += c
        i += 1
    return bytes(out), i


def pdf_text(pdf: bytes) -> str:
    objs = _objects(pdf)
    fonts: dict[bytes, dict[int, str]] = {}
    for head, _ in objs.values():
        for name, num in re.findall(rb"/(F\d+)\s+(\d+) 0 R", head):
            font_head = objs.get(int(num), (b"", b""))[0]
            tu = re.search(rb"/ToUnicode\s+(\d+) 0 R", font_head)
            if tu:
                fonts[name] = _cmap(objs[int(tu.group(1))][1])
            else:
                fonts.setdefault(name, {})
    lines: list[str] = []
    for head, data in objs.values():
        if not data or b"BT" not in data or b"/Type /XObject" in head:
            continue
        font: dict[int, str] = {}
        saved: list[dict[int, str]] = []  # the font at each `q`, put back by its `Q`
        i = 0
        current = ""
        while i < len(data):
            m = _TOKEN.search(data, i)
            if not m:
                break
            if m.group(0) in (b"q", b"Q"):
                if m.group(0) == b"q":
                    saved.append(font)
                elif saved:
                    font = saved.pop()
                i = m.end()
                continue
            if m.group(0) == b"(":
                raw, i = _literal(data, m.end())
                if font:
                    codes = [int.from_bytes(raw[k : k + 2], "big") for k in range(0, len(raw), 2)]
                    current += "".join(font.get(c, "\ufffd") for c in codes)
                else:  # a core font: Latin-1 bytes
                    current += raw.decode("latin-1")
                continue
            if m.group(0) == b"ET":
                if current:
                    lines.append(current)
                current = ""
            else:
                font = fonts.get(m.group(1), {})
            i = m.end()
    return "\n".join(lines)
