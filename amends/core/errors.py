"""Errors raised by actions and queries; pages, API and CLI translate them."""

from __future__ import annotations

from django.core.exceptions import ValidationError

__all__ = ["NotFound", "PreconditionsUnmet", "StaleEdit", "ValidationError"]


class NotFound(Exception):
    """The object does not exist *for this user* (outsiders are told nothing more)."""


class StaleEdit(Exception):
    """Someone else changed the record since the editor loaded it."""

    def __init__(self, model_label: str, pk: object, expected: int, current: int | None):
        self.model_label = model_label
        self.pk = pk
        self.expected = expected
        self.current = current
        super().__init__(
            f"This {model_label} was changed by someone else while you were editing it "
            f"(you had version {expected}, it is now version {current}). "
            "Reload to see their changes, then apply yours again."
        )


class PreconditionsUnmet(Exception):
    """A lifecycle move was refused; `missing` says exactly what is needed."""

    def __init__(self, move: str, missing: list[str]):
        self.move = move
        self.missing = missing
        super().__init__(f"Cannot move to {move}: " + "; ".join(missing))
