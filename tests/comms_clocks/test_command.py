"""`amends tone-rescore`: scores what has no tone yet, in batches, and is safe to re-run."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from amends.comms.models import Communication


def _run(*args):
    out = StringIO()
    call_command("tone-rescore", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_scores_inbound_messages_without_a_tone(world, say, frozen_now):
    angry = say("in", frozen_now - timedelta(hours=3), "This is terrible, we are furious.")
    warm = say("in", frozen_now - timedelta(hours=2), "Thank you, this is wonderful!")
    ours = say("out", frozen_now - timedelta(hours=1), "Thank you, wonderful!")
    Communication.objects.update(tone=None)

    output = _run("--batch-size", "1")

    assert "Scored 2 message(s)" in output
    tones = dict(Communication.objects.values_list("pk", "tone"))
    assert tones[angry.pk] < 0 < tones[warm.pk]
    assert tones[ours.pk] is None
    assert "Scored 0 message(s)" in _run()  # nothing left to do


def test_all_rescores_everything_and_client_narrows_it(world, say, frozen_now):
    msg = say("in", frozen_now - timedelta(hours=3), "Thank you, this is wonderful!")
    say("in", frozen_now - timedelta(hours=2), "Terrible.", client=world.globex)
    Communication.objects.filter(pk=msg.pk).update(tone=-1.0)

    assert "Scored 1 message(s)" in _run("--all", "--client", str(world.acme.pk))
    assert Communication.objects.get(pk=msg.pk).tone > 0


@pytest.mark.parametrize(
    "args", [["--client", "nope"], ["--client", "999999999999999999999999"], ["--batch-size", "0"]]
)
def test_bad_options_are_refused(world, args):
    with pytest.raises(CommandError):
        _run(*args)
