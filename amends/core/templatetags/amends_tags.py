"""Small template helpers used across the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template

from amends.core.timeclock import humanize_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return humanize_duration(value) if value is not None else ""


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.simple_tag
def meeting_time(
    start: datetime, end: datetime | None, zone: str | tzinfo, day: bool = True
) -> str:
    """A meeting's time in `zone` (the client's): "Thu 26 Nov, 14:00–14:30" (without the
    day when `day` is false, as the timeline shows it beside). An all-day meeting (from
    midnight to midnight there) says so: "Thu 26 Nov, all day", "Mon 14 Dec – Wed 16
    Dec, all day"."""
    where: tzinfo
    try:
        where = zone if isinstance(zone, tzinfo) else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        where = UTC
    first = start.astimezone(where)
    last = end.astimezone(where) if end is not None else None
    if last is not None and last > first and first.time() == last.time() == time(0, 0):
        final = last.date() - timedelta(days=1)
        if final == first.date():
            return f"{_day(first)}, all day" if day else "all day"
        return f"{_day(first)} – {_day(final)}, all day"
    shown = f"{_day(first)}, {first:%H:%M}" if day else f"{first:%H:%M}"
    if last is None:
        return shown
    if last.date() != first.date():
        return f"{shown}–{_day(last)}, {last:%H:%M}"
    return f"{shown}–{last:%H:%M}"


def _day(when: datetime | date) -> str:
    return f"{when:%a} {when.day} {when:%b}"
