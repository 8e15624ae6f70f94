"""Tone of client messages: VADER on the new part only, bounded, and stored on import."""

from __future__ import annotations

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


@given(st.lists(st.sampled_from(_RULE_WORDS), max_size=60))
@settings(max_examples=400, deadline=None)
def test_the_windowed_analyser_scores_exactly_as_vader_does(words):
    """tone.py hands VADER's negation and idiom checks only the words they read; the
    scores must be VADER's own, to the last digit."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    stock = _stock_vader(SentimentIntensityAnalyzer)
    text = " ".join(words)
    assert tone._get_analyser().polarity_scores(text) == stock.polarity_scores(text)


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
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    stock = _stock_vader(SentimentIntensityAnalyzer)
    assert tone._get_analyser().polarity_scores(text) == stock.polarity_scores(text)


@pytest.mark.parametrize("text", [HOSTILE, NEUTRAL, WARM, QUOTED_ANGRY])
def test_the_windowed_analyser_agrees_on_real_messages(text):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    stock = _stock_vader(SentimentIntensityAnalyzer)
    assert tone._get_analyser().polarity_scores(text) == stock.polarity_scores(text)


def test_the_analyser_scores_generated_mail_exactly_as_vader_does():
    """The mailbox `bench/` imports: what the speed-ups are measured on."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from amends.comms.importing import parse_message
    from bench.mailgen import Mailbox

    stock = _stock_vader(SentimentIntensityAnalyzer)
    box, texts = Mailbox(seed=11), []
    while len(texts) < 300:
        texts.extend(tone.new_text(parse_message(data).text) for data in box.thread())
    for text in texts:
        assert tone._get_analyser().polarity_scores(text) == stock.polarity_scores(text)


_STOCK: list = []


def _stock_vader(cls):
    if not _STOCK:
        _STOCK.append(cls())
    return _STOCK[0]


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
