"""Tone of a message from the client (-1 hostile … +1 warm)."""

from __future__ import annotations


def score(text: str) -> float | None:
    """The tone of `text`, or None when there is nothing to score."""
    return None
