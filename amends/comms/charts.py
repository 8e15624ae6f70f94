"""The tone trend as a small SVG picture, drawn on the server with pygal.

The SVG is served as an `<img>` (its own URL, scoped like the page), never inlined: an
image cannot run scripts or load anything, and the page's strict CSP stays untouched.
pygal always writes a configuration `<script>` and an `xml-stylesheet` hook; both are
removed here, with comments, so what is served is shapes, text and its own `<style>`
only. The response also carries its own CSP (`default-src 'none'`), in case someone
opens the picture directly.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pygal
from pygal.style import Style

from amends.comms.clocks import ToneTrend

SVG_NS = "http://www.w3.org/2000/svg"
# Only the image's own inline <style> (pygal's colours) is allowed; nothing is fetched.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#333333",
    foreground_strong="#111111",
    foreground_subtle="#888888",
    font_family=_FONT,
    label_font_family=_FONT,
    major_label_font_family=_FONT,
    title_font_family=_FONT,
    value_font_family=_FONT,
    tooltip_font_family=_FONT,
    legend_font_family=_FONT,
    no_data_font_family=_FONT,
    colors=("#2563eb",),
    label_font_size=11,
    major_label_font_size=11,
    no_data_font_size=14,
)


def tone_svg(trend: ToneTrend, *, title: str = "Tone of client messages, by week") -> str:
    """The trend as a standalone SVG document: weekly means on a -1…+1 scale."""
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=520,
        height=200,
        explicit_size=True,
        show_legend=False,
        range=(-1, 1),
        y_labels=[-1, -0.5, 0, 0.5, 1],
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_every=2,
        allow_interruptions=False,
        truncate_label=-1,
        show_dots=True,
        dots_size=3,
        title=None,
        tooltip_border_radius=0,
        no_data_text="No scored messages",
        print_values=False,
        pretty_print=False,
    )
    chart.x_labels = [p.week_start.strftime("%-d %b") for p in trend.points]
    chart.add("Mean tone", [p.mean for p in trend.points])
    return _clean(chart.render(is_unicode=True), title)


def _clean(svg: str, title: str) -> str:
    """Drop every script, processing instruction and comment; add a title for screen
    readers; mark the picture as an image."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    # pygal drew it from numbers and dates only (no user text): nothing untrusted to parse.
    root = ET.fromstring(svg)  # noqa: S314 (comments and PIs are dropped here)
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            local = tag.rsplit("}", 1)[-1]
            if local in ("script", "foreignObject", "a"):
                parent.remove(child)
    for element in root.iter():
        for attr in [a for a in element.attrib if a.startswith("on") or a.endswith("href")]:
            del element.attrib[attr]
    root.set("role", "img")
    label = ET.Element(f"{{{SVG_NS}}}title")
    label.text = title
    root.insert(0, label)
    return ET.tostring(root, encoding="unicode")
