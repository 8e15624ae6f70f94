"""Shared model building blocks."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F

from amends.core.errors import StaleEdit


class Versioned(models.Model):
    """A row that detects concurrent edits: every update must name the version it saw."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


def update_versioned(obj: Versioned, expected_version: int | None, **changes: Any) -> None:
    """Apply `changes` to `obj` only if nobody changed it since `expected_version`.

    `expected_version=None` means the caller did not load the record for editing (an
    internal write), so the current version is taken as seen.
    """
    model = type(obj)
    seen = obj.version if expected_version is None else int(expected_version)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.full_clean(exclude=[f.name for f in model._meta.fields if f.name not in changes])
    updated = model._default_manager.filter(pk=obj.pk, version=seen).update(
        version=F("version") + 1, **{name: getattr(obj, name) for name in changes}
    )
    if updated != 1:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise StaleEdit(str(model._meta.verbose_name), obj.pk, seen, current)
    obj.version = seen + 1
