"""Writes about tone: (re)scoring stored client messages (`amends tone-rescore`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from amends.comms import tone
from amends.comms.models import Communication

DEFAULT_BATCH = 500
MAX_BATCH = 5000


@dataclass
class RescoreSummary:
    seen: int = 0
    scored: int = 0
    unscorable: int = 0  # nothing to score (empty text): tone left empty


def rescore_tones(
    *,
    client_id: int | None = None,
    everything: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[RescoreSummary], None] | None = None,
) -> RescoreSummary:
    """Score the tone of inbound messages that have none (or of all, with `everything`),
    in batches by id, each batch in its own transaction, so an interrupted run keeps what
    it did and a re-run continues. Only the `tone` column is written."""
    batch_size = max(1, min(int(batch_size), MAX_BATCH))
    qs = Communication.objects.filter(direction=Communication.Direction.IN)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if not everything:
        qs = qs.filter(tone__isnull=True)
    summary = RescoreSummary()
    after = 0
    while True:
        rows = list(
            qs.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "subject", "summary")[:batch_size]
        )
        if not rows:
            return summary
        after = rows[-1][0]
        changed = []
        for pk, subject, text in rows:
            value = tone.score(text or subject)
            summary.seen += 1
            if value is None:
                summary.unscorable += 1
            else:
                summary.scored += 1
            changed.append(Communication(pk=pk, tone=value))
        with transaction.atomic():
            Communication.objects.bulk_update(changed, ["tone"])
        if progress is not None:
            progress(summary)
