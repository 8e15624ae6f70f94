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
    """VADER's analyser (3.3.2), scoring exactly as VADER does but faster. Four costs go:

    - a quadratic one: for every sentiment word, VADER's negation and idiom checks
      lower-case the *whole* text's word list, then read at most three words before it
      and two after. They are handed just that window;
    - its negation test copies and scans its list of ~60 negations for every one of the
      three words before a sentiment word: here it is one look-up in a set;
    - most words are in none of its lists: VADER still calls its rules for each (which
      then add nothing); here such a word scores 0 directly;
    - its idiom check formats ten phrases around every sentiment word to look them up;
      here a set of the few words its phrases use rules out most of them at once.

    Together about twice the speed on the generated mailbox of `bench/`.
    tests/comms_clocks/test_tone.py compares the scores with stock VADER's on rule-laden,
    arbitrary, real and generated texts."""
    from vaderSentiment.vaderSentiment import (
        BOOSTER_DICT,
        N_SCALAR,
        NEGATE,
        SPECIAL_CASES,
        SentimentIntensityAnalyzer,
        SentiText,
    )

    negations = frozenset(NEGATE)
    # VADER's phrases (words never hold spaces: they come from str.split()).
    special = {tuple(k.split(" ")): v for k, v in SPECIAL_CASES.items()}
    booster_grams = {tuple(k.split(" ")): v for k, v in BOOSTER_DICT.items() if " " in k}
    idiom_words = frozenset(
        word for phrase in [*special, *booster_grams] if len(phrase) > 1 for word in phrase
    )

    def negated(word: str) -> bool:  # VADER's negated([word]) for one lower-cased word
        return word in negations or "n't" in word

    class WindowedAnalyser(SentimentIntensityAnalyzer):  # type: ignore[misc]
        # Both are only called with i > start_i (negation) or i > 2 (idioms), so the
        # window's indices never go below zero, where Python would wrap around.
        def _negation_check(self, valence: float, words: list[str], start_i: int, i: int) -> float:
            # VADER 3.3.2's rules, on the (at most) three words before the sentiment word.
            lo = max(0, i - 3)
            w = [word.lower() for word in words[lo:i]]
            before = len(w)  # w[before - 1] is the word just before it
            if start_i == 0:
                if negated(w[before - 1]):
                    valence = valence * N_SCALAR
            elif start_i == 1:
                if w[before - 2] == "never" and w[before - 1] in ("so", "this"):
                    valence = valence * 1.25
                elif w[before - 2] == "without" and w[before - 1] == "doubt":
                    pass
                elif negated(w[before - 2]):
                    valence = valence * N_SCALAR
            elif start_i == 2:
                if (w[before - 3] == "never" and w[before - 2] in ("so", "this")) or w[
                    before - 1
                ] in ("so", "this"):
                    valence = valence * 1.25
                elif w[before - 3] == "without" and "doubt" in (w[before - 2], w[before - 1]):
                    pass
                elif negated(w[before - 3]):
                    valence = valence * N_SCALAR
            return valence

        def _special_idioms_check(self, valence: float, words: list[str], i: int) -> float:
            # VADER 3.3.2's rules, on the three words before the sentiment word and the two
            # after, its phrases as tuples of words (no string is built for each guess).
            lo = max(0, i - 3)
            w = [word.lower() for word in words[lo : i + 3]]
            if idiom_words.isdisjoint(w):
                return valence  # no phrase can match
            j = i - lo
            threetwoone, twoone = (w[j - 3], w[j - 2], w[j - 1]), (w[j - 2], w[j - 1])
            threetwo = (w[j - 3], w[j - 2])
            for seq in (
                (w[j - 1], w[j]),
                (w[j - 2], w[j - 1], w[j]),
                twoone,
                threetwoone,
                threetwo,
            ):
                if seq in special:
                    valence = special[seq]
                    break
            if len(w) - 1 > j and (w[j], w[j + 1]) in special:
                valence = special[(w[j], w[j + 1])]
            if len(w) - 1 > j + 1 and (w[j], w[j + 1], w[j + 2]) in special:
                valence = special[(w[j], w[j + 1], w[j + 2])]
            for gram in (threetwoone, threetwo, twoone):
                if gram in booster_grams:
                    valence = valence + booster_grams[gram]
            return valence

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.emoji_chars = frozenset(c for c in self.emojis if len(c) == 1)

        def polarity_scores(self, text: str) -> Any:
            # VADER first copies the text character by character, replacing each emoji
            # with its description: ~15% of its time on a 1 kB message. Its loop only
            # ever matches single characters, so without one of those in the text the copy
            # is the text itself (unless the whole text is a many-character emoji, which
            # the loop would match). With one, VADER's own path.
            if not self.emoji_chars.isdisjoint(text) or text in self.emojis:
                return super().polarity_scores(text)
            text = text.strip()
            sentitext = SentiText(text)
            words = sentitext.words_and_emoticons
            lexicon = self.lexicon
            last = len(words) - 1
            sentiments: list[float] = []
            for i, item in enumerate(words):
                lower = item.lower()
                kind_of = lower == "kind" and i < last and words[i + 1].lower() == "of"
                if lower in BOOSTER_DICT or kind_of:
                    sentiments.append(0)
                elif lower in lexicon:
                    sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
                else:  # VADER's rules only ever start from a word of its lexicon
                    sentiments.append(0)
            sentiments = self._but_check(words, sentiments)
            return self.score_valence(sentiments, text)

    return WindowedAnalyser


def _get_analyser() -> Any:
    """One VADER analyser per process, built on first use (loading its lexicon takes time)."""
    global _analyser
    if _analyser is None:
        with _lock:
            if _analyser is None:
                _analyser = _analyser_class()()
    return _analyser


_UNKNOWN: Any = object()


def new_text(text: str, quote: tuple[int, int] | None = _UNKNOWN) -> str:
    """The part of a message its sender wrote now: quoted history and signature removed.
    `quote`: where `rendering.quote_span` says its quote is, when already known."""
    from amends.comms.rendering import quote_span

    text = text[:_MAX_SCAN].replace("\r\n", "\n").replace("\r", "\n")
    # The quote the message page folds, when the answer is above it.
    span = quote_span(text) if quote is _UNKNOWN else quote
    if span is not None and span[1] == len(text) and text[: span[0]].strip():
        text = text[: span[0]]
    lines = text.split("\n")
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
    fresh = "\n".join(kept).strip()
    if fresh:
        return fresh
    # Nothing before the history: a reply written below what it quotes, read as the
    # message page shows it (the answer, without the quote and the signature).
    from amends.comms.rendering import split_text

    split = split_text(text[:_MAX_SCAN])
    return split.new.strip() if split.quoted else ""


def score(text: str, quote: tuple[int, int] | None = _UNKNOWN) -> float | None:
    """The tone of `text`, or None when there is nothing to score (`quote`: as for
    `new_text`)."""
    if not text:
        return None
    fresh = new_text(text, quote)[:MAX_CHARS]
    if not re.search(r"\w", fresh):
        return None
    compound = _get_analyser().polarity_scores(fresh)["compound"]
    return round(max(-1.0, min(1.0, float(compound))), 4)
