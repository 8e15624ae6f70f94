"""Business time: clocks that count only a client's working hours (R1, R22).

Every datetime in and out is timezone-aware. Working hours are local to the client's
timezone, so daylight-saving changes are honoured day by day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A clock that runs longer than this is reported as "over" rather than computed forever.
_MAX_DAYS = 3660


@dataclass(frozen=True)
class WorkingHours:
    tz: ZoneInfo
    start: time = time(9, 0)
    end: time = time(17, 30)
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def windows(self, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
        """Working windows, as aware datetimes, for each working day from first to last."""
        day = first
        while day <= last:
            if day.weekday() in self.days:
                yield (
                    datetime.combine(day, self.start, tzinfo=self.tz),
                    datetime.combine(day, self.end, tzinfo=self.tz),
                )
            day += timedelta(days=1)


def business_time_between(a: datetime, b: datetime, hours: WorkingHours) -> timedelta:
    """Working time between two instants (zero if b is not after a)."""
    if b <= a:
        return timedelta(0)
    first = a.astimezone(hours.tz).date()
    last = b.astimezone(hours.tz).date()
    if (last - first).days > _MAX_DAYS:
        last = first + timedelta(days=_MAX_DAYS)
    total = timedelta(0)
    for start, end in hours.windows(first, last):
        lo, hi = max(start, a), min(end, b)
        if hi > lo:
            total += hi - lo
    return total


def add_business_time(a: datetime, amount: timedelta, hours: WorkingHours) -> datetime:
    """The instant when `amount` of working time has passed after `a`."""
    if not hours.days or hours.day_length <= timedelta(0):
        return a + amount
    remaining = amount
    day = a.astimezone(hours.tz).date()
    for _ in range(_MAX_DAYS):
        for start, end in hours.windows(day, day):
            lo = max(start, a)
            if end > lo:
                if lo + remaining <= end:
                    return lo + remaining
                remaining -= end - lo
        day += timedelta(days=1)
    return a + amount


def humanize_duration(d: timedelta) -> str:
    """'3d 4h', '2h 5m', '12m' — short, for clocks on the page."""
    seconds = int(d.total_seconds())
    if seconds < 60:
        return "under 1m"
    minutes, _ = divmod(seconds, 60)
    hours_, minutes = divmod(minutes, 60)
    days, hours_ = divmod(hours_, 24)
    if days:
        return f"{days}d {hours_}h"
    if hours_:
        return f"{hours_}h {minutes}m"
    return f"{minutes}m"
