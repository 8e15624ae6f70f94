"""Small template helpers used across the pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from amends.core.timeclock import humanize_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return humanize_duration(value) if value is not None else ""


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
