"""Tone of client messages: VADER on the new part only, bounded, and stored on import."""

from __future__ import annotations

import functools
import string
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amends.comms import tone
from amends.comms.models import Communication

HOSTILE = """Hi Alice,

This is completely unacceptable. We were promised the site would be live on Monday and
it is still broken. Nobody has bothered to reply to my last two emails. I am extremely
disappointed and frankly angry. If this is not fixed today we will be taking our business
elsewhere.

Dana
"""

NEUTRAL = """Hi Alice,

Please find attached the purchase order for the second phase. The reference number is
PO-2231. Our accounts team will process the invoice within 30 days.

Regards,
Dana
"""

WARM = """Alice, thank you so much! The new site looks fantastic and the team loves it.
Really appreciate how quickly you turned the changes around. Great work, everyone.

Best,
Dana
"""

QUOTED_ANGRY = """Thanks Alice, that's great news, really appreciate it.

On Mon, 6 Jul 2026 at 09:14, Dana Client <dana@acme.example> wrote:
> This is a disgrace. Terrible, awful service. I am furious and we will cancel.
> Worst agency we have ever worked with.
"""

OUTLOOK_QUOTED = """Lovely, thanks - that works perfectly for us.

________________________________
From: Alice Owner <alice@firm.example>
Sent: Monday, July 6, 2026 9:14 AM
Subject: RE: Terrible broken invoice

We are sorry, this was a horrible, unacceptable mistake and a disaster on our side.
"""

SIGNATURE = """Great, thanks!

--
Dana Client | Marketing director | Acme Ltd
Confidential: unauthorised use is strictly prohibited and may be illegal.
"""


# Words that exercise VADER's rules around a sentiment word: negations, "never so",
# "without doubt", boosters, "kind of", idioms, "but", "least", capitals, punctuation.
_RULE_TEXT = (
    "not never no nor isn't don't never so this without doubt very extremely kind of sort "
    "of least at the bomb cut the mustard hand to mouth back handed but yet GREAT awful "
    "happy sad love hate good bad great terrible fine okay angry thanks sorry problem ! ? "
    ":) :( 😀 😡 broken late fixed fantastic disappointed just enough yeah right kiss "
    "death to die for beating heart bus stop bad ass badass shit"
)
_RULE_WORDS = _RULE_TEXT.split()


def _vader():
    import vaderSentiment.vaderSentiment as vader

    return vader


_STOCK: list = []


def _stock_vader():
    if not _STOCK:
        _STOCK.append(_vader().SentimentIntensityAnalyzer())
    return _STOCK[0]


def _assert_scored_exactly_as_vader(text):
    """tone's analyser, each of its two paths, against stock VADER 3.3.2: all four scores,
    to the last bit (repr tells every float apart, -0.0 from 0.0 too)."""
    analyser = tone._get_analyser()
    expected = repr(_stock_vader().polarity_scores(text))
    assert repr(analyser.polarity_scores(text)) == expected, text
    assert repr(analyser.windowed_scores(text)) == expected, text
    if "İ" not in text and analyser.emoji_chars.isdisjoint(text):
        assert repr(analyser.fast_scores(text)) == expected, text


@given(st.lists(st.sampled_from(_RULE_WORDS), max_size=60))
@settings(max_examples=400, deadline=None)
def test_the_windowed_analyser_scores_exactly_as_vader_does(words):
    """tone.py hands VADER's negation and idiom checks only the words they read; the
    scores must be VADER's own, to the last digit."""
    _assert_scored_exactly_as_vader(" ".join(words))


@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list(" \n\t.,!?:;'-😀😡👍❤️🙂")), st.characters(codec="utf-8")
        ),
        max_size=300,
    )
)
@settings(max_examples=300, deadline=None)
def test_the_analyser_scores_any_text_exactly_as_vader_does(text):
    """Including the shortcut past VADER's emoji copy: any characters, spacing, emoji
    anywhere (or none)."""
    _assert_scored_exactly_as_vader(text)


# Words VADER's rules look for (beside its lists), words with "n't" (negations too).
_RULE_EXTRAS = "no nor or but kind of sort least at very never so this without doubt the"
_NT_WORDS = "n't don't DON'T Isn't can't won't shouldn't wasn't"
# Short words; non-ASCII ones (with "Σ", whose lower case depends on the letters around
# it, "İ", whose lower case is longer, letters upper but not lower-cased, ligatures); emoji
# (of one character and more, "#⃣" being two characters VADER does not replace).
_OTHER_WORDS = (
    "a I i an it is be me we on to ok OK no No ya yo hm xd lol LOL "
    "naïve café Straße ÆON ΣΑΣ ΌΣΟΣ σας ΑΣ'Α İyi İİ. ǅemal ϒ K Å ﬁne "
    "grüß привет хорошо плохо 好 😀 😡 👍 ❤️ 🙂 ☺️ © ® ™ ‼ #⃣ 1⃣ \u200d \ufe0f "
    "invoice meeting project Monday deadline"
)


@functools.cache
def _vocabulary():
    """Words for the fast path's test: VADER's own (lexicon, boosters, negations, phrases,
    emoticons), the words its rules look for, short words, non-ASCII words and emoji."""
    vader = _vader()
    lexicon = sorted(_stock_vader().lexicon)
    rules = [
        *vader.NEGATE,
        *vader.BOOSTER_DICT,  # with "kind of", "sort of", "just enough"
        *vader.SPECIAL_CASES,  # "the shit", "kiss of death", "yeah right", …
        *vader.SENTIMENT_LADEN_IDIOMS,
        *_RULE_EXTRAS.split(),
        *_NT_WORDS.split(),
    ]
    emoticons = [w for w in lexicon if not w.isalpha()]  # ":)", ":-(", "<3", "(:", …
    other = _OTHER_WORDS.split()
    return st.one_of(
        st.sampled_from(rules),
        st.sampled_from(lexicon),
        st.sampled_from(emoticons),
        st.sampled_from(other),
        st.text(alphabet="abnotsIOYk'", min_size=1, max_size=3),  # words of 1-3 letters
        st.text(alphabet="!?", min_size=1, max_size=5),  # "!" and "?" runs
    )


@st.composite
def _word(draw, vocabulary):
    """A word of `vocabulary` in any case, with punctuation glued on before and after."""
    word = draw(vocabulary)
    case = draw(st.sampled_from(["as is", "lower", "upper", "title", "swap", "mixed"]))
    if case == "mixed":
        word = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)
    elif case != "as is":
        word = getattr(word, case if case != "swap" else "swapcase")()
    glue = st.text(alphabet=string.punctuation, max_size=3)
    return draw(glue) + word + draw(glue)


_SPACES = st.sampled_from([" ", " ", " ", "  ", "\n", "\t", "\n\n", "\u00a0", "\u2003", "\x1c"])


def _text(vocabulary, max_words):
    """Texts of `_word`s of `vocabulary`, any spacing between, before and after them."""
    words = st.lists(st.tuples(_word(vocabulary), _SPACES), max_size=max_words)
    return st.builds(
        lambda lead, words, trail: lead + "".join(w + space for w, space in words) + trail,
        _SPACES,
        words,
        _SPACES,
    )


@given(st.deferred(lambda: _text(_vocabulary(), 40)))
@settings(max_examples=600, deadline=None)
def test_the_fast_path_scores_vaders_own_words_exactly_as_vader_does(text):
    """The fast path against stock VADER on texts of the words its rules are about, and
    others, in any case, with punctuation glued on, any spacing."""
    _assert_scored_exactly_as_vader(text)


# The words of VADER's rules around a lexicon word, a few lexicon words, and plain words
# (in none of its lists), densely: every rule in every place of the words before it.
_DENSE_WORDS = (
    f"{_RULE_EXTRAS} {_NT_WORDS} kiss death to die for yeah right bus stop bad ass shit bomb "
    "just enough extremely good great love hate sad no no not x y z"
)


@given(_text(st.sampled_from(_DENSE_WORDS.split()), 12))
@settings(max_examples=1000, deadline=None)
def test_the_fast_path_scores_rule_dense_text_exactly_as_vader_does(text):
    _assert_scored_exactly_as_vader(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        "good",
        "GOOD",
        "no",
        "No good",
        "NO GOOD at all",
        "no no good",
        "no or good",
        "no nor bad",
        "no great",
        "not bad at all",
        "Not BAD. not GOOD!",
        "at least it works",
        "the very least good",
        "least good",
        "the least good thing",
        "kind of good",
        "good kind",
        "kind",
        "it is kind of you",
        "I don't love it",
        "I DON'T LOVE IT",
        "never so good",
        "never this good",
        "it was never good",
        "without a doubt, great",
        "without doubt good",
        "without any doubt good",
        "yeah right",
        "we are this good",
        "x y this good",
        "so this good",
        "it was a kiss of death",
        "no time or good",
        "no time nor good",
        "without x doubt good",
        "it is not very good",
        "I am never so happy",
        "oh yeah right, great",
        "it is the shit",
        "The Bomb!",
        "bus stop good",
        "a kiss of death",
        "a cake to die for",
        "my beating heart",
        "a bad ass plan",
        "cut the mustard",
        "just enough good",
        "sort of bad",
        "good but bad",
        "but",
        "but good",
        "good but",
        "good good but good good bad bad",
        "good but bad but great",
        "GREAT!!!! ??",
        "sad??",
        "sad????",
        "ok.",
        "OK",
        "ok ok OK ok!",
        ":) :-( :D (: <3",
        "I. am. HAPPY.",
        "very very very good",
        "VERY good",
        "very GOOD",
        "extremely NOT good",
        "Σ ΣΑΣ. ΌΣΟΣ' good",
        "İyi good",
        "good 😀",
        "#⃣ good",
        "1⃣",
        "©",
        "good\u00a0bad",
        "good\x1cbad",
        "straße good",
        # VADER's own examples
        "VADER is smart, handsome, and funny.",
        "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
        "VADER is not smart, handsome, nor funny.",
        "At least it isn't a horrible book.",
        "The book was only kind of good.",
        "The plot was good, but the characters are uncompelling and the dialog is not great.",
        "Today SUX!",
        "Today only kinda sux! But I'll get by, lol",
        "Make sure you :) or :D today!",
        "Catch utf-8 emoji such as 💘 and 💋 and 😁",
        "Not bad at all",
        "Sentiment analysis has never been this good!",
        "With VADER, sentiment analysis is the shit!",
        "On the other hand, VADER is quite bad ass",
        "Without a doubt, excellent idea.",
        "Roger Dodger is at least compelling as a variation on the theme.",
        "Roger Dodger is one of the least compelling variations on this theme.",
        "Not such a badass after all.",
    ],
)
def test_rule_cases_score_exactly_as_vader_does(text):
    _assert_scored_exactly_as_vader(text)


@pytest.mark.parametrize("text", [HOSTILE, NEUTRAL, WARM, QUOTED_ANGRY, OUTLOOK_QUOTED])
def test_the_windowed_analyser_agrees_on_real_messages(text):
    _assert_scored_exactly_as_vader(text)


def test_the_analyser_scores_generated_mail_exactly_as_vader_does():
    """The mailbox `bench/` imports: what the speed-ups are measured on."""
    from amends.comms.importing import parse_message
    from bench.mailgen import Mailbox

    box, texts = Mailbox(seed=11), []
    while len(texts) < 300:
        texts.extend(tone.new_text(parse_message(data).text) for data in box.thread())
    for text in texts:
        _assert_scored_exactly_as_vader(text)


def test_a_hostile_message_scores_clearly_negative():
    assert tone.score(HOSTILE) < -0.5


def test_a_matter_of_fact_message_scores_near_neutral():
    assert -0.5 < tone.score(NEUTRAL) < 0.5


def test_a_warm_message_scores_clearly_positive():
    assert tone.score(WARM) > 0.5


@pytest.mark.parametrize("text", [QUOTED_ANGRY, OUTLOOK_QUOTED])
def test_quoted_history_is_ignored(text):
    assert tone.score(text) > 0.3


def test_the_signature_is_ignored():
    assert tone.new_text(SIGNATURE) == "Great, thanks!"


def test_gmail_wraps_the_wrote_line_over_two_lines():
    text = (
        "Fine by me.\n\nOn Mon, 6 Jul 2026 at 09:14, Dana Client\n"
        "<dana@acme.example> wrote:\n> awful"
    )
    assert tone.new_text(text) == "Fine by me."


def test_a_reply_below_its_quote_is_scored_on_the_reply():
    text = (
        "On Mon, 6 Jul 2026 at 09:14, Alice wrote:\n> Wonderful news, we love it!\n\n"
        "This is terrible and unacceptable.\n\n-- \nDana"
    )
    assert tone.new_text(text) == "This is terrible and unacceptable."
    assert tone.score(text) < -0.3


def test_a_reply_sent_as_html_alone_below_its_quote_is_scored_on_the_reply():
    from amends.comms.importing import text_from_html

    html = (
        '<div class="moz-cite-prefix">On 06/07/2026 09:14, Alice wrote:<br></div>'
        '<blockquote type="cite"><p>Wonderful news, we love it!</p></blockquote>'
        "<p>This is terrible and unacceptable.</p>"
    )
    text = text_from_html(html)
    assert tone.new_text(text) == "This is terrible and unacceptable."
    assert tone.score(text) < -0.3


@pytest.mark.parametrize("text", ["", "   \n\n", "> only quoted\n> lines", "-- \nsig only"])
def test_nothing_to_score_is_none(text):
    assert tone.score(text) is None


def test_the_score_is_bounded_and_reads_only_the_start():
    huge = "terrible " * 200_000 + "wonderful " * 200_000
    value = tone.score(huge)
    assert value is not None and -1.0 <= value < 0


def test_hostile_characters_do_not_crash():
    value = tone.score("\x00\ufffd\u202e" * 1000 + " ok\r\n\r" * 50)
    assert value is None or -1.0 <= value <= 1.0


def test_an_inbound_message_gets_its_tone_when_recorded(say, frozen_now):
    msg = say("in", frozen_now - timedelta(hours=1), HOSTILE)
    assert msg.tone is not None and msg.tone < -0.5
    assert Communication.objects.get(pk=msg.pk).tone == msg.tone


def test_our_own_messages_get_no_tone(say, frozen_now):
    msg = say("out", frozen_now - timedelta(hours=1), WARM)
    assert msg.tone is None
