"""Tone of a message from the client (-1 hostile … +1 warm).

The score is VADER's compound score (a lexicon and rules tuned for short informal
English) of the *new* part of the message only: quoted history ("> …" lines, "On … wrote:"
and the forwarded/original-message blocks below them) and the signature are cut first, so
a warm reply that quotes an angry message is scored warm. Only the first `MAX_CHARS`
characters are read, so a huge message costs no more than a long one.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MAX_CHARS = 5000
# How much raw text is looked at before the cut (quoted blocks can be long).
_MAX_SCAN = 200_000

# Lines that start the quoted history: everything from here down is somebody else's text.
_HISTORY_STARTS = re.compile(
    r"""^\s*(
        on\s.{0,300}\swrote:?\s*$                       # On Mon, 6 Jul 2026, Dana wrote:
      | le\s.{0,300}\sa\s[ée]crit\s?:?\s*$                # Le … a écrit :
      | am\s.{0,300}\sschrieb\s.{0,100}:?\s*$             # Am … schrieb …:
      | -{2,}\s*original\s+message\s*-{2,}             # ----- Original Message -----
      | -{2,}\s*forwarded\s+message\s*-{2,}            # ---------- Forwarded message ---------
      | begin\s+forwarded\s+message:?                  # Apple Mail
      | _{10,}\s*$                                     # Outlook's rule above the header block
      | from:\s.+\s*$                                  # Outlook header block (From: …)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Gmail wraps a long "On … wrote:" over two lines.
_WROTE_SPLIT = re.compile(r"^\s*on\s.{0,300}$", re.IGNORECASE)
_WROTE_END = re.compile(r"^.{0,300}\swrote:\s*$", re.IGNORECASE)
# "-- " is the standard signature separator; the others are common sign-offs on a phone.
_SIGNATURE = re.compile(r"^(--\s?|sent from my .{1,60}|get outlook for .{1,40})\s*$", re.IGNORECASE)

_analyser: Any = None
_lock = threading.Lock()


def _analyser_class() -> Any:
    """VADER's analyser, minus a quadratic cost: for every sentiment word, VADER 3.3.2's
    negation and idiom checks lower-case the *whole* text's word list, then read at most
    three words before it and two after. Handing them just that window gives the same
    scores (tests/comms_clocks/test_tone.py compares both on every test text) at about
    twice the speed on a 150-word message."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    class WindowedAnalyser(SentimentIntensityAnalyzer):  # type: ignore[misc]
        # Both are only called with i > start_i (negation) or i > 2 (idioms), so the
        # window's indices never go below zero, where Python would wrap around.
        def _negation_check(self, valence: float, words: list[str], start_i: int, i: int) -> Any:
            lo = max(0, i - 3)
            return super()._negation_check(valence, words[lo : i + 1], start_i, i - lo)

        def _special_idioms_check(self, valence: float, words: list[str], i: int) -> Any:
            lo = max(0, i - 3)
            return super()._special_idioms_check(valence, words[lo : i + 3], i - lo)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.emoji_chars = frozenset(c for c in self.emojis if len(c) == 1)

        def polarity_scores(self, text: str) -> Any:
            # VADER first copies the text character by character, replacing each emoji
            # with its description: ~15% of its time on a 1 kB message. Its loop only
            # ever matches single characters, so without one of those in the text the copy
            # is the text itself; VADER iterates what it is given, and a one-item tuple
            # makes that loop a single step that appends the whole text unchanged (unless
            # the whole text is a many-character emoji: then the step would match it).
            if self.emoji_chars.isdisjoint(text) and text not in self.emojis:
                return super().polarity_scores((text,))
            return super().polarity_scores(text)

    return WindowedAnalyser


def _get_analyser() -> Any:
    """One VADER analyser per process, built on first use (loading its lexicon takes time)."""
    global _analyser
    if _analyser is None:
        with _lock:
            if _analyser is None:
                _analyser = _analyser_class()()
    return _analyser


def new_text(text: str) -> str:
    """The part of a message its sender wrote now: quoted history and signature removed."""
    lines = text[:_MAX_SCAN].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _HISTORY_STARTS.match(line) or _SIGNATURE.match(line):
            break
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _WROTE_SPLIT.match(line) and _WROTE_END.match(nxt):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def score(text: str) -> float | None:
    """The tone of `text`, or None when there is nothing to score."""
    if not text:
        return None
    fresh = new_text(text)[:MAX_CHARS]
    if not re.search(r"\w", fresh):
        return None
    compound = _get_analyser().polarity_scores(fresh)["compound"]
    return round(max(-1.0, min(1.0, float(compound))), 4)
