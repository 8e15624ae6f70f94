"""Fast matching of many phrase patterns: each pattern is tried only where the draft has a
word it can start with.

Python's `re` tries every branch of an alternation at every position, so 150 phrase
patterns over a 1,000-word draft cost milliseconds. Most patterns start with a known word
("we", "the", "sorry") or a small set of them; the matcher indexes the draft's words once
and runs a pattern (anchored, with `match`) only at the positions of its first words.
Patterns whose first word cannot be read off (a name pattern, an optional first group) are
scanned the ordinary way. The result is the same set of matches, found much faster.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_LITERAL = re.compile(r"[A-Za-z0-9]+")
_WORD_ENDS = (" ", "'", "’", ",", ")", "|", "\\b", "\\s", "(?:'", "(?:’", "(?: ", "(?:\\s")

Index = dict[str, list[int]]


def key_of(word: str) -> str:
    w = word.lower()
    return w[:3] if len(w) >= 3 else w


def index(text: str) -> Index:
    """Where each word key occurs in `text` (computed once per check)."""
    out: defaultdict[str, list[int]] = defaultdict(list)
    low = text.lower()
    if len(low) == len(text):  # the usual case: offsets are the same
        for m in _TOKEN.finditer(low):
            out[m.group()[:3]].append(m.start())
    else:  # a few characters grow when lower-cased ("İ"): lower word by word
        for m in _TOKEN.finditer(text):
            out[key_of(m.group())].append(m.start())
    return out


def _structure(p: str, i: int = 0) -> Iterator[tuple[int, str, int]]:
    """Each character of the pattern `p` from `i` that is regex structure — not escaped,
    not inside a [character class] — with the group depth after it."""
    depth, j, in_class = 0, i, False
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            depth += (c == "(") - (c == ")")
            yield j, c, depth
        j += 1


def _close(p: str, i: int) -> int:
    """The index of the parenthesis closing the one at `p[i]`, or -1."""
    for j, c, depth in _structure(p, i):
        if c == ")" and depth == 0:
            return j
    return -1


def _split_top(body: str) -> list[str]:
    """The top-level alternatives of `body` (split on `|` outside any group)."""
    parts, start = [], 0
    for j, c, depth in _structure(body):
        if c == "|" and depth == 0:
            parts.append(body[start:j])
            start = j + 1
    parts.append(body[start:])
    return parts


def _literal_key(alt: str, rest: str) -> str | None:
    m = _LITERAL.match(alt)
    if m is None:
        return None
    word = m.group(0)
    if len(word) >= 3:
        return key_of(word)
    after = alt[m.end() :] or rest
    if after == "" or after.startswith(_WORD_ENDS):
        return key_of(word)
    return None


def first_keys(pattern: str) -> frozenset[str] | None:
    """The word keys a match of `pattern` can start with, or None when unknown."""
    p, i = pattern, 0
    if p.startswith(r"\b"):
        i = 2
    while p.startswith(("(?<!", "(?<="), i):
        j = _close(p, i)
        if j < 0:
            return None
        i = j + 1
    if p.startswith("(?:", i):
        j = _close(p, i)
        if j < 0 or p[j + 1 : j + 2] in ("?", "*", "{"):
            return None
        rest = p[j + 1 :]
        keys = set()
        for alt in _split_top(p[i + 3 : j]):
            k = _literal_key(alt, rest)
            if k is None:
                return None
            keys.add(k)
        return frozenset(keys)
    if p.startswith("(", i):
        return None
    k = _literal_key(p[i:], "")
    return None if k is None else frozenset([k])


class Matcher:
    """All matches of a set of patterns (case-insensitive unless a pattern says otherwise)."""

    def __init__(self, patterns: Iterable[str], flags: int = re.IGNORECASE) -> None:
        by_key: defaultdict[str, list[str]] = defaultdict(list)
        scanned = []
        for p in patterns:
            keys = first_keys(p)
            if keys is None:
                scanned.append(p)
                continue
            for k in keys:
                by_key[k].append(p)
        # One alternation per first word: one `match` call per position, not one per pattern.
        self.by_key = {
            k: [re.compile("|".join(f"(?:{p})" for p in ps), flags)] for k, ps in by_key.items()
        }
        self.scan = re.compile("|".join(f"(?:{p})" for p in scanned), flags) if scanned else None

    def spans(self, text: str, where: Index) -> list[tuple[int, int]]:
        out = []
        for key, rxs in self.by_key.items():
            positions = where.get(key)
            if not positions:
                continue
            for pos in positions:
                for rx in rxs:
                    m = rx.match(text, pos)
                    if m is not None and m.end() > m.start():
                        out.append((m.start(), m.end()))
        if self.scan is not None:
            out += [(m.start(), m.end()) for m in self.scan.finditer(text)]
        out.sort()
        return out

    def search(self, text: str, where: Index) -> bool:
        for key, rxs in self.by_key.items():
            for pos in where.get(key, ()):
                if any(rx.match(text, pos) for rx in rxs):
                    return True
        return bool(self.scan and self.scan.search(text))
