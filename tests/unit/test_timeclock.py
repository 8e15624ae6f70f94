"""Business-time clocks count only the client's working hours, in the client's zone."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from amends.core.timeclock import (
    WorkingHours,
    add_business_time,
    business_time_between,
    humanize_duration,
)

LONDON = ZoneInfo("Europe/London")
HOURS = WorkingHours(tz=LONDON, start=time(9), end=time(17))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_inside_one_working_day():
    assert business_time_between(at(2026, 11, 23, 10), at(2026, 11, 23, 12), HOURS) == timedelta(
        hours=2
    )


def test_nights_and_weekends_do_not_count():
    # Friday 16:00 to Monday 10:00 is one hour on Friday and one on Monday.
    friday, monday = at(2026, 11, 20, 16), at(2026, 11, 23, 10)
    assert business_time_between(friday, monday, HOURS) == timedelta(hours=2)


def test_reversed_interval_is_zero():
    assert business_time_between(at(2026, 11, 23, 12), at(2026, 11, 23, 10), HOURS) == timedelta(0)


def test_daylight_saving_change_is_honoured():
    # Clocks go back on 25 Oct 2026 (a Sunday); Monday's window is still 09:00-17:00 local.
    monday = at(2026, 10, 26, 9)
    assert business_time_between(monday, at(2026, 10, 26, 17), HOURS) == timedelta(hours=8)


def test_other_timezones_are_converted():
    new_york_morning = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("America/New_York"))  # 14:00 UK
    assert business_time_between(new_york_morning, at(2026, 11, 23, 17), HOURS) == timedelta(
        hours=3
    )


def test_adding_one_working_day_after_a_late_call_lands_next_afternoon():
    call = at(2026, 11, 23, 16)  # Monday 16:00
    assert add_business_time(call, HOURS.day_length, HOURS) == at(2026, 11, 24, 16)


def test_adding_from_a_weekend_starts_on_monday():
    assert add_business_time(at(2026, 11, 21, 12), timedelta(hours=1), HOURS) == at(
        2026, 11, 23, 10
    )


def test_no_working_days_falls_back_to_wall_clock():
    none = WorkingHours(tz=LONDON, days=frozenset())
    assert add_business_time(at(2026, 11, 23, 9), timedelta(hours=3), none) == at(2026, 11, 23, 12)


def test_humanized_durations():
    assert humanize_duration(timedelta(seconds=30)) == "under 1m"
    assert humanize_duration(timedelta(minutes=75)) == "1h 15m"
    assert humanize_duration(timedelta(days=2, hours=3)) == "2d 3h"


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(LONDON)
)


@given(moments, st.integers(min_value=0, max_value=200 * 3600))
def test_adding_then_measuring_gives_back_the_amount(start, seconds):
    amount = timedelta(seconds=seconds)
    end = add_business_time(start, amount, HOURS)
    assert business_time_between(start, end, HOURS) == amount
