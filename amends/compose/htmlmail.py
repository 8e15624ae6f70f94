"""The HTML alternative of a plain-text message: escaped paragraphs and lists only."""

from __future__ import annotations

import re

import nh3
from django.utils.html import escape

_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
ALLOWED = {"p", "ul", "ol", "li", "br", "strong"}


def to_html(text: str) -> str:
    """Paragraphs from blank-line separated blocks; lines starting "- " or "1." become
    list items; a short line on its own before a block reads as a heading (bold).
    Everything typed is escaped, and the result is sanitised again with nh3."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    parts: list[str] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        heading = ""
        if len(lines) > 1 and not _ITEM.match(lines[0]) and all(_ITEM.match(x) for x in lines[1:]):
            heading, lines = lines[0], lines[1:]
        if heading:
            parts.append(f"<p><strong>{escape(heading.strip())}</strong></p>")
        if all(_ITEM.match(x) for x in lines):
            tag = "ol" if re.match(r"^\s*\d", lines[0]) else "ul"
            items = "".join(f"<li>{escape(_ITEM.sub('', x).strip())}</li>" for x in lines)
            parts.append(f"<{tag}>{items}</{tag}>")
        else:
            parts.append("<p>" + "<br>".join(escape(x.strip()) for x in lines) + "</p>")
    html = "\n".join(parts)
    return nh3.clean(html, tags=ALLOWED, attributes={})
