"""Tone of a message from the client (-1 hostile … +1 warm).

The score is VADER's compound score (a lexicon and rules tuned for short informal
English) of the *new* part of the message only: quoted history ("> …" lines, "On … wrote:"
and the forwarded/original-message blocks below them) and the signature are cut first, so
a warm reply that quotes an angry message is scored warm. Only the first `MAX_CHARS`
characters are read, so a huge message costs no more than a long one.
"""

from __future__ import annotations

import math
import re
import string
import threading
from itertools import compress, count, repeat
from operator import ne
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


def _windowed_class() -> Any:
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


def _analyser_class() -> Any:
    """The analyser `score` uses: VADER 3.3.2's scores, to the last digit, in about 40% of
    `_windowed_class`'s time on the generated mailbox of `bench/` (a tenth of stock VADER's).

    Most of the time left in `_windowed_class` is Python work for every word of the text,
    though few words matter (about one in eight in mail is in VADER's lexicon): the word is
    lower-cased several times over, and VADER's rules are called for it. Here
    (`_fast_scores`) the words are split, lower-cased and stripped once, by loops in C
    (`str.split`, `map`), and only the words of the lexicon are visited, each by VADER's
    rules for one word: the same arithmetic in the same order. The texts that path does
    not handle (with an emoji, or "İ") go `_windowed_class`'s way.
    tests/comms_clocks/test_tone.py compares the scores with stock VADER's on rule-laden,
    arbitrary, real and generated texts."""
    windowed = _windowed_class()

    class FastAnalyser(windowed):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fast_scores = _fast_scores(self)
            # A quick test for "might hold an emoji", before the exact one: VADER's emoji
            # of one character are "©", "®", "‼", "⁉" and characters from U+2100 up.
            below = "".join(sorted(c for c in self.emoji_chars if c < "\u2100"))
            self.maybe_emoji = re.compile(f"[{re.escape(below)}\u2100-\U0010ffff]")

        def windowed_scores(self, text: str) -> Any:
            """`_windowed_class`'s path (VADER's own, with its quadratic costs taken out)."""
            return super().polarity_scores(text)

        def polarity_scores(self, text: str) -> Any:
            # VADER first replaces each emoji in the text by its description, character by
            # character (so only the emoji of one character ever are); and "İ" is the one
            # character whose lower case is longer ("i̇"), which `_fast_scores` must not
            # meet. Those texts go the windowed way.
            if "İ" in text or (
                not text.isascii()
                and self.maybe_emoji.search(text)
                and not self.emoji_chars.isdisjoint(text)
            ):
                return self.windowed_scores(text)
            return self.fast_scores(text)

    return FastAnalyser


_NO_WORDS: frozenset[str] = frozenset()


def _fast_scores(analyser: Any) -> Any:
    """VADER 3.3.2's polarity_scores(text) for a text without emoji or "İ", computed from
    the text's lower-cased words and visiting only those of its lexicon. The parts, each
    VADER's function of the same name with the same arithmetic in the same order:

    - `words`: SentiText's words, lower-cased, and as written (for isupper());
    - `sentiment_valence`: a lexicon word's score after VADER's rules, read off the
      lower-cased words around it;
    - `but_check`, `score_valence`: on the scores of the lexicon's words only (with where
      the words are): the others are all 0, which changes nothing those two compute.
    """
    from vaderSentiment.vaderSentiment import (
        BOOSTER_DICT,
        C_INCR,
        N_SCALAR,
        NEGATE,
        SPECIAL_CASES,
        normalize,
    )

    lexicon: dict[str, float] = analyser.lexicon
    # VADER's loop scores only its lexicon's words that are not boosters (none are).
    scored = frozenset(lexicon).difference(BOOSTER_DICT)
    negations = frozenset(NEGATE)
    # VADER's phrases as tuples of words (words never hold spaces: they come from split()).
    special = {tuple(k.split(" ")): v for k, v in SPECIAL_CASES.items()}
    booster_grams = {tuple(k.split(" ")): v for k, v in BOOSTER_DICT.items() if " " in k}
    idiom_words = frozenset(
        word for phrase in [*special, *booster_grams] if len(phrase) > 1 for word in phrase
    )
    punctuation = string.punctuation
    # The words that, among the three before a lexicon word, bring any of VADER's rules but
    # the idioms into play (as do the words with "n't", negations too): its negations
    # (with "never", "without"), its boosters (with "so"), "no", "this" (in "never this"),
    # "least". ("doubt", "or", "nor", "at", "very" only act after one of those.)
    rules = negations.union(k for k in BOOSTER_DICT if " " not in k).union({"no", "this", "least"})

    def words(text: str) -> tuple[list[str], list[str], str]:
        # SentiText._words_and_emoticons: split, then _strip_punc_if_word (the punctuation
        # around a word stripped, unless that leaves two characters or fewer: ":)", "I."),
        # then (in VADER's rules) lower(). Here the whole text is lower-cased first, then
        # split and stripped: the same words, as lower-casing keeps each character where
        # it was (without "İ"), makes no space nor ASCII punctuation and changes none, and
        # never looks across a space (the one character whose lower case depends on the
        # letters around it, "Σ", looks past punctuation such as "'" or "." but not
        # spaces: it finds the same letters in the word, stripped or not).
        # Returned: VADER's words lower-cased, as split (stripping punctuation changes no
        # word's isupper(), so these do for that), and the text lower-cased.
        written = text.split()
        lowtext = text.lower()
        lowered = lowtext.split()
        lower = list(map(str.strip, lowered, repeat(punctuation)))
        for i in compress(count(), map(ne, lower, lowered)):
            if len(lower[i]) <= 2:
                lower[i] = lowered[i]
        return lower, written, lowtext

    def scalar_inc_dec(word: str, valence: float, written: str, cap_diff: bool) -> float:
        # VADER's scalar_inc_dec for a word of BOOSTER_DICT before the sentiment word
        # (for any other word it is 0.0, which the callers use without calling it).
        scalar = BOOSTER_DICT[word]
        if valence < 0:
            scalar *= -1
        # check if booster/dampener word is in ALLCAPS (while others aren't)
        if written.isupper() and cap_diff:
            if valence > 0:
                scalar += C_INCR
            else:
                scalar -= C_INCR
        return scalar  # type: ignore[no-any-return]

    def special_idioms_check(valence: float, lower: list[str], i: int) -> float:
        # VADER's _special_idioms_check (called with i > 2), its phrases as tuples
        three, two, one, zero = lower[i - 3], lower[i - 2], lower[i - 1], lower[i]
        threetwoone, threetwo, twoone = (three, two, one), (three, two), (two, one)
        for seq in ((one, zero), (two, one, zero), twoone, threetwoone, threetwo):
            if seq in special:
                valence = special[seq]
                break
        if len(lower) - 1 > i and (zero, lower[i + 1]) in special:
            valence = special[(zero, lower[i + 1])]
        if len(lower) - 1 > i + 1 and (zero, lower[i + 1], lower[i + 2]) in special:
            valence = special[(zero, lower[i + 1], lower[i + 2])]
        # check for booster/dampener bi-grams such as 'sort of' or 'kind of'
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in booster_grams:
                valence = valence + booster_grams[n_gram]
        return valence

    def sentiment_valence(
        i: int, lower: list[str], written: list[str], cap_diff: bool, nt: frozenset[str]
    ) -> float:
        # VADER's sentiment_valence for lower[i], a word of its lexicon; its
        # _negation_check (start_i 0, 1, 2) and _least_check inline. (nt: the words of
        # the text with "n't", which negate like those of NEGATE.)
        item = lower[i]
        before = lower[max(i - 3, 0) : i]
        if item != "no" and rules.isdisjoint(before) and (not nt or nt.isdisjoint(before)):
            # The common case: no word before it for any rule but the idioms (and the
            # capitals). The code below would only add 0.0 to its valence, which changes
            # no number but -0.0 (to 0.0), and nothing after it tells -0.0 from 0.0.
            valence = lexicon[item]
            if written[i].isupper() and cap_diff:
                if valence > 0:
                    valence += C_INCR
                else:
                    valence -= C_INCR
            if (
                i > 2
                and lower[i - 3] not in lexicon
                and not idiom_words.isdisjoint(lower[i - 3 : i + 3])
            ):
                valence = special_idioms_check(valence, lower, i)
            return valence
        # VADER reads no word before the first: `one`, `two`, `three` are None there.
        one = lower[i - 1] if i > 0 else None
        two = lower[i - 2] if i > 1 else None
        three = lower[i - 3] if i > 2 else None
        valence = lexicon[item]
        # "no" before another lexicon word negates that one instead of scoring itself
        if item == "no" and i != len(lower) - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if one == "no" or two == "no" or (three == "no" and one in ("or", "nor")):
            valence = lexicon[item] * N_SCALAR
        # check if sentiment laden word is in ALL CAPS (while others aren't)
        if written[i].isupper() and cap_diff:
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        # The words before it that are not in the lexicon: a booster's scalar (less with
        # distance), then VADER's _negation_check, and after the third, the idioms.
        if one is not None and one not in lexicon:
            s = 0.0
            if one in BOOSTER_DICT:
                s = scalar_inc_dec(one, valence, written[i - 1], cap_diff)
            valence = valence + s
            if one in negations or "n't" in one:
                valence = valence * N_SCALAR
        if two is not None and two not in lexicon:
            s = 0.0
            if two in BOOSTER_DICT:
                s = scalar_inc_dec(two, valence, written[i - 2], cap_diff)
            if s != 0:
                s = s * 0.95
            valence = valence + s
            if two == "never" and one in ("so", "this"):
                valence = valence * 1.25
            elif two == "without" and one == "doubt":
                pass
            elif two in negations or "n't" in two:
                valence = valence * N_SCALAR
        if three is not None and three not in lexicon:
            s = 0.0
            if three in BOOSTER_DICT:
                s = scalar_inc_dec(three, valence, written[i - 3], cap_diff)
            if s != 0:
                s = s * 0.9
            valence = valence + s
            if (three == "never" and two in ("so", "this")) or one in ("so", "this"):
                valence = valence * 1.25
            elif three == "without" and (two == "doubt" or one == "doubt"):
                pass
            elif three in negations or "n't" in three:
                valence = valence * N_SCALAR
            if not idiom_words.isdisjoint(lower[i - 3 : i + 3]):  # else none can match
                valence = special_idioms_check(valence, lower, i)
        # _least_check: "least" before it negates it, but not "at least", "very least"
        if (
            one == "least"
            and one not in lexicon
            and (two is None or (two != "at" and two != "very"))
        ):
            valence = valence * N_SCALAR
        return valence

    def but_check(sentiments: list[float], positions: list[int], but: int) -> None:
        # VADER's _but_check, in place: the scores of the words before the first "but"
        # halved, those after it × 1.5. Like VADER's, for each word it changes the *first*
        # score equal to the word's own (list.index). The words left out here (not in the
        # lexicon) all score 0: a 0 never equals a non-zero score, and a 0 changed stays 0,
        # so the non-zero scores change as in VADER's list of all the words.
        for k in range(len(sentiments)):
            sentiment = sentiments[k]
            si = sentiments.index(sentiment)
            if positions[si] < but:
                sentiments[si] = sentiment * 0.5
            elif positions[si] > but:
                sentiments[si] = sentiment * 1.5

    def punctuation_emphasis(text: str) -> float:
        # VADER's _punctuation_emphasis: _amplify_ep + _amplify_qm
        ep_count = text.count("!")
        if ep_count > 4:
            ep_count = 4
        ep_amplifier = ep_count * 0.292
        qm_count = text.count("?")
        qm_amplifier: float = 0
        if qm_count > 1:
            qm_amplifier = qm_count * 0.18 if qm_count <= 3 else 0.96
        return ep_amplifier + qm_amplifier

    def score_valence(sentiments: list[float], n: int, text: str) -> dict[str, float]:
        # VADER's score_valence for the scores of n words: `sentiments`, those of the
        # lexicon's words, and 0 for each of the others. Leaving those 0s out changes no
        # sum (a sum from 0 is never -0.0, and adding 0 to any other number leaves it as
        # it was), and _sift_sentiment_scores only counts them, as neutral.
        if n:
            sum_s = float(sum(sentiments))
            # compute and add emphasis from punctuation in text
            punct_emph_amplifier = punctuation_emphasis(text)
            if sum_s > 0:
                sum_s += punct_emph_amplifier
            elif sum_s < 0:
                sum_s -= punct_emph_amplifier
            compound = normalize(sum_s)
            # _sift_sentiment_scores
            pos_sum, neg_sum = 0.0, 0.0
            neu_count = n - len(sentiments) + sentiments.count(0)
            for sentiment_score in sentiments:
                if sentiment_score > 0:
                    pos_sum += float(sentiment_score) + 1
                if sentiment_score < 0:
                    neg_sum += float(sentiment_score) - 1
            if pos_sum > math.fabs(neg_sum):
                pos_sum += punct_emph_amplifier
            elif pos_sum < math.fabs(neg_sum):
                neg_sum -= punct_emph_amplifier
            total = pos_sum + math.fabs(neg_sum) + neu_count
            pos = math.fabs(pos_sum / total)
            neg = math.fabs(neg_sum / total)
            neu = math.fabs(neu_count / total)
        else:
            compound, pos, neg, neu = 0.0, 0.0, 0.0, 0.0
        return {
            "neg": round(neg, 3),
            "neu": round(neu, 3),
            "pos": round(pos, 3),
            "compound": round(compound, 4),
        }

    def polarity_scores(text: str) -> dict[str, float]:
        text = text.strip()  # as VADER's (which then only counts its "!" and "?")
        lower, written, lowtext = words(text)
        n = len(lower)
        # SentiText.is_cap_diff: some words, not all, in capitals
        cap_diff = 0 < sum(map(str.isupper, written)) < n
        nt = frozenset(w for w in lower if "n't" in w) if "n't" in lowtext else _NO_WORDS
        # VADER's loop: only its lexicon's words score (the others, 0); and "kind" in
        # "kind of" is a dampener, which scores 0 too.
        hits = list(compress(count(), map(scored.__contains__, lower)))
        if "kind" in lowtext and "kind" in lower:
            last = n - 1
            hits = [
                i for i in hits if not (lower[i] == "kind" and i < last and lower[i + 1] == "of")
            ]
        sentiments = [sentiment_valence(i, lower, written, cap_diff, nt) for i in hits]
        if "but" in lowtext and "but" in lower:
            but_check(sentiments, hits, lower.index("but"))
        return score_valence(sentiments, n, text)

    return polarity_scores


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
